package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

// runStatus runs `herald status`: the cluster as one node sees it.
func runStatus(args []string, stdout, stderr io.Writer) int {
	var cf clientFlags
	fs := newFlags("herald status", "herald status [flags]",
		"Shows the cluster as one node sees it: the master and its term, the nodes\n"+
			"with their role, address, version, uptime and last heartbeat, and how\n"+
			"much waits on each list. Any node will do.", stderr)
	cf.register(fs)
	asJSON := fs.Bool("json", false, "print the node's JSON answer as it is, for scripts")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	c, err := cf.client()
	if err != nil {
		return fail(stderr, err)
	}
	ctx, stop := cmdContext()
	defer stop()
	st, raw, err := c.statusOf(ctx)
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		_, _ = stdout.Write(raw)
		return 0
	}
	printStatus(stdout, st, time.Now())
	return 0
}

// printStatus writes st as tables for a terminal; ages are relative to
// now.
func printStatus(w io.Writer, st heraldhttp.Status, now time.Time) {
	ago := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return heraldhttp.ShortDuration(now.Sub(t)) + " ago"
	}
	if st.Master == "" {
		fmt.Fprintf(w, "Master:  NONE (newest term seen: %d). No node is connected to "+
			"chat; the lists keep buffering.\n", st.Term)
	} else {
		fmt.Fprintf(w, "Master:  %s, term %d", st.Master, st.Term)
		if !st.MasterSince.IsZero() {
			fmt.Fprintf(w, ", since %s (%s)", st.MasterSince.UTC().Format(time.DateTime+" UTC"),
				ago(st.MasterSince))
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "Answered by %s (%s)", st.Node, st.Version)
	if st.IsMaster {
		chat := "connected"
		if !st.ChatConnected {
			chat = "NOT CONNECTED"
		}
		fmt.Fprintf(w, ", the master; chat %s", chat)
	}
	fmt.Fprintln(w)
	if st.DeadLetters > 0 {
		fmt.Fprintf(w, "Dead letters: %d, waiting for a person (herald dead-letters list)\n",
			st.DeadLetters)
	}
	fmt.Fprintln(w)
	printNodes(w, st.Nodes, now, ago)
	fmt.Fprintln(w)
	printDepths(w, st.Queues)
}

// printNodes writes the node table, sorted by id.
func printNodes(w io.Writer, nodes []queue.NodeInfo, now time.Time,
	ago func(time.Time) string) {
	nodes = slices.Clone(nodes)
	slices.SortFunc(nodes, func(a, b queue.NodeInfo) int { return strings.Compare(a.ID, b.ID) })
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tADDRESS\tVERSION\tUPTIME\tLAST HEARTBEAT")
	for _, n := range nodes {
		role := "worker"
		if n.Master {
			role = fmt.Sprintf("master (term %d)", n.Term)
		}
		up := "-"
		if !n.Started.IsZero() {
			up = heraldhttp.ShortDuration(now.Sub(n.Started))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", n.ID, role, n.Addr, n.Version, up,
			ago(n.Seen))
	}
	if len(nodes) == 0 {
		fmt.Fprintln(tw, "(no node has sent a heartbeat)")
	}
	_ = tw.Flush()
}

// printDepths writes the list table: the known lists in their order,
// then any others, then the dead letters.
func printDepths(w io.Writer, depths map[string]int64) {
	names := slices.Clone(queue.Lists)
	var others []string
	for name := range depths {
		if !slices.Contains(names, name) && name != queue.Dead {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	names = append(append(names, others...), queue.Dead)
	width := len("LIST")
	for _, name := range names {
		width = max(width, len(name))
	}
	fmt.Fprintf(w, "%-*s  %9s\n", width, "LIST", "WAITING")
	for _, name := range names {
		fmt.Fprintf(w, "%-*s  %9d\n", width, name, depths[name])
	}
}
