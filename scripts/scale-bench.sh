#!/usr/bin/env bash
# The province-scale benchmark (issue 9, docs/performance.md "Province
# scale"): a release build (SCALE_PROFILE=dev: the debug build the tests
# already made — CI's smoke run, whose timings are not the targets'), a fresh database with Guangdong's 6,726 units and
# SCALE_N petitions (default 20,000) loaded through the store's bulk path,
# the real server measured over HTTP, then `xinfang verify` over everything
# (the bulk-loaded histories and the petitions the measurement submitted).
#
# Not a timed test: missed targets are printed as FAIL in the report and do
# not fail this script; only errors do (a failed load, request, or verify).
#
#   scripts/scale-bench.sh                      # 20,000 petitions on SQLite (CI)
#   SCALE_N=1000000 SCALE_DIR=/var/tmp/xf1m scripts/scale-bench.sh
#   SCALE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/xf_scale scripts/scale-bench.sh
#   SCALE_PROFILE=dev SCALE_INTAKE=400 SCALE_SAMPLES=30 scripts/scale-bench.sh   # .ci/run
set -euo pipefail
cd "$(dirname "$0")/.."
N=${SCALE_N:-20000}
case "${SCALE_PROFILE:-release}" in
  release) bin=${CARGO_TARGET_DIR:-target}/release; cargo build --release -p xinfang -p xinfang-bench ;;
  dev) bin=${CARGO_TARGET_DIR:-target}/debug; cargo build -p xinfang -p xinfang-bench ;;
  *) echo "SCALE_PROFILE is release or dev" >&2; exit 2 ;;
esac
if [ -n "${SCALE_DIR:-}" ]; then
  dir=$SCALE_DIR
  mkdir -p "$dir"
else
  dir=$(mktemp -d "${TMPDIR:-/tmp}/xf-scale.XXXXXX")
  trap 'rm -rf "$dir"' EXIT
fi
dir=$(cd "$dir" && pwd)
url=${SCALE_DATABASE_URL:-sqlite://$dir/scale.db}
echo "province-scale benchmark: $N petitions, $(echo "$url" | sed 's#//[^@]*@#//***@#'), files in $dir" >&2
"$bin/xinfang-bench" load --dir "$dir" --database-url "$url" --petitions "$N" --fresh
"$bin/xinfang-bench" measure --dir "$dir" --database-url "$url" --intake "${SCALE_INTAKE:-2000}" --samples "${SCALE_SAMPLES:-100}" --out "$dir/report.md"
start=$(date +%s)
XINFANG_KEY_FILE="$dir/xinfang.key" XINFANG_CHECKPOINT_FILE="$dir/verify-checkpoint.json" XINFANG_LOG=warn \
  "$bin/xinfang" verify --database-url "$url"
echo "verify: $(( $(date +%s) - start )) s" >&2
