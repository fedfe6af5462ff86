package raftq

import (
	"sync"
	"testing"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/queuetest"
)

// TestConformance runs the shared queue suite against a 3-node cluster
// per subtest. Queues are spread over the nodes, so some of them forward
// every call to the leader.
func TestConformance(t *testing.T) {
	var mu sync.Mutex
	clusters := map[*testing.T]*cluster{}
	opened := map[*testing.T]int{}
	of := func(t *testing.T) *cluster {
		mu.Lock()
		defer mu.Unlock()
		c := clusters[t]
		if c == nil {
			c = newCluster(t, 3, nil)
			clusters[t] = c
			t.Cleanup(func() {
				mu.Lock()
				delete(clusters, t)
				delete(opened, t)
				mu.Unlock()
			})
		}
		return c
	}
	open := func(t *testing.T, node string) queue.Queue {
		c := of(t)
		c.leader()
		mu.Lock()
		i := opened[t] % len(c.nodes)
		opened[t]++
		mu.Unlock()
		return c.queue(t, i, node)
	}
	setTerm := func(t *testing.T, term uint64) { of(t).setFence(t, term) }
	queuetest.Run(t, open, setTerm)
}
