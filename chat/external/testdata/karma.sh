#!/bin/sh
# karma.sh DIR - "NAME++" as an external command (chat.commands). The
# message arrives as JSON on stdin, never in the arguments; the pattern's
# group "name" is \w+, so it is safe in a file name. Counts live in DIR,
# on this node only: share DIR between nodes, or use the Go API's store.
set -eu
name=$(sed -n 's/.*"groups":{"name":"\([A-Za-z0-9_]*\)"}.*/\1/p')
file="$1/karma.$name"
n=$(( $(cat "$file" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$file"
echo "$name has $n points"
