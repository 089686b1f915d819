#!/usr/bin/env bash
# Makes sure a Docker engine answers. On a Debian machine as root it installs
# Debian's docker.io and starts dockerd with no bridge network: runs never get a
# network, and nothing here may send traffic anywhere. It also installs debootstrap,
# which building the language images without a registry needs.
set -euo pipefail
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap
fi
if docker info >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "No Docker engine answers. Install Docker (Debian: apt-get install docker.io)" >&2
  echo "and start it, or run this script as root on Debian to do both." >&2
  exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends docker.io
fi
if ! pgrep -x dockerd >/dev/null 2>&1; then
  mkdir -p /var/log
  nohup dockerd --bridge=none --iptables=false >/var/log/playground-dockerd.log 2>&1 &
fi
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 0.5
done
echo "dockerd did not answer within 30 s; see /var/log/playground-dockerd.log" >&2
exit 1
