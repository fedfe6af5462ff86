package raftstore_test

import (
	"runtime"
	"testing"

	"github.com/herald-chatops/herald/chat/store/raftstore"
	"github.com/herald-chatops/herald/queue/raftq/rafttest"
)

// BenchmarkStore measures an Incr (one raft entry) and a Get (a read on
// the leader) on a 3-node cluster, through the leader and through a
// follower, from one caller and from 16 at once.
func BenchmarkStore(b *testing.B) {
	for _, via := range []string{"leader", "follower"} {
		b.Run("via="+via, func(b *testing.B) {
			c := rafttest.Start(b, 3, nil)
			i := c.Leader()
			if via == "follower" {
				i = c.Follower()
			}
			s, err := raftstore.New(c.Nodes[i])
			if err != nil {
				b.Fatal(err)
			}
			ctx := rafttest.Ctx(b)
			b.Run("incr", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Incr(ctx, "bench", "k", 1); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("get", func(b *testing.B) {
				for b.Loop() {
					if _, err := s.Get(ctx, "bench", "k"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("incr-goroutines=16", func(b *testing.B) {
				b.SetParallelism(max(16/runtime.GOMAXPROCS(0), 1))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if _, err := s.Incr(ctx, "bench", "k", 1); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		})
	}
}
