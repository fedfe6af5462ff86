package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// newFlags returns the flag set of a command; its usage goes to stderr.
func newFlags(name, synopsis, about string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\n%s\n\nFlags:\n", synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// parse reads args into fs. When the command must not go on, ok is false
// and code is its exit code: 0 after --help, 2 after a mistake.
func parse(fs *flag.FlagSet, args []string) (code int, ok bool) {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0, false
	case err != nil:
		return 2, false
	case fs.NArg() > 0:
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q (flags go before "+
			"arguments; see --help)\n", fs.Name(), fs.Arg(0))
		return 2, false
	}
	return 0, true
}

// fail prints err and returns the exit code for it: 2 for a mistake on
// the command line, 1 for anything else.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "herald: %v\n", err)
	if errors.Is(err, errUsage) {
		return 2
	}
	return 1
}

// cmdContext ends on Ctrl-C or SIGTERM, so that a waiting command stops.
func cmdContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
