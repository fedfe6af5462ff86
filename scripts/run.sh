#!/usr/bin/env bash
# Runs one Herald node with the shell adapter: type to the bot in this
# terminal (try "ping", "echo hi", "help", "info"), Ctrl-D or Ctrl-C to stop.
# It starts a private redis-server on a free loopback port for the run,
# installing it from Debian's packages when missing, and stops it after.
set -euo pipefail
bin=${1:-bin/herald}

free_port() {
  local p
  for p in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "no free port found" >&2; return 1
}

command -v redis-server >/dev/null || ./scripts/test-deps.sh
dir=$(mktemp -d)
port=$(free_port)
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$dir" \
  --daemonize no --loglevel warning >"$dir/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done

echo "herald: one node, shell adapter, redis on 127.0.0.1:$port, http on 127.0.0.1:8080"
echo "herald: type 'help' and press enter; Ctrl-D to stop"
HERALD_REDIS_ADDR="127.0.0.1:$port" "$bin" node --adapter shell --id local \
  --http-addr 127.0.0.1:8080
