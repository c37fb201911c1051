#!/usr/bin/env bash
# Property-based API testing: schemathesis (PyPI) generates requests from
# /api/openapi.json for every operation and fails on any 5xx answer. Runs
# once as a county clerk and once as an administrator, against a fresh
# SQLite database. Usage: scripts/schemathesis.sh [max-examples]
set -euo pipefail
cd "$(dirname "$0")/.."
EXAMPLES=${1:-30}
VENV=target/schemathesis-venv
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q schemathesis==4.32.5
fi
cargo build -q --bin xinfang
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
XINFANG_KEY_FILE=$WORK/key XINFANG_SUBMIT_PER_MINUTE=1000000 XINFANG_TRACK_PER_MINUTE=1000000 XINFANG_LOGIN_PER_MINUTE=1000000 \
  XINFANG_SUBMIT_PER_DAY=1000000000 XINFANG_SUBMIT_BYTES_PER_DAY=1000000000000 \
  XINFANG_DEMO_HISTORY=0 target/debug/xinfang serve --demo --database-url "sqlite://$WORK/x.db" --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -sf "127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
status=0
for user in ft_clerk admin; do
  TOKEN=$(curl -s -X POST "127.0.0.1:$PORT/api/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"username\":\"$user\",\"password\":\"Xinfang@2026\"}" | python3 -c 'import sys,json;print(json.load(sys.stdin)["token"])')
  echo "=== schemathesis as $user" >&2
  # Operations that end the session would log the run out half-way.
  (cd "$WORK" && "$OLDPWD/$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/openapi.json" \
    --checks not_a_server_error -H "Authorization: Bearer $TOKEN" -n "$EXAMPLES" --seed 1 \
    --exclude-path-regex '^/api/v1/(auth/logout|auth/logout-all|me/password|me/totp.*)$') || status=1
done
if grep -qiE "panicked" "$WORK/server.log"; then
  echo "the server panicked during the run:" >&2; grep -iE "panicked" "$WORK/server.log" >&2; status=1
fi
exit $status
