// Package chaos is Herald's fault-injection suite: real Redis, a real IRC
// server (ngircd) and three real `herald node` processes, a person in #ops
// who says numbered echo commands at a steady rate, and a scheduler that
// kills, terminates, pauses and restarts nodes, and restarts Redis once,
// from a seed it prints. A checker then holds what the person saw in the
// channel against what the nodes logged.
//
// The package holds the parts that need no servers, so that they are
// tested on their own: the suite's Config, the seeded Plan of faults, the
// parsing of node logs, and Check, which turns what was recorded into a
// Report. The tests of the package run the servers: TestChaos, and one
// test per fault (a paused master, a Redis restart, a Redis that hangs,
// dead letters through the admin API).
//
// # What the suite proves, and what it does not
//
// The checker fails the run on any echo that was heard and never
// answered, on any echo answered twice, and on any reply that reached the
// channel from a node whose term had already ended (by its own log, or
// because a newer term had started on another node).
//
// A message the person says while no live bot is in #ops is seen by no
// one: IRC keeps no history. The person therefore marks each send as
// heard or unheard at the moment it is said. It is unheard when no bot
// connection of a running, unpaused node is in the channel, while Redis
// is down or recovering, and while a resumed master has neither renewed
// its term nor left the channel. Unheard sends are counted and reported;
// they fail the run only when answered twice. Sends are never held back:
// the rate stays steady through every fault.
//
// A fault on the node that holds the chat connection waits, at most two
// seconds, until the last heard echo was answered, so that the fault does
// not land in the one window the node package documents as lossy (a
// message read from chat but not yet on the inbound list). Faults on
// other nodes and on Redis wait for nothing.
//
// At most one fault is active at a time: a node is restarted (or
// continued) before the next fault begins, so two nodes of three are
// always able to serve. A cut network between one node and Redis is not
// among the faults: it needs network namespaces and addresses outside
// loopback.
//
// # Running it
//
// TestChaos is skipped under -short. Without settings it runs a little
// over a minute: 60 seconds of traffic at 5 messages a second (300
// messages) with a fault starting 2 to 6 seconds after the previous one
// ended (about 10 faults), then a drain of at most 30 seconds, usually a
// few. The long form is `make chaos`, which runs
//
//	go test ./node/chaos -run TestChaos -count=1 -v -timeout 60m
//
// with HERALD_CHAOS_DURATION=10m; add HERALD_CHAOS_INTERVAL=8s for about
// one fault in ten seconds, and make the duration 11m for more than 3,000
// messages at the default rate. These environment variables, or the
// flags of the test binary after -args, change the run:
//
//	HERALD_CHAOS_DURATION  -chaos.duration  traffic time (default 60s)
//	HERALD_CHAOS_RATE      -chaos.rate      messages a second (default 5)
//	HERALD_CHAOS_SEED      -chaos.seed      seed of the plan (default random)
//	HERALD_CHAOS_INTERVAL  -chaos.interval  mean time between faults
//	                                        (default 4s)
//	HERALD_CHAOS_QUIET     -chaos.quiet     longest drain after the last
//	                                        fault (default 30s)
//	HERALD_CHAOS_VERBOSE   -chaos.verbose   log every debug line of the
//	                                        nodes, not only Info and above
//
// The seed is printed first; the same seed gives the same plan of faults
// (their kinds, targets, holds and pauses), though not the same timing of
// the processes under it. The report is printed as text and as one line
// starting with "CHAOS_REPORT " followed by JSON.
package chaos
