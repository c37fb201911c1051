#!/usr/bin/env bash
# Failover drill (issue 9, item 3; docs/deployment.md "Standby and failover").
#
# On this machine, with Debian's PostgreSQL (installed if missing; run as
# root, the clusters run as the postgres user), under a private directory
# in /tmp:
#   1. a primary cluster on 127.0.0.1:24632 and a hot standby on :24633,
#      made with `pg_basebackup -R`, in synchronous replication
#      (synchronous_standby_names = the standby, synchronous_commit =
#      remote_apply: a commit is acknowledged only once the standby has
#      applied it);
#   2. `xinfang serve` on the primary with --read-database-url on the standby;
#   3. a client (scripts/failover_client.py) submitting petitions through the
#      HTTP API without pause, recording every acknowledged petition number;
#   4. mid-stream the standby falls behind (the primary's WAL sender is
#      frozen for DRILL_LAG seconds), the primary is stopped hard (`pg_ctl stop -m
#      immediate`), the standby promoted (`pg_ctl promote`), and the node
#      restarted on it;
#   5. the client goes on, then stops; every acknowledged number must be on
#      the new primary, and `xinfang verify` must pass against it.
# Prints a summary and exits non-zero if any acknowledged petition is
# missing or the record does not verify. Cleans up after itself.
#
# Settings (environment): DRILL_BEFORE / DRILL_AFTER seconds of load before
# the failover and after the node is back (default 10 / 10), DRILL_WORKERS
# client threads (4), DRILL_LAG seconds the primary's WAL sender is frozen
# just before the primary is stopped (1.5; 0: none), DRILL_ASYNC=1 runs the same drill with asynchronous
# replication (to see what synchronous replication buys), DRILL_KEEP=1
# keeps the directory, DRILL_RELEASE=1 builds and runs the release binary,
# DRILL_BINARY=path runs that binary without building (CI: the one
# `cargo test` has just built).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

# Below the kernel's ephemeral range (ip_local_port_range, 32768–60999 on
# Debian): a port inside it can be held by any outgoing connection's local
# end — CI once lost the drill to the standby's own replication connection
# sitting on the HTTP port (EADDRINUSE), which no listen check can foresee.
P_PORT=24632
S_PORT=24633
HTTP_PORT=24680
BEFORE=${DRILL_BEFORE:-10}
AFTER=${DRILL_AFTER:-10}
WORKERS=${DRILL_WORKERS:-4}
LAG=${DRILL_LAG:-1.5}

say() { echo "[drill $(date +%T)] $*" >&2; }
answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
now() { date +%s.%N; }

if [ "$(id -u)" != 0 ]; then
  echo "run as root: the clusters are started as the postgres user (su postgres)" >&2
  exit 2
fi
for port in $P_PORT $S_PORT $HTTP_PORT; do
  if answers "$port"; then
    echo "port $port is in use: an earlier drill still running?" >&2
    exit 2
  fi
done

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing PostgreSQL from Debian's packages…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
for tool in python3 curl; do
  command -v "$tool" >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done

if [ -n "${DRILL_BINARY:-}" ]; then
  XINFANG=$(realpath "$DRILL_BINARY")
  [ -x "$XINFANG" ] || { echo "DRILL_BINARY $DRILL_BINARY is not an executable" >&2; exit 2; }
  say "using $XINFANG"
elif [ -n "${DRILL_RELEASE:-}" ]; then
  say "building xinfang (release)"
  cargo build --release -q -p xinfang --bin xinfang
  XINFANG="${CARGO_TARGET_DIR:-$REPO/target}/release/xinfang"
else
  say "building xinfang"
  cargo build -q -p xinfang --bin xinfang
  XINFANG="${CARGO_TARGET_DIR:-$REPO/target}/debug/xinfang"
fi

DIR=$(mktemp -d /tmp/xinfang-drill.XXXXXX)
# The clusters' logs and sockets go here too: the postgres user owns it.
chmod 755 "$DIR"
chown postgres "$DIR"
mkdir -p "$DIR/node"
NODE_PID=""
CLIENT_PID=""
pg() { su postgres -s /bin/sh -c "$*"; }

cleanup() {
  set +e
  [ -n "$CLIENT_PID" ] && { touch "$DIR/stop"; kill "$CLIENT_PID" 2>/dev/null; }
  [ -n "$NODE_PID" ] && { kill -KILL "$NODE_PID" 2>/dev/null; wait "$NODE_PID" 2>/dev/null; }
  for c in primary standby; do
    [ -f "$DIR/$c/postmaster.pid" ] && pg "$BIN/pg_ctl -D $DIR/$c -m immediate stop" >/dev/null 2>&1
  done
  if [ -n "${DRILL_KEEP:-}" ]; then
    echo "kept $DIR" >&2
  else
    rm -rf "$DIR"
  fi
}
trap cleanup EXIT

PRIMARY="postgres://postgres@127.0.0.1:$P_PORT/xinfang"
STANDBY="postgres://postgres@127.0.0.1:$S_PORT/xinfang"
psql_p() { "$BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$1" -U postgres -At "${@:2}"; }

