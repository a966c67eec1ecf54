#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the journal's tests and export its URL as
# SLEEPTWITCH_TEST_POSTGRES_URL. Source it: `source .ci/postgres.sh`. Installs the server with
# apt-get when it is missing.
set -euo pipefail
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  PG_BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
PG_PORT=${PG_PORT:-54329}
PG_DIR=$(mktemp -d /tmp/sleeptwitch-pg.XXXXXX)
chown postgres "$PG_DIR"
run_pg() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
run_pg "$PG_BIN/initdb -D $PG_DIR/data -U postgres --auth=trust -E UTF8 >/dev/null"
run_pg "$PG_BIN/pg_ctl -D $PG_DIR/data -o '-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off' -l $PG_DIR/log -w start >/dev/null"
run_pg "$PG_BIN/createdb -h 127.0.0.1 -p $PG_PORT -U postgres sleeptwitch_test"
export SLEEPTWITCH_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/sleeptwitch_test"
export SLEEPTWITCH_PG_DIR="$PG_DIR" SLEEPTWITCH_PG_BIN="$PG_BIN"
echo "PostgreSQL $($PG_BIN/postgres --version | awk '{print $3}') on 127.0.0.1:$PG_PORT"
