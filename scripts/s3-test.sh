#!/usr/bin/env bash
# Run the objects test against a local S3-compatible server: moto's server
# (PyPI `moto[server]`, installed with pip if missing) on 127.0.0.1, a fresh
# bucket, and `cargo test -p xinfang --test objects` with XINFANG_TEST_S3
# pointing at it. If moto cannot be installed the test is skipped with the
# reason printed (exit 0). Extra arguments go to cargo test.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v moto_server >/dev/null; then
  echo "installing moto[server] from PyPI…" >&2
  if ! python3 -m pip install -q "moto[server]" >&2 || ! command -v moto_server >/dev/null; then
    echo "SKIPPED S3 objects test: moto[server] could not be installed from PyPI" >&2
    exit 0
  fi
fi

PORT=${XINFANG_S3_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
LOG=$(mktemp)
moto_server -H 127.0.0.1 -p "$PORT" >"$LOG" 2>&1 &
MOTO=$!
trap 'kill "$MOTO" 2>/dev/null || true; rm -f "$LOG"' EXIT
for _ in $(seq 1 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
  sleep 0.2
done
BUCKET=xinfang-test
curl -fsS -X PUT "http://127.0.0.1:$PORT/$BUCKET" >/dev/null
echo "moto S3 on 127.0.0.1:$PORT, bucket $BUCKET" >&2
XINFANG_TEST_S3="http://127.0.0.1:$PORT" XINFANG_TEST_S3_BUCKET=$BUCKET \
  cargo test -p xinfang --test objects "$@" -- s3_
