#!/usr/bin/env bash
# Installs the real servers Herald's tests run against (redis-server,
# redis-sentinel, ngircd) from Debian's packages when they are missing.
# Nothing is started here: each test starts its own on a free loopback port.
set -euo pipefail

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-sentinel >/dev/null || need+=(redis-sentinel)
command -v ngircd >/dev/null || [ -x /usr/sbin/ngircd ] || need+=(ngircd)
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${need[*]} from Debian's packages" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