say "primary cluster on :$P_PORT"
mkdir "$DIR/primary" && chown postgres "$DIR/primary"
pg "$BIN/initdb -D $DIR/primary -A trust -U postgres" >/dev/null
cat >>"$DIR/primary/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $P_PORT
unix_socket_directories = '$DIR'
wal_level = replica
max_wal_senders = 5
hot_standby = on
EOF
pg "$BIN/pg_ctl -D $DIR/primary -l $DIR/primary.log -w start" >/dev/null
psql_p $P_PORT -d postgres -c "CREATE DATABASE xinfang"

say "standby on :$S_PORT (pg_basebackup -R)"
pg "$BIN/pg_basebackup -h 127.0.0.1 -p $P_PORT -U postgres -D $DIR/standby -R -X stream -c fast"
# The standby names itself for synchronous_standby_names; on promotion it
# becomes a primary with no standby of its own, so nothing waits for one.
cat >>"$DIR/standby/postgresql.auto.conf" <<EOF
port = $S_PORT
primary_conninfo = 'host=127.0.0.1 port=$P_PORT user=postgres application_name=standby1'
synchronous_standby_names = ''
EOF
pg "$BIN/pg_ctl -D $DIR/standby -l $DIR/standby.log -w start" >/dev/null

if [ -z "${DRILL_ASYNC:-}" ]; then
  MODE="synchronous (remote_apply)"
  psql_p $P_PORT -d postgres -c "ALTER SYSTEM SET synchronous_standby_names = 'standby1'" \
    -c "ALTER SYSTEM SET synchronous_commit = 'remote_apply'" -c "SELECT pg_reload_conf()" >/dev/null
  want=sync
else
  MODE="asynchronous"
  want=async
fi
for _ in $(seq 1 50); do
  state=$(psql_p $P_PORT -d postgres -c "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'standby1'" || true)
  [ "$state" = "$want" ] && break
  sleep 0.2
done
[ "$state" = "$want" ] || { echo "standby not in $want replication (state: '$state')" >&2; exit 1; }
say "replication: $MODE, standby state '$state'"

# The node's configuration: the environment only (no xinfang.toml is read
# from $DIR), limits raised for one client address submitting all day.
export XINFANG_KEY_FILE="$DIR/node/xinfang.key"
export XINFANG_LISTEN="127.0.0.1:$HTTP_PORT"
export XINFANG_DEMO=true XINFANG_DEMO_PETITIONS=false XINFANG_DEMO_HISTORY=0
export XINFANG_SUBMIT_PER_MINUTE=100000000 XINFANG_SUBMIT_PER_DAY=100000000 XINFANG_SUBMIT_BYTES_PER_DAY=1000000000000
export XINFANG_LOGIN_PER_MINUTE=100000
# A signed checkpoint of every chain head every 2 s, in the database and
# in a file beside the key file (outside the database): `verify` then also
# notices a promoted standby that lacks what a checkpoint had seen.
export XINFANG_CHECKPOINT_INTERVAL_SECONDS=2
export XINFANG_LOG=${XINFANG_LOG:-warn}
unset XINFANG_CONFIG XINFANG_READ_DATABASE_URL XINFANG_DATABASE_URL

start_node() { # database url, [read url]
  local read=()
  [ -n "${2:-}" ] && read=(--read-database-url "$2")
  (cd "$DIR" && exec "$XINFANG" --database-url "$1" serve "${read[@]}") >>"$DIR/node.log" 2>&1 &
  NODE_PID=$!
  for _ in $(seq 1 600); do
    if curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" >"$DIR/ready.txt" 2>/dev/null; then return 0; fi
    kill -0 "$NODE_PID" 2>/dev/null || { tail -20 "$DIR/node.log" >&2; return 1; }
    sleep 0.1
  done
  echo "node not ready after 60 s" >&2
  tail -20 "$DIR/node.log" >&2
  return 1
}

say "xinfang serve on the primary, reading lists from the standby"
start_node "$PRIMARY" "$STANDBY"
sed 's/^/    readyz: /' "$DIR/ready.txt" >&2

say "client: $WORKERS threads submitting online petitions"
python3 "$REPO/scripts/failover_client.py" "http://127.0.0.1:$HTTP_PORT" "$DIR/acked.txt" "$DIR/stop" "$WORKERS" >"$DIR/client.json" &
CLIENT_PID=$!
sleep "$BEFORE"
replica_reads=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/metrics" | grep '^xinfang_replica_reads_total' | sed 's/^xinfang_replica_reads_total{served_by="\(.*\)"} /\1 /' | tr '\n' ' ' || true)
readyz_before=$(curl -fsS "http://127.0.0.1:$HTTP_PORT/readyz" | tail -1 || true)

