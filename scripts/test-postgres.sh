#!/usr/bin/env bash
# Run the whole test suite against PostgreSQL (a fresh database per test).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
URL=$(scripts/postgres.sh)
echo "PostgreSQL test server: $URL" >&2
# Drop databases left by an earlier interrupted run.
if command -v psql >/dev/null; then
  for db in $(psql "$URL" -Atqc "select datname from pg_database where datname like 'xf_test_%'" 2>/dev/null); do
    psql "$URL" -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  done
fi
XINFANG_TEST_DATABASE_URL="$URL" cargo test --workspace "$@"
