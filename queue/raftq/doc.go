// Package raftq is the raft backend of queue.Queue: the lists live in a
// state machine replicated by hashicorp/raft among the nodes themselves,
// so a cluster needs no Redis. A single node with its data in a folder is
// the embedded default.
//
// A Node is one process's member of the cluster (Open, Close). Its state
// machine holds the lists (queue.Lists), the leases of each node, the
// dead letters, the claim keys, the node heartbeats, the current term's
// fence, and the handlers' key-value spaces. Queue views it as a
// queue.Queue and KV as the key-value store that chat/store/raftstore
// serves to handlers; the package election/raftelect builds the election
// on the same Node. Its files are raft.db (log and stable store) and
// snapshots/ under node.data_dir.
//
// What it guarantees, beyond the promises of package queue:
//
//   - Everything that returned nil is in the raft log of a majority, on
//     disk (raft-boltdb under node.data_dir), and survives the loss of a
//     minority of the nodes and the restart of all of them.
//   - Every replica applies the same entries with the same result: an
//     entry carries the leader's clock, and expiries (claims, heartbeats)
//     are measured with it, never with the clock of the replica. An
//     expired key-value entry is never returned, and is dropped when a
//     write touches its key or by the sweep that runs about once a
//     minute of leader time.
//   - Calls go to the leader. A follower forwards them over the cluster's
//     own connection on raft.addr, authenticated both ways with an HMAC
//     of cluster.secret (the secret never travels), and retries across a
//     leader change until the call's context ends. A request that changes
//     state is applied once however often it is retried: the state
//     machine remembers its result under the caller's sequence number.
//   - A Pop whose caller gave up (context ended) while the pop may have
//     been applied is undone: the queue tells the leader, which puts an
//     envelope leased by it back in front, or makes the pop do nothing if
//     it arrives later. So a live node never holds a lease nobody works
//     on.
//   - The fence is the log index of the entry that started the current
//     term. Fenced writes compare with it inside the state machine, in
//     log order: a write of an old term that is ordered after the new
//     term's start is refused with queue.ErrFenced.
//
// What it does not guarantee: progress without a majority (calls wait
// for a leader until their context ends); confidentiality of the traffic
// between nodes (the secret authenticates connections, it does not
// encrypt them); and exact timing of expiries across a leader change,
// since two leaders' clocks may differ. Reads are served by the leader,
// so a caller sees its own writes, but a leader that was just deposed
// may answer one read with state a few milliseconds old.
package raftq
