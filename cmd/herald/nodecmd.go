package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/herald-chatops/herald/node"
)

// nodeFlags maps each flag of `herald node` to the config key it sets.
var nodeFlags = []struct{ name, key, help string }{
	{"id", "node.id", "this node's id (node.id)"},
	{"mode", "cluster.mode", "redis or raft (cluster.mode)"},
	{"peers", "cluster.peers",
		"raft peers, a comma list of HOST:PORT or ID=HOST:PORT (cluster.peers)"},
	{"data-dir", "node.data_dir", "folder for the node's data (node.data_dir)"},
	{"raft-addr", "raft.addr", "this node's raft address, to find it in --peers (raft.addr)"},
	{"http-addr", "http.addr", "HTTP listen address (http.addr)"},
	{"redis-addr", "redis.addr", "Redis address (redis.addr)"},
	{"adapter", "chat.adapter", "shell, irc or none (chat.adapter)"},
}

// parseNodeFlags reads the flags of `herald node` into config sources.
func parseNodeFlags(args []string, stderr io.Writer) (node.Sources, error) {
	fs := flag.NewFlagSet("herald node", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("config", "", "YAML config `FILE`")
	vals := map[string]*string{}
	for _, f := range nodeFlags {
		vals[f.name] = fs.String(f.name, "", f.help)
	}
	fs.Usage = func() {
		fmt.Fprint(stderr, "Usage: herald node [flags]\n\nRuns one node. Flags override "+
			"HERALD_ variables, which override the config file.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return node.Sources{}, err
	}
	if fs.NArg() > 0 {
		return node.Sources{}, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	src := node.Sources{File: *file, Env: os.Environ(), Flags: map[string]string{}}
	fs.Visit(func(f *flag.Flag) {
		for _, nf := range nodeFlags {
			if nf.name == f.Name {
				src.Flags[nf.key] = *vals[f.Name]
			}
		}
	})
	return src, nil
}

// runNode runs a node until SIGTERM or SIGINT, then stops it gracefully.
func runNode(args []string, stdout, stderr io.Writer) int {
	src, err := parseNodeFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	cfg, err := node.LoadConfig(src)
	if err != nil {
		fmt.Fprintf(stderr, "herald: %v\n", err)
		return 2
	}
	log := newLogger(cfg.Log, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if err := node.Start(ctx, cfg, node.Env{Version: version, Log: log, Stdin: os.Stdin,
		Stdout: stdout}); err != nil {
		log.Error("node failed", "err", err)
		return 1
	}
	return 0
}

// newLogger builds the process logger from the log section.
func newLogger(c node.LogConfig, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
