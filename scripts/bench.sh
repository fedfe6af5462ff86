#!/usr/bin/env bash
# Herald's cluster benchmark, run by `make bench`: a real redis-server, a
# real ngircd and real herald nodes on loopback, loaded by wrk. It prints
# the figures as JSON; the test's full log goes to a file named at the end.
#
#   scripts/bench.sh            the harness (HERALD_BENCH_NODES nodes, default 1)
#   scripts/bench.sh failover   the failover figures (3 nodes, election.ttl 2s)
#   scripts/bench.sh all        both
#
# Settings are HERALD_BENCH_* variables, described in node/bench's package
# doc (go doc ./node/bench). HERALD_BIN names the binary, which should not
# be a race-detector build; without it the test builds one. wrk, redis-server
# and ngircd are installed from Debian's packages when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-harness}
case "$mode" in
  harness) run='^TestHarness$' ;;
  failover) run='^TestFailoverFigures$' ;;
  all) run='^(TestHarness|TestFailoverFigures)$' ;;
  *) echo "usage: $0 [harness|failover|all]" >&2; exit 2 ;;
esac

if command -v wrk >/dev/null; then
  ./scripts/test-deps.sh
else
  ./scripts/test-deps.sh wrk
fi

# The test runs in its package's folder: make every path absolute.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
abs() { realpath -m -- "$1"; }
[ -n "${HERALD_BIN:-}" ] && HERALD_BIN=$(abs "$HERALD_BIN") && export HERALD_BIN
out=$(abs "${HERALD_BENCH_OUT:-$work/harness.json}")
fout=$(abs "${HERALD_BENCH_FAILOVER_OUT:-$work/failover.json}")
log=$(mktemp "${TMPDIR:-/tmp}/herald-bench.XXXXXX.log")
rm -f "$out" "$fout"

echo "herald bench: $mode on $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)," \
  "log in $log" >&2
status=0
HERALD_BENCH=1 HERALD_BENCH_OUT=$out HERALD_BENCH_FAILOVER_OUT=$fout \
  ${GO:-go} test ./node/bench -run "$run" -count=1 -v -timeout 30m >"$log" 2>&1 || status=$?
grep -E '^(--- |FAIL|ok|PASS)' "$log" >&2 || true
for f in "$out" "$fout"; do
  [ -s "$f" ] && cat "$f"
done
exit "$status"
