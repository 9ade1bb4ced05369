#!/usr/bin/env bash
# Installs Debian's PostgreSQL server (initdb, pg_ctl) when it is missing: the demo's throwaway server and the tests'
# fallback (and their local-binaries test) run on it. Used by ./demo.sh and ./test.sh.
if ! command -v pg_ctl >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  echo "PostgreSQL server binaries missing: installing postgresql"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
