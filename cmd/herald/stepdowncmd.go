package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
)

// pollEvery is how often step-down asks whether a new master is there.
const pollEvery = 100 * time.Millisecond

// errNoMaster is returned when there is no master to step down.
var errNoMaster = errors.New("there is no master right now, so there is nothing to " +
	"step down; herald status shows the cluster")

// runStepDown runs `herald step-down`: the master hands its role over.
func runStepDown(args []string, stdout, stderr io.Writer) int {
	var cf clientFlags
	fs := newFlags("herald step-down", "herald step-down [flags]",
		"Asks the master to hand its role over: it closes its chat connection and\n"+
			"releases its lease, and another node takes over at once. Any node will do\n"+
			"as --addr: the master is found through it. Needs the admin token. Use it\n"+
			"before stopping the master for a deploy.", stderr)
	cf.register(fs)
	wait := fs.Duration("wait", 10*time.Second, "wait this long for a new master "+
		"(0: do not wait)")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := cf.client()
	if err != nil {
		return fail(stderr, err)
	}
	ctx, stop := cmdContext()
	defer stop()
	if err := stepDown(ctx, c, *wait, stdout); err != nil {
		return fail(stderr, err)
	}
	return 0
}

// stepDown finds the master through c, asks it to step down, and waits
// up to wait for the next term to start.
func stepDown(ctx context.Context, c *client, wait time.Duration, out io.Writer) error {
	st, _, err := c.statusOf(ctx)
	if err != nil {
		return err
	}
	if st.Master == "" {
		return errNoMaster
	}
	master, err := masterClient(c, st)
	if err != nil {
		return err
	}
	err = master.post(ctx, "/admin/step-down", nil, nil)
	var api *apiError
	if errors.As(err, &api) && api.code == http.StatusConflict {
		return fmt.Errorf("%s is not the master any more: another node took over "+
			"meanwhile; herald status shows the cluster", st.Master)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s (%s) stepped down from term %d\n", st.Master, master.base.Host,
		st.Term)
	if wait <= 0 {
		return nil
	}
	return awaitMaster(ctx, c, st.Term, wait, out)
}

// masterClient returns a client for the master named in st: c itself
// when c's node is the master, else the address from its heartbeat.
func masterClient(c *client, st heraldhttp.Status) (*client, error) {
	if st.Node == st.Master {
		return c, nil
	}
	for _, n := range st.Nodes {
		if n.ID != st.Master {
			continue
		}
		host, _, err := net.SplitHostPort(n.Addr)
		if ip := net.ParseIP(host); err != nil || host == "" || (ip != nil && ip.IsUnspecified()) {
			return nil, fmt.Errorf("the master %s gives %q as its address, which cannot be "+
				"reached from here; run step-down with --addr of the master itself",
				st.Master, n.Addr)
		}
		return c.at(n.Addr), nil
	}
	return nil, fmt.Errorf("the master %s is not among the nodes that %s sees; run "+
		"step-down with --addr of the master itself", st.Master, st.Node)
}

// awaitMaster polls c until a term after term has a master.
func awaitMaster(ctx context.Context, c *client, term uint64, wait time.Duration,
	out io.Writer) error {
	start := time.Now()
	deadline := start.Add(wait)
	for {
		st, _, err := c.statusOf(ctx)
		if err == nil && st.Master != "" && st.Term > term {
			fmt.Fprintf(out, "%s is master, term %d, after %s\n", st.Master, st.Term,
				time.Since(start).Round(time.Millisecond))
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("no new master seen within %v: %w", wait, err)
			}
			return fmt.Errorf("no new master seen within %v; herald status shows "+
				"the cluster", wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}
