#!/usr/bin/env bash
# Runs every test project (unit and integration) against real PostgreSQL and the sandbox CRMs, and the web console
# in a real headless Chromium.
# Every test takes "now" from one clock: CRMETL_TEST_NOW (an instant such as 2026-12-31T23:30:00Z) when set,
# else the time this script starts. It is printed first, so that a failure can be replayed on the same dates.
# Extra arguments go to 'dotnet test' (e.g. --filter ZohoMetricsTests).
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/postgres-binaries.sh
bash .ci/chromium.sh
export CRMETL_TEST_NOW="${CRMETL_TEST_NOW:-$(date -u +%Y-%m-%dT%H:%M:%SZ)}"
echo "Test clock: $CRMETL_TEST_NOW (replay: CRMETL_TEST_NOW=$CRMETL_TEST_NOW ./test.sh)"
dotnet test CrmEtl.sln -c Release --logger "trx" --logger "console;verbosity=minimal" "$@"
