#!/usr/bin/env bash
# Installs Debian's Docker engine and busybox-static (test images are built FROM scratch
# with the static busybox: no registry is reachable), starts dockerd in its own session
# and waits until the engine answers. Safe to run again: it reuses a running engine.
set -euo pipefail

if ! command -v dockerd >/dev/null || [ ! -x /bin/busybox ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io busybox-static >/dev/null
fi

if docker info >/dev/null 2>&1; then
  echo "docker engine already running"
  exit 0
fi

# A dockerd that was killed leaves its pid file behind, and the next one refuses to start.
if [ -f /var/run/docker.pid ] && ! kill -0 "$(cat /var/run/docker.pid)" 2>/dev/null; then
  rm -f /var/run/docker.pid
fi
log=${DOCKERD_LOG:-/tmp/berth-dockerd.log}
setsid dockerd >"$log" 2>&1 </dev/null &

for _ in $(seq 1 120); do
  if docker info >/dev/null 2>&1; then
    echo "docker engine ready (API $(docker version --format '{{.Server.APIVersion}}'))"
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not answer within 60 s; its log ($log) ends with:" >&2
tail -n 20 "$log" >&2
exit 1
