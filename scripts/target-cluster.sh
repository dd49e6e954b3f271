#!/usr/bin/env bash
# A dedicated PostgreSQL 15 cluster that reviews are run against in tests and benchmarks:
# pg_stat_statements preloaded, the logging collector on with a known log_line_prefix,
# md5 allowed in pg_hba so planted weak-auth problems can exist. Never the service's own database.
#   scripts/target-cluster.sh start|stop|status   (port: TARGET_PG_PORT, default 5433)
set -euo pipefail
PORT="${TARGET_PG_PORT:-5433}"
BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
DATA="${TARGET_PG_DATA:-/tmp/pg-reviewer-target-$PORT}"
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start() {
  if as_postgres "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then return 0; fi
  if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$DATA"
    as_postgres "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
track_io_timing = on
logging_collector = on
log_directory = 'log'
log_filename = 'postgresql-%Y-%m-%d_%H%M%S.log'
log_line_prefix = '%m [%p] %q%u@%d '
log_min_duration_statement = 100
log_lock_waits = on
log_temp_files = 0
log_autovacuum_min_duration = 0
log_checkpoints = on
deadlock_timeout = 200ms
CONF
    cat >"$DATA/pg_hba.conf" <<HBA
local   all all                trust
host    all postgres 127.0.0.1/32 trust
host    all all      127.0.0.1/32 md5
host    all all      ::1/128      md5
HBA
  fi
  as_postgres "$BIN/pg_ctl" -D "$DATA" -l "$DATA/startup.log" -w -t 60 start >/dev/null
}

case "${1:-start}" in
  start) start; echo "target PostgreSQL on 127.0.0.1:$PORT (data $DATA)" ;;
  stop) as_postgres "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true ;;
  status) as_postgres "$BIN/pg_ctl" -D "$DATA" status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
