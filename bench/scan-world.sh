#!/bin/sh
# The scan benchmark's own network: a namespace whose DNS (dnsmasq) serves the world's names, so
# Poick, linkinator and LinkChecker all resolve hosts the normal way (getaddrinfo, /etc/resolv.conf).
#   sh bench/scan-world.sh up     # as root: installs the tools, makes the namespace, builds dist/
#   ip netns exec poick-bench node --import tsx bench/scan.bench.ts
#   sh bench/scan-world.sh down
set -eu
NS=poick-bench
case "${1:-up}" in
up)
  if ! command -v dnsmasq >/dev/null || ! command -v linkchecker >/dev/null || ! command -v ip >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dnsmasq-base iproute2 linkchecker time
  fi
  ip netns list | grep -qw "$NS" || ip netns add "$NS"
  ip netns exec "$NS" ip link set lo up
  # Every address of 10.77.0.0/16 is local inside the namespace (the world's hosts bind to them);
  # nothing in it reaches any other network.
  ip netns exec "$NS" ip route replace local 10.77.0.0/16 dev lo
  ip netns exec "$NS" ip addr replace 10.77.0.1/32 dev lo
  # `ip netns exec` bind-mounts this file over /etc/resolv.conf: the world's dnsmasq answers.
  mkdir -p "/etc/netns/$NS"
  echo "nameserver 10.77.0.1" > "/etc/netns/$NS/resolv.conf"
  cd "$(dirname "$0")/.." && npm run build --silent
  echo "ready: ip netns exec $NS node --import tsx bench/scan.bench.ts"
  ;;
down)
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "/etc/netns/$NS"
  ;;
*)
  echo "usage: $0 up|down" >&2
  exit 2
  ;;
esac
