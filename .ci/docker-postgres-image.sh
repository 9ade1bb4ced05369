#!/usr/bin/env bash
# Makes sure a Docker engine answers on this machine and that the tests' PostgreSQL image exists, building it from
# Debian's packages when it does not (no registry is reachable here, so nothing is pulled). Says what it did.
#   1. docker.io and debootstrap are installed with apt-get when missing;
#   2. dockerd is started (published ports on 127.0.0.1 only) when no engine answers;
#   3. crmetl-test/postgres:15 is built when missing or its recipe changed: a debootstrap root of bookworm (minbase + postgresql-15)
#      imported as a base image (kept), and .ci/postgres-image on top. An up-to-date image is kept.
set -euo pipefail
cd "$(dirname "$0")"
image="${CRMETL_TEST_PG_IMAGE:-crmetl-test/postgres:15}"
export DOCKER_API_VERSION=1.41 # Debian's engine speaks API 1.41

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  echo "Installing docker.io and debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  echo "Starting dockerd (published ports on 127.0.0.1)"
  nohup dockerd --ip 127.0.0.1 > /tmp/crmetl-dockerd.log 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/crmetl-dockerd.log" >&2; exit 1; }
fi
# The image is rebuilt when its recipe (postgres-image/) changed; the Debian root under it only when it is missing.
recipe=$(cat postgres-image/* | sha256sum | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "crmetl.recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
  echo "Image $image is there"
  exit 0
fi
base=crmetl-test/debian-postgres-base:15
if ! docker image inspect "$base" >/dev/null 2>&1; then
  echo "Building $base from Debian's packages (debootstrap)"
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  debootstrap --variant=minbase --include=postgresql-15 bookworm "$root" http://deb.debian.org/debian >/dev/null
  # The package's own cluster and the download cache are not part of the image: the entrypoint makes the cluster.
  rm -rf "$root"/var/lib/postgresql/15 "$root"/etc/postgresql/15/main "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import - "$base" >/dev/null
fi
if ! built=$(docker build -q --label "crmetl.recipe=$recipe" -t "$image" postgres-image 2>&1); then
  echo "$built" >&2
  exit 1
fi
echo "Built $image"
