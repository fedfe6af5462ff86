// Package builtin holds the commands every Herald bot answers: ping, echo,
// help and info. They run on any worker node like any other route.
package builtin

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// Info is what the info command reports about the cluster.
type Info struct {
	Version string
	Node    string
	Master  string
	Term    uint64
	Queues  map[string]int64
}

// InfoFunc returns the current Info as seen from the node running the
// command.
type InfoFunc func(ctx context.Context) (Info, error)

// Register adds ping, echo, help and info to r.
func Register(r *chat.Router, info InfoFunc) error {
	routes := []chat.Route{
		{Name: "ping", Pattern: `(?i)^ping\s*$`, Addressed: true,
			Help: "ping - answers pong", Handler: ping},
		{Name: "echo", Pattern: `(?is)^echo\s+(.+)$`, Addressed: true,
			Help: "echo TEXT - says TEXT back", Handler: echo},
		{Name: "help", Pattern: `(?i)^help(?:\s+(.+))?$`, Addressed: true,
			Help: "help [WORD] - lists the commands (containing WORD)", Handler: help(r)},
		{Name: "info", Pattern: `(?i)^info\s*$`, Addressed: true,
			Help: "info - version, node, master, term and queue depths", Handler: infoCmd(info)},
	}
	for _, rt := range routes {
		if err := r.Add(rt); err != nil {
			return err
		}
	}
	return nil
}

// ErrTestFailure is what the `fail` test command returns.
var ErrTestFailure = errors.New("builtin: fail command always fails")

// RegisterTestCommands adds the commands Herald's own tests use: `slow
// SECONDS TEXT` answers TEXT after SECONDS (at most 60), so that a test can
// kill a node while it holds a message; `fail TEXT` always fails, so that a
// test can watch a message become a dead letter. Do not enable them on a
// real bot.
func RegisterTestCommands(r *chat.Router) error {
	err := r.Add(chat.Route{Name: "slow", Pattern: `(?is)^slow\s+(\d+)\s+(.+)$`,
		Addressed: true, Handler: slow})
	if err != nil {
		return err
	}
	return r.Add(chat.Route{Name: "fail", Pattern: `(?is)^fail\s+(.+)$`, Addressed: true,
		Handler: func(context.Context, *chat.Request) error { return ErrTestFailure }})
}

func ping(_ context.Context, req *chat.Request) error {
	req.Reply("pong")
	return nil
}

func echo(_ context.Context, req *chat.Request) error {
	req.Reply(req.Match[1])
	return nil
}

func help(r *chat.Router) chat.HandlerFunc {
	return func(_ context.Context, req *chat.Request) error {
		lines := r.Help(strings.TrimSpace(req.Match[1]))
		if len(lines) == 0 {
			lines = []string{"no command matches " + strconv.Quote(req.Match[1])}
		}
		req.Reply(lines...)
		return nil
	}
}

func infoCmd(info InfoFunc) chat.HandlerFunc {
	return func(ctx context.Context, req *chat.Request) error {
		in, err := info(ctx)
		if err != nil {
			return fmt.Errorf("info: %w", err)
		}
		req.Reply(FormatInfo(in))
		return nil
	}
}

// FormatInfo renders Info as one line.
func FormatInfo(in Info) string {
	master := in.Master
	if master == "" {
		master = "none"
	}
	names := make([]string, 0, len(in.Queues))
	for name := range in.Queues {
		names = append(names, name)
	}
	sort.Strings(names)
	depths := make([]string, 0, len(names))
	for _, name := range names {
		depths = append(depths, fmt.Sprintf("%s=%d", name, in.Queues[name]))
	}
	return fmt.Sprintf("herald %s on node %s; master %s, term %d; queues %s",
		in.Version, in.Node, master, in.Term, strings.Join(depths, " "))
}

func slow(ctx context.Context, req *chat.Request) error {
	secs, _ := strconv.Atoi(req.Match[1])
	d := time.Duration(min(secs, 60)) * time.Second
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return ctx.Err()
	}
	req.Reply(req.Match[2])
	return nil
}
