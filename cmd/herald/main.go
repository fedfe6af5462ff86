// Command herald runs a Herald node and talks to running ones.
//
//	herald node [--config FILE] [--id ID] [--peers LIST] ...
//	herald config check FILE
//	herald version
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
  herald config check FILE       validate a config file and print the effective settings
  herald version                 print the version

Configuration comes from a YAML file (--config), then HERALD_ environment
variables (HERALD_REDIS_ADDR sets redis.addr), then flags.
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
	case "config":
		return runConfig(args[1:], stdout, stderr)
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
