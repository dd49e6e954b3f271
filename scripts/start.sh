#!/usr/bin/env bash
# Starts everything locally: migrations, the Redis REST endpoint, and serverless-offline on :8000
# with the tick and the consumer firing every minute. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-services.sh
npx tsx scripts/prepare-database.ts

export REDIS_REST_PORT="${REDIS_REST_PORT:-8079}"
export UPSTASH_REDIS_REST_URL="${UPSTASH_REDIS_REST_URL:-http://127.0.0.1:$REDIS_REST_PORT}"
export UPSTASH_REDIS_REST_TOKEN="${UPSTASH_REDIS_REST_TOKEN:-local-dev-token}"
# run, queue and the tick start the consumer through serverless-offline's Lambda port.
export LAMBDA_ENDPOINT="${LAMBDA_ENDPOINT:-http://127.0.0.1:3002}"
# Local Node is 20; deployed functions run on nodejs22.x, where the SDK has no such warning.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

npx tsx scripts/redis-rest/server.ts &
rest_pid=$!
trap 'kill $rest_pid 2>/dev/null || true' EXIT INT TERM

npx serverless offline start --stage dev
