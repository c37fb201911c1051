#!/usr/bin/env bash
# Times the figures and the inbox pages, per level, on a database the scale
# benchmark loaded (`xinfang-bench load`): five requests each of a month's
# statistics (with the units below), the dashboard, the workbench inbox
# (/staff, HTML) and a 100-row JSON inbox, for the four units of its
# manifest. With ONE="UNIT PATH" it makes one warm request instead and
# prints each SQL statement's time (sqlx's statement log).
#
#   scripts/figures-probe.sh BIN DIR DATABASE_URL
#   ONE="GD441781-RST /api/v1/dashboard" scripts/figures-probe.sh BIN DIR DATABASE_URL
#
# Not a benchmark of record (docs/performance.md says which numbers came
# from it); it needs curl and python3.
set -euo pipefail
BIN=$1; DIR=$(cd "$2" && pwd); URL=$3
PORT=${PORT:-8099}
CONF=$(mktemp); LOG=$(mktemp)
trap 'rm -f "$CONF" "$LOG"' EXIT
cat > "$CONF" <<TOML
listen = "127.0.0.1:$PORT"
database_url = "$URL"
key_file = "$DIR/xinfang.key"
checkpoint_file = "$DIR/checkpoint.json"
object_store_url = "file://$DIR/objects"
demo = false
ranking_schedule = ""
triage_training_schedule = ""
TOML
level=warn
[[ -n "${ONE:-}" ]] && level="warn,sqlx::query=debug"
XINFANG_LOG=$level "$BIN" serve --config "$CONF" > "$LOG" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -f "$CONF" "$LOG"' EXIT
B=http://127.0.0.1:$PORT
until curl -s -o /dev/null "$B/healthz"; do sleep 0.2; done
token() {
  curl -s -X POST "$B/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$1.clerk\",\"password\":\"Bench@Scale-2026\"}" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
get() { curl -s -o /dev/null -w '%{time_total}' -H "authorization: Bearer $1" -H "cookie: xf_session=$1" "$B$2"; }
if [[ -n "${ONE:-}" ]]; then
  read -r unit path <<< "$ONE"
  t=$(token "$unit"); get "$t" "$path" > /dev/null; sleep 2.5
  before=$(wc -l < "$LOG")
  echo "total $(get "$t" "$path") s"; sleep 0.3
  tail -n +"$((before + 1))" "$LOG" | sed 's/\x1b\[[0-9;]*m//g' | python3 -c '
import re, sys
for line in sys.stdin:
    e = re.search(r"elapsed=([0-9.]+\S*)", line); r = re.search(r"rows_returned=(\d+)", line)
    s = re.search(r"summary=\"([^\"]{0,100})", line)
    if e: print(e.group(1), r.group(1) if r else "", s.group(1) if s else "")'
  exit 0
fi
month_from=$(date -d "$(date +%Y-%m-01) -1 month" +%Y-%m-%d); month_to=$(date -d "$(date +%Y-%m-01) -1 day" +%Y-%m-%d)
units=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["township"], m["county_department"], m["city_bureau"], m["province_bureau"])' "$DIR/manifest.json")
for u in $units; do
  t=$(token "$u")
  for path in "/api/v1/statistics?unit=$u&from=$month_from&to=$month_to&subtree=true" /api/v1/dashboard /staff \
              "/api/v1/petitions?unit=$u&sort=due&per_page=100"; do
    printf '%s %s:' "$u" "$path"
    for _ in 1 2 3 4 5; do printf ' %s' "$(get "$t" "$path")"; done
    echo
  done
done
