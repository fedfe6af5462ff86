#!/usr/bin/env bash
# Saves a screenshot of a running Herald node's status page (GET /) as a
# PNG, taken with Debian's headless Chromium (installed when missing).
#
#   scripts/screenshot.sh OUT.png [ADDR]
#
# ADDR is the node's HOST:PORT or URL; default 127.0.0.1:8080. Chromium
# runs with a fresh profile in a temporary folder that is removed after.
set -euo pipefail

usage="usage: scripts/screenshot.sh OUT.png [HOST:PORT|URL]"
out=${1:?$usage}
addr=${2:-127.0.0.1:8080}
case $out in /*) ;; *) out=$PWD/$out ;; esac
case $addr in
  http://* | https://*) url=$addr ;;
  *) url=http://$addr ;;
esac
url=${url%/}/

# Fail with a clear message when nothing listens there, rather than
# saving a picture of Chromium's error page.
hostport=${url#*://}
hostport=${hostport%%/*}
host=${hostport%:*}
port=${hostport##*:}
host=${host#[}
host=${host%]}
if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
  echo "screenshot: cannot reach a node at $hostport: is it running?" >&2
  exit 1
fi

bin=$(command -v chromium || true)
if [ -z "$bin" ]; then
  "$(dirname "$0")/test-deps.sh" chromium
  bin=$(command -v chromium)
fi

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# --no-sandbox: Chromium's sandbox refuses to run as root, as on CI.
if ! timeout 60 "$bin" --headless --no-sandbox --disable-gpu --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --disable-quic --hide-scrollbars --user-data-dir="$dir/profile" \
  --window-size=1280,1000 --screenshot="$out" "$url" >"$dir/chromium.log" 2>&1; then
  cat "$dir/chromium.log" >&2
  echo "screenshot: chromium failed" >&2
  exit 1
fi
[ -s "$out" ] || { cat "$dir/chromium.log" >&2; echo "screenshot: no file written" >&2; exit 1; }
echo "screenshot: $url saved to $out"
