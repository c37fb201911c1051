#!/usr/bin/env bash
# Browser tests: the journeys of issue 4 in Debian's Chromium, driven by
# playwright-core from npm (no browser download). Installs chromium and
# CJK fonts with apt if missing, starts xinfang on a fresh SQLite database,
# runs tests/browser, and leaves screenshots in tests/browser/artifacts/.
# Arguments name test files to run alone (e.g. intelligence.test.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then
  echo "installing chromium and fonts-noto-cjk from Debian…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium fonts-noto-cjk >&2
fi
(cd tests/browser && npm ci --no-audit --no-fund --silent)
cargo build -q --bin xinfang
BIN="${CARGO_TARGET_DIR:-target}/debug/xinfang"
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Every journey logs in from 127.0.0.1: on an idle machine the suite logs in
# more than the default 30 times a minute, which the server rightly refuses.
XINFANG_LOGIN_PER_MINUTE=1000 XINFANG_KEY_FILE=$WORK/key XINFANG_DEMO_PETITIONS=false XINFANG_DEMO_HISTORY=800 "$BIN" serve --demo \
  --database-url "sqlite://$WORK/x.db" --listen "127.0.0.1:$PORT" 2>"$WORK/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 1 600); do curl -sf "127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
cd tests/browser
if [ "$#" -gt 0 ]; then FILES=("$@"); else FILES=(./*.test.mjs); fi
XINFANG_BASE="http://127.0.0.1:$PORT" CHROMIUM=$(command -v chromium) node --test --test-concurrency=1 "${FILES[@]}"
