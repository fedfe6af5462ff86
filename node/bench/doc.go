// Package bench is Herald's cluster benchmark, run by `make bench`
// (scripts/bench.sh). Its tests start a real redis-server, a real ngircd
// and real `herald node` processes on loopback ports they pick, load them
// with wrk, and print the figures that DESIGN.md's "Promises to measure"
// asks for as one JSON object, so that runs can be compared.
//
// TestHarness runs HERALD_BENCH_NODES nodes (default 1) and measures:
//   - webhook intake: the recorded push payload posted by wrk over 64
//     connections for a bounded time, spread over every node, each
//     request signed and with its own X-GitHub-Delivery: requests per
//     second, latency percentiles and the answers that were not 202;
//   - webhook to chat: the lines the bot says in the channel during and
//     after the load until every accepted webhook is accounted for, and
//     how many webhooks each line stood for (notices are paced and
//     coalesced per room, so this is small by design);
//   - `ping` round trips through IRC, idle and while wrk saturates the
//     intake, and the ratio of their 99th percentiles;
//   - each node's resident memory after a settle time, and after the load.
//
// TestFailoverFigures runs three nodes with election.ttl 2s and measures,
// over several runs each, the time from a SIGKILL of the master until the
// next master answers a ping in chat, and the chat gap of a SIGTERM.
//
// Both tests skip unless HERALD_BENCH=1, so `go test ./...` stays fast.
// Other settings, all from the environment: HERALD_BENCH_NODES,
// HERALD_BENCH_DURATION (wrk's run, default 15s), HERALD_BENCH_PINGS
// (default 100), HERALD_BENCH_JOB_CONCURRENCY (default 4),
// HERALD_BENCH_OUT (a file for the harness JSON),
// HERALD_BENCH_FAILOVER_RUNS (default 5) and HERALD_BENCH_FAILOVER_OUT.
// HERALD_BIN names the binary; a race-detector build is flagged in the
// JSON, since its figures are not comparable.
//
// What the figures are not: wrk, Redis, ngircd, the IRC person and the
// nodes share the machine's cores, so every figure includes their
// contention, and other work on the machine shows up too; the JSON holds
// the load average before each phase so that runs can be judged. wrk
// keeps 64 requests in flight and sends the next one only when an answer
// arrives, so its latency understates the tail a sender at a fixed rate
// would see. Pings are timed by the person's client, in this test
// process, which waits for its share of the cores like everything else.
package bench
