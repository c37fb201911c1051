#!/usr/bin/env bash
# Print the URL of a PostgreSQL server the test suite may use, starting one
# if none answers. Reuses a server on 127.0.0.1:5432 (trust auth, user
# postgres) when there is one; otherwise installs Debian's postgresql and
# starts a private cluster on 127.0.0.1:24532 under /tmp (nothing else on
# the machine is touched). XINFANG_PG_PRIVATE=1 skips the reuse.
# Messages go to stderr; the URL to stdout.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ -z "${XINFANG_PG_PRIVATE:-}" ] && answers 5432 && command -v psql >/dev/null && psql -h 127.0.0.1 -p 5432 -U postgres -Atqc 'select 1' >/dev/null 2>&1; then
  echo "postgres://postgres@127.0.0.1:5432/postgres"
  exit 0
fi

# Below the ephemeral range, so no outgoing connection can hold it.
PORT=24532
# Its own directory: a cluster of the old port may still run from /tmp/xinfang-pg.
DATA=/tmp/xinfang-pg-$PORT
if ! answers "$PORT"; then
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
  fi
  BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
  if [ ! -f "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA" && mkdir -p "$DATA" && chown postgres "$DATA"
    su postgres -s /bin/sh -c "$BIN/initdb -D $DATA -A trust -U postgres" >&2
  fi
  su postgres -s /bin/sh -c "$BIN/pg_ctl -D $DATA -l $DATA/log -o '-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off' -w start" >&2
fi
echo "postgres://postgres@127.0.0.1:$PORT/postgres"
