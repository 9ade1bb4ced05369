#!/usr/bin/env bash
# Runs every test project (unit and integration) against real PostgreSQL and the sandbox CRMs.
# Extra arguments go to 'dotnet test'.
set -euo pipefail
cd "$(dirname "$0")"
dotnet test CrmEtl.sln -c Release --logger "trx" --logger "console;verbosity=minimal" "$@"
