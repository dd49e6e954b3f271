#!/usr/bin/env bash
# Says which service is missing and how to start it, in one sentence each. Used by `npm start` and `npm test`.
# The service database is the one DATABASE_URL names (default: the local PostgreSQL); Redis is REDIS_URL's.
set -uo pipefail
read -r PG_HOST PG_PORT REDIS_HOST REDIS_PORT < <(node -e '
  const pg = new URL(process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/reviewer");
  const redis = new URL(process.env.REDIS_URL || "redis://127.0.0.1:6379");
  console.log(pg.hostname || "127.0.0.1", pg.port || 5432, redis.hostname || "127.0.0.1", redis.port || 6379);
')
local_host() { [[ "$1" == 127.* || "$1" == localhost || "$1" == "::1" || "$1" == "[::1]" ]]; }
missing=0
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
  if local_host "$PG_HOST"; then
    echo "PostgreSQL is not running at $PG_HOST:$PG_PORT; start it with: pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
  else
    echo "PostgreSQL at $PG_HOST:$PG_PORT (from DATABASE_URL) does not answer; check that the server is up and reachable from here" >&2
  fi
  missing=1
fi
if ! (exec 3<>"/dev/tcp/$REDIS_HOST/$REDIS_PORT") 2>/dev/null; then
  if local_host "$REDIS_HOST"; then
    echo "Redis is not running at $REDIS_HOST:$REDIS_PORT; start it with: redis-server --daemonize yes --bind 127.0.0.1 --port $REDIS_PORT --save '' --appendonly no" >&2
  else
    echo "Redis at $REDIS_HOST:$REDIS_PORT (from REDIS_URL) does not answer; check that it is up and reachable from here" >&2
  fi
  missing=1
fi
exit $missing
