#!/usr/bin/env bash
# Says which local service is missing and how to start it. Used by `npm start` and `npm test`.
set -uo pipefail
PGHOST_CHECK="${PGHOST_CHECK:-127.0.0.1}"; PGPORT_CHECK="${PGPORT_CHECK:-5432}"
REDIS_HOST="${REDIS_HOST:-127.0.0.1}"; REDIS_PORT="${REDIS_PORT:-6379}"
missing=0
if ! pg_isready -q -h "$PGHOST_CHECK" -p "$PGPORT_CHECK"; then
  echo "PostgreSQL is not reachable at $PGHOST_CHECK:$PGPORT_CHECK. Start it with:" >&2
  echo "  pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  missing=1
fi
if ! (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null; then
  echo "Redis is not reachable at $REDIS_HOST:$REDIS_PORT. Start it with:" >&2
  echo "  redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save '' --appendonly no" >&2
  missing=1
fi
exit $missing
