package redisq

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redistest"
)

// BenchmarkPushPopAck measures one envelope's whole trip through a list
// on a local redis-server: Push, Pop (without blocking) and Ack, in
// sequence and from many goroutines sharing one Queue.
func BenchmarkPushPopAck(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	e := env("bench")
	e.Body = []byte(`{"text":"ping","room":"#ops","user":{"id":"u1","name":"alice"}}`)
	b.Run("serial", func(b *testing.B) {
		q := openQueue(b, testConfig(srv.Addr), "serial", "bench")
		b.ReportAllocs()
		for b.Loop() {
			tripOnce(b, q, e)
		}
	})
	b.Run(fmt.Sprintf("goroutines=%d", 8*runtime.GOMAXPROCS(0)), func(b *testing.B) {
		q := openQueue(b, testConfig(srv.Addr), "parallel", "bench")
		b.SetParallelism(8)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				tripOnce(b, q, e)
			}
		})
	})
}

// tripOnce pushes e and then pops and acknowledges one envelope.
func tripOnce(b *testing.B, q *Queue, e queue.Envelope) {
	ctx := b.Context()
	if err := q.Push(ctx, queue.Jobs, e, 0); err != nil {
		b.Fatal(err)
	}
	d, err := q.Pop(ctx, queue.Jobs, 0)
	if err != nil {
		b.Fatal(err)
	}
	if err := q.Ack(ctx, d); err != nil {
		b.Fatal(err)
	}
}
