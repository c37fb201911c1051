#!/usr/bin/env bash
# Run every fuzz target for a short time (default 20 s each). cargo-fuzz
# wants nightly features; RUSTC_BOOTSTRAP=1 lets the machine's one stable
# toolchain build them. Installs cargo-fuzz from crates.io if missing.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_EACH=${1:-20}
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
for target in $(cargo fuzz list); do
  echo "=== fuzz $target (${SECONDS_EACH}s)" >&2
  mkdir -p "corpus/$target"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 2>&1 | tail -n 3
done
