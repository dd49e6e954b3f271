#!/usr/bin/env bash
# The whole test suite: unit, analyses (against a dedicated target cluster) and integration,
# including the end-to-end run of the spec's curl examples under serverless-offline on :8000.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check-services.sh
# The report is checked in a real browser: Debian's chromium, driven by playwright-core.
if ! command -v chromium >/dev/null; then
  echo "Installing Debian's chromium for the report's browser test..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
# Local Node is 20; deployed functions run on nodejs22.x, where the SDK has no such warning.
export AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true
npx tsc --noEmit
# Lint (type-aware: floating promises, unused code, line length) and layout, before any test runs.
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check . ; echo 'Run npm run format to fix the layout.' >&2; exit 1; }
npx vitest run "$@"
