package raftq

import (
	"context"
	"fmt"

	"github.com/hashicorp/raft"
)

// Member is one server in the raft configuration.
type Member struct {
	ID   string `json:"id"`
	Addr string `json:"addr"`
	// Suffrage is "voter", "nonvoter" or "staging".
	Suffrage string `json:"suffrage"`
	// Leader is true for the server this node knows as leader.
	Leader bool `json:"leader"`
}

// Members returns the raft configuration as this node has it, with the
// leader marked. It works on any node, leader or not, and while the
// cluster has no leader.
func (n *Node) Members(ctx context.Context) ([]Member, error) {
	if n.closed.Load() {
		return nil, fmt.Errorf("raftq: members: %w", ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("raftq: members: %w", err)
	}
	res := n.membersResponse()
	if err := res.err(); err != nil {
		return nil, fmt.Errorf("raftq: members: %w", err)
	}
	return res.Members, nil
}

// membersResponse reads the configuration.
func (n *Node) membersResponse() response {
	f := n.raft.GetConfiguration()
	if err := n.wait(f); err != nil {
		return response{Code: codeError, Msg: err.Error()}
	}
	leader, _ := n.Leader()
	var out []Member
	for _, s := range f.Configuration().Servers {
		out = append(out, Member{ID: string(s.ID), Addr: string(s.Address),
			Suffrage: suffrage(s.Suffrage), Leader: string(s.ID) == leader})
	}
	return response{Members: out}
}

// suffrage names a raft suffrage.
func suffrage(s raft.ServerSuffrage) string {
	switch s {
	case raft.Voter:
		return "voter"
	case raft.Nonvoter:
		return "nonvoter"
	}
	return "staging"
}

// AddVoter adds a server as a voter, or changes the address of a known
// one. On a follower the request goes to the leader. It returns once the
// new configuration is committed.
func (n *Node) AddVoter(ctx context.Context, id, addr string) error {
	if id == "" {
		return fmt.Errorf("raftq: add voter: %w: empty id", ErrBadRequest)
	}
	if err := checkHostPort(addr); err != nil {
		return fmt.Errorf("raftq: add voter: %w: address %q: %v", ErrBadRequest, addr, err)
	}
	return n.member(ctx, "add voter", &op{V: cmdVersion, Op: opAddVoter, ID: id, Addr: addr})
}

// RemoveServer removes a server from the configuration. On a follower
// the request goes to the leader. Removing the leader itself makes it
// step down once the change is committed.
func (n *Node) RemoveServer(ctx context.Context, id string) error {
	if id == "" {
		return fmt.Errorf("raftq: remove server: %w: empty id", ErrBadRequest)
	}
	return n.member(ctx, "remove server", &op{V: cmdVersion, Op: opRemove, ID: id})
}

// member runs a membership change on the leader.
func (n *Node) member(ctx context.Context, what string, c *op) error {
	res, err := n.call(ctx, c)
	if err == nil {
		err = res.err()
	}
	if err != nil {
		return fmt.Errorf("raftq: %s: %w", what, err)
	}
	return nil
}

// changeMembers waits for a membership change on the leader.
func (n *Node) changeMembers(f raft.IndexFuture) response {
	if err := n.wait(f); err != nil {
		return n.raftFailure(err)
	}
	return response{}
}
