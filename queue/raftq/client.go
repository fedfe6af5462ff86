package raftq

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Client talks to a running cluster from outside it, as the `herald
// peers` commands do: it needs only some of the nodes' raft addresses and
// cluster.secret, and finds the leader on its own by following the
// nodes' answers.
type Client struct {
	addrs []string
	fwd   *forwarder

	mu   sync.Mutex
	hint string
	next int
}

// NewClient returns a client of the cluster reachable at addrs (raft
// addresses, HOST:PORT). It connects on first use.
func NewClient(addrs []string, secret string) (*Client, error) {
	if len(addrs) == 0 {
		return nil, fmt.Errorf("raftq: client: %w: no address", ErrBadRequest)
	}
	for _, a := range addrs {
		if err := checkHostPort(a); err != nil {
			return nil, fmt.Errorf("raftq: client: %w: address %q: %v", ErrBadRequest, a, err)
		}
	}
	key := []byte(secret)
	return &Client{addrs: addrs, fwd: newForwarder(ioTimeout, func(ctx context.Context,
		addr string) (net.Conn, error) {
		return dialRPC(ctx, addr, key)
	})}, nil
}

// Members returns the raft configuration as the first node that answers
// has it, with the leader marked.
func (c *Client) Members(ctx context.Context) ([]Member, error) {
	res, err := c.call(ctx, &op{V: cmdVersion, Op: opMembers})
	if err != nil {
		return nil, fmt.Errorf("raftq: members: %w", err)
	}
	return res.Members, nil
}

// AddVoter adds a server as a voter through the leader.
func (c *Client) AddVoter(ctx context.Context, id, addr string) error {
	if id == "" {
		return fmt.Errorf("raftq: add voter: %w: empty id", ErrBadRequest)
	}
	if err := checkHostPort(addr); err != nil {
		return fmt.Errorf("raftq: add voter: %w: address %q: %v", ErrBadRequest, addr, err)
	}
	_, err := c.call(ctx, &op{V: cmdVersion, Op: opAddVoter, ID: id, Addr: addr})
	if err != nil {
		return fmt.Errorf("raftq: add voter: %w", err)
	}
	return nil
}

// RemoveServer removes a server through the leader.
func (c *Client) RemoveServer(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("raftq: remove server: %w: empty id", ErrBadRequest)
	}
	if _, err := c.call(ctx, &op{V: cmdVersion, Op: opRemove, ID: id}); err != nil {
		return fmt.Errorf("raftq: remove server: %w", err)
	}
	return nil
}

// Close closes the client's connections.
func (c *Client) Close() error {
	c.fwd.close()
	return nil
}

// call sends r to a node, trying the known addresses in turn and
// following the hints of nodes that answer that the leader must do it,
// until ctx ends.
func (c *Client) call(ctx context.Context, r *op) (response, error) {
	backoff := retryMin
	var last error
	for tries := 1; ; tries++ {
		addr := c.pick()
		res, err := c.fwd.call(ctx, addr, r)
		switch {
		case err == nil && res.Code == codeNotLeader:
			c.follow(res.Leader)
			last = fmt.Errorf("%s: %w", addr, ErrNotLeader)
		case err == nil:
			return res, res.err()
		case !retryable(err):
			return response{}, err
		default:
			c.follow("")
			c.fwd.drop(addr)
			last = fmt.Errorf("%s: %w", addr, err)
		}
		if ctx.Err() != nil {
			return response{}, withLast(ctx.Err(), last)
		}
		if tries%len(c.addrs) == 0 || errors.Is(last, ErrNotLeader) {
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, retryMax)
		}
	}
}

// pick returns the leader hint, or the next known address.
func (c *Client) pick() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.hint != "" {
		return c.hint
	}
	addr := c.addrs[c.next%len(c.addrs)]
	c.next++
	return addr
}

// follow makes leader the next address to try; "" forgets the hint.
func (c *Client) follow(leader string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.hint = leader
}
