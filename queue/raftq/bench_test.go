package raftq

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// BenchmarkPushPopAck measures one envelope's round trip, push, pop and
// ack, on a 3-node cluster, through the leader and through a follower,
// from one caller and from 16 at once. Each op is three raft entries.
func BenchmarkPushPopAck(b *testing.B) {
	for _, via := range []string{"leader", "follower"} {
		b.Run("via="+via, func(b *testing.B) {
			c := newCluster(b, 3, nil)
			i := c.leader()
			if via == "follower" {
				i = c.follower()
			}
			q := c.queue(b, i, "bench")
			var seq atomic.Int64
			b.Run("serial", func(b *testing.B) {
				for b.Loop() {
					pushPopAck(b, q, fmt.Sprintf("b%d", seq.Add(1)))
				}
			})
			b.Run("goroutines=16", func(b *testing.B) {
				b.SetParallelism(16 / runtime.GOMAXPROCS(0))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						pushPopAck(b, q, fmt.Sprintf("b%d", seq.Add(1)))
					}
				})
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "envelopes/s")
			})
		})
	}
}

// pushPopAck pushes, pops and acknowledges one envelope.
func pushPopAck(b *testing.B, q *Queue, id string) {
	ctx := ctxFor(b)
	if err := q.Push(ctx, queue.Jobs, env(id), 0); err != nil {
		b.Fatalf("push: %v", err)
	}
	d, err := q.Pop(ctx, queue.Jobs, time.Second)
	if err != nil {
		b.Fatalf("pop: %v", err)
	}
	if err := q.Ack(ctx, d); err != nil {
		b.Fatalf("ack: %v", err)
	}
}
