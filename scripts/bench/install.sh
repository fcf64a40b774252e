#!/bin/sh
# Installs what `npm run bench -- proxy` needs and berth does not: nginx (the proxy it is compared
# with, and the backend both proxies forward to) and wrk (the load generator), from Debian's
# packages. Idempotent: does nothing when both are there. Needs root (or sudo) and apt-get.
set -eu

missing=""
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
command -v wrk >/dev/null 2>&1 || missing="$missing wrk"
command -v taskset >/dev/null 2>&1 || missing="$missing taskset"
if [ -z "$missing" ]; then
  echo "bench: nginx, wrk and taskset are installed"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "bench: missing:$missing; this script installs them with apt-get (Debian, Ubuntu); install them by hand here" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "bench: missing:$missing; run this script as root to install them" >&2
    exit 1
  fi
fi

$SUDO apt-get update -qq
packages=""
for tool in $missing; do
  case "$tool" in
    nginx)
      # nginx-light is the smallest build with the proxy and upstream modules (Debian 11, 12);
      # later releases dropped it: plain nginx then.
      if apt-cache show nginx-light >/dev/null 2>&1; then packages="$packages nginx-light"; else packages="$packages nginx"; fi
      ;;
    wrk) packages="$packages wrk" ;;
    taskset) packages="$packages util-linux" ;;
  esac
done
# The package's post-install starts a system nginx on port 80 where a service manager runs; the
# bench never uses it (it runs its own instances, with their own configs, on free ports).
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $packages
echo "bench: installed$packages"
