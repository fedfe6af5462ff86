package redisq

import (
	"strconv"
	"testing"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
	"github.com/herald-chatops/herald/queue/redistest"
)

func TestConformance(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	raw := rawClient(t, srv.Addr)
	var ns namespaces
	open := func(t *testing.T, node string) queue.Queue {
		return openQueue(t, testConfig(srv.Addr), ns.of(t), node)
	}
	setTerm := func(t *testing.T, term uint64) {
		key := ns.of(t) + ":term"
		if err := raw.Set(ctxFor(t), key, strconv.FormatUint(term, 10), 0).Err(); err != nil {
			t.Fatalf("set term: %v", err)
		}
	}
	queuetest.Run(t, open, setTerm)
}