# A standby that falls behind just before the primary dies (a slow link, a
# busy disk): the primary's WAL sender is frozen for $LAG s and dies with
# the primary, so the WAL of that window never reaches the standby. With
# synchronous replication no commit is acknowledged meanwhile (writes
# wait); with asynchronous replication commits go on being acknowledged.
sender=""
if [ "$LAG" != 0 ]; then
  sender=$(psql_p $P_PORT -d postgres -c "SELECT pid FROM pg_stat_replication WHERE application_name = 'standby1'")
  say "primary's WAL sender (pid $sender) frozen for $LAG s: the standby falls behind"
  kill -STOP "$sender"
  sleep "$LAG"
fi
before_acked=$(wc -l <"$DIR/acked.txt")
say "FAILOVER: primary stopped hard (pg_ctl stop -m immediate) after $before_acked acknowledged"
t_kill=$(now)
pg "$BIN/pg_ctl -D $DIR/primary -m immediate -W stop" >/dev/null
[ -n "$sender" ] && kill -KILL "$sender" 2>/dev/null
for _ in $(seq 1 100); do [ -f "$DIR/primary/postmaster.pid" ] || break; sleep 0.05; done
[ -f "$DIR/primary/postmaster.pid" ] && { echo "the primary did not stop" >&2; exit 1; }
say "promoting the standby (pg_ctl promote)"
pg "$BIN/pg_ctl -D $DIR/standby -w promote" >/dev/null
t_promoted=$(now)
say "restarting the node on the new primary"
kill -TERM "$NODE_PID" 2>/dev/null || true
for _ in $(seq 1 10); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
kill -KILL "$NODE_PID" 2>/dev/null || true
wait "$NODE_PID" 2>/dev/null || true
NODE_PID=""
start_node "$STANDBY"
t_back=$(now)
say "node ready on the new primary"

sleep "$AFTER"
touch "$DIR/stop"
wait "$CLIENT_PID"
CLIENT_PID=""
kill -TERM "$NODE_PID" 2>/dev/null || true
wait "$NODE_PID" 2>/dev/null || true
NODE_PID=""

say "checking every acknowledged petition on the new primary"
# By number and title: after a loss the sequence on the new primary is
# behind, and a lost petition's number is given to another one.
cut -f1,2 "$DIR/acked.txt" | sort -u >"$DIR/acked-numbers.txt"
acked=$(wc -l <"$DIR/acked-numbers.txt")
psql_p $S_PORT -d xinfang \
  -c "CREATE TEMP TABLE acked (number text NOT NULL, title text NOT NULL)" \
  -c "\\copy acked FROM '$DIR/acked-numbers.txt'" \
  -c "\\o $DIR/missing.txt" \
  -c "SELECT a.number, a.title, COALESCE('number now on: ' || p.title, 'number not on the new primary') FROM acked a LEFT JOIN petitions p ON p.number = a.number WHERE p.title IS DISTINCT FROM a.title ORDER BY a.number" \
  -c "\\o $DIR/extra.txt" \
  -c "SELECT count(*) FROM petitions p WHERE NOT EXISTS (SELECT 1 FROM acked a WHERE a.number = p.number AND a.title = p.title)"
lost=$(grep -c . "$DIR/missing.txt" || true)
found=$((acked - lost))
extra=$(cat "$DIR/extra.txt")

say "xinfang verify against the new primary"
set +e
verify_out=$(cd "$DIR" && "$XINFANG" --database-url "$STANDBY" verify 2>&1)
verify_rc=$?
set -e

client=$(cat "$DIR/client.json")
outage=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['longest_gap_seconds'])" "$client")
failed=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['failed'])" "$client")
promote_s=$(python3 -c "print(round($t_promoted - $t_kill, 2))")
back_s=$(python3 -c "print(round($t_back - $t_kill, 2))")

echo
echo "failover drill: $MODE replication, $WORKERS client threads, standby held ${LAG} s behind before the primary stopped"
echo "  acknowledged petitions : $acked ($before_acked before the primary was stopped)"
echo "  found on new primary   : $found"
echo "  lost                   : $lost"
echo "  on new primary, never acknowledged (in flight at the stop): $extra"
echo "  failed submissions     : $failed (refused or timed out during the failover; not acknowledged, so not counted)"
echo "  primary stop -> standby promoted : ${promote_s} s"
echo "  primary stop -> node ready again : ${back_s} s"
echo "  unavailability (longest gap between acknowledgements, the freeze included): ${outage} s"
lists_ok=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['lists_ok'])" "$client")
lists_failed=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['lists_failed'])" "$client")
echo "  petition lists read    : $lists_ok ok, $lists_failed failed"
echo "  list reads before the failover (store calls): ${replica_reads:-none}"
echo "  readyz before the failover: $readyz_before"
echo "  xinfang verify (exit $verify_rc):"
echo "$verify_out" | grep -v '^\s*$' | tail -5 | sed 's/^/    /'
if [ "$lost" -gt 0 ]; then
  echo "LOST (acknowledged, not on the new primary):"
  sed 's/^/  /' "$DIR/missing.txt"
fi
if [ "$lost" -gt 0 ] || [ "$verify_rc" -ne 0 ]; then
  exit 1
fi
echo "drill passed: zero acknowledged petitions lost, hash chains verify"
