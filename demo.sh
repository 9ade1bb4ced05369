#!/usr/bin/env bash
# Runs the demo: a local PostgreSQL and the Pipedrive sandbox, two instances of Acme Group synced.
# Extra arguments go to 'crmetl demo' (e.g. --deals 5000 --exit).
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
dotnet run --project src/CrmEtl.Host -c Release -- demo "$@"
