package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/file"
	"github.com/knadh/koanf/v2"

	"github.com/herald-chatops/herald/queue/raftq"
)

const peersUsage = `Usage:
  herald peers [flags]                      the raft servers and which one leads
  herald peers add ID=HOST:PORT [flags]     add a server (start it first, with
                                            cluster.peers naming itself too)
  herald peers remove ID [flags]            remove a server, such as a dead one

Raft mode only. The command talks to the servers of cluster.peers (from
--config, or --peers) and finds the leader on its own; the cluster's secret
comes from the config's cluster.secret or $HERALD_CLUSTER_SECRET.
`

// peersFlags are the flags of `herald peers`.
type peersFlags struct {
	config, peers string
	timeout       time.Duration
}

// runPeers runs `herald peers [add ID=HOST:PORT | remove ID]`.
func runPeers(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("herald peers", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var pf peersFlags
	fs.StringVar(&pf.config, "config", "", "YAML config `FILE` with cluster.peers and cluster.secret")
	fs.StringVar(&pf.peers, "peers", "", "comma list of servers to ask (default: cluster.peers)")
	fs.DurationVar(&pf.timeout, "timeout", 10*time.Second, "give up after this long")
	fs.Usage = func() { fmt.Fprint(stderr, peersUsage, "\nFlags:\n"); fs.PrintDefaults() }
	verb, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		verb, rest = args[0], args[1:]
	}
	operand := ""
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		operand, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return exitUsage(err)
	}
	c, err := pf.client()
	if err != nil {
		fmt.Fprintf(stderr, "herald peers: %v\n", err)
		return 2
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), pf.timeout)
	defer cancel()
	return peersVerb(ctx, c, verb, operand, stdout, stderr)
}

// peersVerb carries out one verb of `herald peers`.
func peersVerb(ctx context.Context, c *raftq.Client, verb, operand string,
	stdout, stderr io.Writer) int {
	var err error
	switch {
	case verb == "" || verb == "list":
		err = listPeers(ctx, c, stdout)
	case verb == "add" && operand != "":
		err = addPeer(ctx, c, operand, stdout)
	case verb == "remove" && operand != "":
		err = c.RemoveServer(ctx, operand)
		if err == nil {
			fmt.Fprintf(stdout, "removed %s\n", operand)
		}
	default:
		fmt.Fprint(stderr, peersUsage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "herald peers: %v\n", err)
		return 1
	}
	return 0
}

func exitUsage(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// client connects to the servers named by the flags or the config.
func (pf peersFlags) client() (*raftq.Client, error) {
	var addrs []string
	secret := os.Getenv("HERALD_CLUSTER_SECRET")
	if pf.config != "" {
		// Only the cluster section matters here: the file may be any
		// node's, or none's (no node.id), and this is not a node.
		k := koanf.New(".")
		if err := k.Load(file.Provider(pf.config), yaml.Parser()); err != nil {
			return nil, fmt.Errorf("read %s: %w", pf.config, err)
		}
		addrs = k.Strings("cluster.peers")
		if s := k.String("cluster.secret"); s != "" && secret == "" {
			secret = s
		}
	}
	if pf.peers != "" {
		addrs = strings.Split(pf.peers, ",")
	}
	peers, err := raftq.ParsePeers(addrs)
	if err != nil {
		return nil, fmt.Errorf("no servers to ask (--peers or cluster.peers in --config): %w", err)
	}
	hosts := make([]string, len(peers))
	for i, p := range peers {
		hosts[i] = p.Addr
	}
	return raftq.NewClient(hosts, secret)
}

// listPeers prints the raft configuration as a table.
func listPeers(ctx context.Context, c *raftq.Client, out io.Writer) error {
	members, err := c.Members(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tADDRESS\tSUFFRAGE\tSTATE")
	for _, m := range members {
		state := "follower"
		if m.Leader {
			state = "leader"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", m.ID, m.Addr, m.Suffrage, state)
	}
	return w.Flush()
}

// addPeer adds ID=HOST:PORT (or HOST:PORT) as a voter.
func addPeer(ctx context.Context, c *raftq.Client, entry string, out io.Writer) error {
	peers, err := raftq.ParsePeers([]string{entry})
	if err != nil {
		return err
	}
	p := peers[0]
	if err := c.AddVoter(ctx, p.ID, p.Addr); err != nil {
		return err
	}
	fmt.Fprintf(out, "added %s at %s\n", p.ID, p.Addr)
	return nil
}
