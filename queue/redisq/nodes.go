package redisq

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/herald-chatops/herald/queue"
)

// maxDrainRounds bounds one Reap's work on one processing list, for a
// node that is in fact alive and keeps popping; the next Reap goes on.
const maxDrainRounds = 100

// drainBatch is how many LMOVEs one pipelined round sends.
const drainBatch = 500

// Heartbeat records this node as alive for ttl with info, Seen set to
// now. info.ID must be empty (it is filled in) or this queue's node id.
func (q *Queue) Heartbeat(ctx context.Context, info queue.NodeInfo, ttl time.Duration) error {
	const op = "heartbeat"
	if err := q.ready(ctx, op, ""); err != nil {
		return err
	}
	switch {
	case ttl < time.Millisecond:
		return fmt.Errorf("redisq: %s: ttl %v must be at least 1ms", op, ttl)
	case info.ID != "" && info.ID != q.node:
		return fmt.Errorf("redisq: %s: info id %q is not this node %q", op, info.ID, q.node)
	}
	info.ID = q.node
	info.Seen = time.Now().UTC()
	raw, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("redisq: %s: %w", op, err)
	}
	_, err = q.cmd.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, q.nodeKey(q.node), raw, ttl)
		p.SAdd(ctx, q.nodesKey(), q.node)
		return nil
	})
	if err != nil {
		return q.fail(ctx, op, err)
	}
	q.joined.Store(true)
	q.log.Debug("heartbeat", "ttl", ttl)
	return nil
}

// Nodes returns the nodes whose heartbeat has not lapsed, by id.
func (q *Queue) Nodes(ctx context.Context) ([]queue.NodeInfo, error) {
	const op = "nodes"
	if err := q.ready(ctx, op, ""); err != nil {
		return nil, err
	}
	ids, err := q.cmd.SMembers(ctx, q.nodesKey()).Result()
	if err != nil || len(ids) == 0 {
		return nil, q.fail(ctx, op, err)
	}
	keys := make([]string, len(ids))
	for i, id := range ids {
		keys[i] = q.nodeKey(id)
	}
	vals, err := q.cmd.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, q.fail(ctx, op, err)
	}
	var out []queue.NodeInfo
	for i, v := range vals {
		if info, ok := q.nodeInfo(ids[i], v); ok {
			out = append(out, info)
		}
	}
	slices.SortFunc(out, func(a, b queue.NodeInfo) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// nodeInfo decodes one heartbeat value; a missing one is a lapsed node.
func (q *Queue) nodeInfo(id string, v any) (queue.NodeInfo, bool) {
	s, ok := v.(string)
	if !ok {
		return queue.NodeInfo{}, false
	}
	var info queue.NodeInfo
	if err := json.Unmarshal([]byte(s), &info); err != nil {
		if ok, n := q.warn.allow("heartbeat:"+id, time.Now()); ok {
			q.log.Warn("undecodable heartbeat", "peer", id, "err", err, "suppressed", n)
		}
		return queue.NodeInfo{}, false
	}
	return info, true
}

// Reap returns to the front of their lists the leases of every node whose
// heartbeat lapsed, and this node's own entries that no Pop of this Queue
// holds (see the package doc). It reports how many entries moved.
func (q *Queue) Reap(ctx context.Context) (int, error) {
	const op = "reap"
	if err := q.ready(ctx, op, ""); err != nil {
		return 0, err
	}
	own, err := q.reapOwn(ctx)
	if err != nil {
		return own, q.fail(ctx, op, err)
	}
	others, err := q.reapLapsed(ctx)
	return own + others, q.fail(ctx, op, err)
}

// reapLapsed drains the processing lists of nodes whose heartbeat is gone.
func (q *Queue) reapLapsed(ctx context.Context) (int, error) {
	lapsed, err := q.lapsed(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, id := range lapsed {
		n, err := q.reapNode(ctx, id)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// lapsed returns the other nodes in the node set without a heartbeat.
func (q *Queue) lapsed(ctx context.Context) ([]string, error) {
	ids, err := q.cmd.SMembers(ctx, q.nodesKey()).Result()
	if err != nil {
		return nil, err
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return id == q.node })
	exists := make([]*redis.IntCmd, len(ids))
	_, err = q.cmd.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, id := range ids {
			exists[i] = p.Exists(ctx, q.nodeKey(id))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for i, id := range ids {
		if exists[i].Val() == 0 {
			out = append(out, id)
		}
	}
	return out, nil
}

// reapNode returns everything node id held and, once it holds nothing,
// forgets the node.
func (q *Queue) reapNode(ctx context.Context, id string) (int, error) {
	total := 0
	keys := []string{q.nodesKey(), q.nodeKey(id)}
	for _, list := range queue.Lists {
		proc := q.procKey(id, list)
		n, err := q.drain(ctx, proc, q.listKey(list))
		total += n
		if err != nil {
			return total, err
		}
		if n > 0 {
			q.log.Debug("returned leases of lapsed node", "peer", id, "queue", list,
				"count", n)
		}
		keys = append(keys, proc)
	}
	err := forgetNode.Run(ctx, q.cmd, keys, id).Err()
	return total, err
}

// drain moves every entry of proc to the front of src, newest first so
// that the oldest ends up frontmost, one LMOVE per entry: a concurrent
// reaper's LMOVE takes each entry at most once.
func (q *Queue) drain(ctx context.Context, proc, src string) (int, error) {
	total := 0
	for range maxDrainRounds {
		n, err := q.cmd.LLen(ctx, proc).Result()
		if err != nil || n == 0 {
			return total, err
		}
		moves := make([]*redis.StringCmd, min(n, drainBatch))
		_, err = q.cmd.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i := range moves {
				moves[i] = p.LMove(ctx, proc, src, "LEFT", "RIGHT")
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return total, err
		}
		for _, m := range moves {
			if m.Err() == nil {
				total++
			}
		}
	}
	return total, nil
}

// reapOwn returns this node's orphaned entries (see leases).
func (q *Queue) reapOwn(ctx context.Context) (int, error) {
	ranges := make([]*redis.StringSliceCmd, len(queue.Lists))
	_, err := q.cmd.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, list := range queue.Lists {
			ranges[i] = p.LRange(ctx, q.procKey(q.node, list), 0, -1)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	total := 0
	for i, list := range queue.Lists {
		n, err := q.restore(ctx, list, ranges[i].Val())
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// restore returns the orphans among entries, found on list's processing
// list of this node, to the front of list.
func (q *Queue) restore(ctx context.Context, list string, entries []string) (int, error) {
	present := make(map[string]int, len(entries))
	for _, e := range entries {
		present[e]++
	}
	keys := []string{q.procKey(q.node, list), q.listKey(list)}
	total := 0
	for item, n := range q.leases.orphans(list, present) {
		moved, err := restoreOrphans.Run(ctx, q.cmd, keys, item, n).Int()
		total += moved
		if err != nil {
			return total, err
		}
	}
	if total > 0 {
		q.log.Debug("returned orphaned leases of this node", "queue", list, "count", total)
	}
	return total, nil
}
