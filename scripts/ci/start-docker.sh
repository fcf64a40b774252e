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
# Its pid may still answer kill -0 as an unreaped zombie: look at its state instead.
running_dockerd() {
  local pid stat
  pid=$(cat /var/run/docker.pid 2>/dev/null) || return 1
  stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
  case "$stat" in *"(dockerd)"\ [RSD]*) return 0 ;; *) return 1 ;; esac
}
# One that is still going away (just killed) gets a few seconds to finish.
for _ in $(seq 1 20); do
  running_dockerd || break
  docker info >/dev/null 2>&1 && { echo "docker engine already running"; exit 0; }
  sleep 0.5
done
if running_dockerd; then
  echo "a dockerd (pid $(cat /var/run/docker.pid)) runs but does not answer; stop it and run this again" >&2
  exit 1
fi
rm -f /var/run/docker.pid
# The containerd that dockerd runs leaves a pid file of its own, with the same trouble.
containerd_pid=$(cat /var/run/docker/containerd/containerd.pid 2>/dev/null || true)
if [ -n "$containerd_pid" ] && ! grep -qs "(containerd) [RSD]" "/proc/$containerd_pid/stat"; then
  rm -f /var/run/docker/containerd/containerd.pid
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
