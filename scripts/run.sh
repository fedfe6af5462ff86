#!/usr/bin/env bash
# Runs one Herald node in raft mode with the shell adapter: the embedded
# default, which needs no server of any kind. Type to the bot in this
# terminal (try "ping", "echo hi", "help", "info", "note k v"); Ctrl-D or
# Ctrl-C stops it. Its data (the lists, notes, groups) is kept in
# .herald/data and survives a restart.
set -euo pipefail
bin=${1:-bin/herald}
data=${HERALD_RUN_DATA:-.herald/data}
http=${HERALD_RUN_HTTP:-127.0.0.1:8080}
raft=${HERALD_RUN_RAFT:-127.0.0.1:7001}

mkdir -p "$data"
echo "herald: one node, raft mode (data in $data), shell adapter, status on http://$http/"
echo "herald: type 'help' and press Enter; Ctrl-D to stop"
exec "$bin" node --mode raft --peers "$raft" --data-dir "$data" --adapter shell \
  --http-addr "$http"
