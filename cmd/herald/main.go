// Command herald runs a Herald node and talks to running ones.
//
//	herald node [--config FILE] [--id ID] [--peers LIST] ...
//	herald status [--addr HOST:PORT] [--json]
//	herald step-down [--addr HOST:PORT] [--token TOKEN]
//	herald dead-letters list|requeue ...
//	herald config check FILE
//	herald version
//
// Exit codes: 0 done, 1 failed, 2 a mistake on the command line.
package main

import (
	"fmt"
	"io"
	"os"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `herald: a highly available ChatOps bot runtime

Usage:
  herald node [flags]            run a node (herald node --help for flags)
  herald status [flags]          the master, the nodes and the lists, as a node sees them
  herald step-down [flags]       hand the master role over to another node, for deploys
  herald dead-letters list       the dead letters and their errors
  herald dead-letters requeue    put dead letters back (--id ID or --all)
  herald peers [add|remove]      the raft servers; add or remove one (raft mode)
  herald config check FILE       validate a config file and print the effective settings
  herald version                 print the version

Configuration comes from a YAML file (--config), then HERALD_ environment
variables (HERALD_REDIS_ADDR sets redis.addr), then flags.

status, step-down and dead-letters talk to a running node over HTTP: --addr
HOST:PORT (default: http.addr of --config FILE, else 127.0.0.1:8080). Admin
calls take the token from $HERALD_HTTP_ADMIN_TOKEN (or --token, or the
config). Each command has --help. Exit codes: 0 done, 1 failed, 2 usage.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches a subcommand and returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "node":
		return runNode(args[1:], stdout, stderr)
	case "peers":
		return runPeers(args[1:], stdout, stderr)
	case "config":
		return runConfig(args[1:], stdout, stderr)
	case "status":
		return runStatus(args[1:], stdout, stderr)
	case "step-down":
		return runStepDown(args[1:], stdout, stderr)
	case "dead-letters":
		return runDeadLetters(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintf(stdout, "herald %s\n", version)
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "herald: unknown command %q\n\n%s", args[0], usage)
	return 2
}
