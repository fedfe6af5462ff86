package main

import (
	"fmt"
	"io"
	"os"

	"github.com/herald-chatops/herald/node"
)

// runConfig runs `herald config check FILE`: it validates the file as a
// node would at start (environment included) and prints the effective
// settings with secrets masked.
func runConfig(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "check" {
		fmt.Fprintln(stderr, "Usage: herald config check FILE")
		return 2
	}
	cfg, err := node.LoadConfig(node.Sources{File: args[1], Env: os.Environ()})
	if err != nil {
		fmt.Fprintf(stderr, "herald: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "# %s is valid; effective settings:\n", args[1])
	for _, s := range node.Settings(cfg) {
		fmt.Fprintf(stdout, "%s: %s\n", s.Key, s.Value)
	}
	return 0
}
