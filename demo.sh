#!/usr/bin/env bash
# Runs the demo: a local PostgreSQL, the Pipedrive and Zoho CRM sandboxes, three instances of Acme Group synced, a worker.
# Extra arguments go to 'crmetl demo' (e.g. --deals 5000 --exit).
set -euo pipefail
cd "$(dirname "$0")"
bash .ci/postgres-binaries.sh
dotnet run --project src/CrmEtl.Host -c Release -- demo "$@"
