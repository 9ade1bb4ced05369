#!/bin/sh
# Initialises the data directory on first start (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB, as the official
# image does), then becomes the server as the postgres user (PID 1, so that signals reach it). Arguments after 'postgres' go to the server.
set -eu
[ "${1:-postgres}" = postgres ] && [ $# -gt 0 ] && shift
user="${POSTGRES_USER:-postgres}"
database="${POSTGRES_DB:-$user}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  password_file=$(mktemp)
  printf '%s' "${POSTGRES_PASSWORD:-}" > "$password_file"
  chown postgres "$password_file"
  method=trust
  [ -n "${POSTGRES_PASSWORD:-}" ] && method=scram-sha-256
  runuser -u postgres -- initdb -D "$PGDATA" -U "$user" --pwfile="$password_file" -A "$method" -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$password_file"
  echo "host all all all $method" >> "$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    echo "CREATE DATABASE \"$database\" OWNER \"$user\";" | runuser -u postgres -- postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "PostgreSQL init process complete; ready for start up."
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups postgres -D "$PGDATA" -c listen_addresses='*' "$@"
