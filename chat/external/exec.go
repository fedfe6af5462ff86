package external

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// ErrTimeout is returned for a command that ran past its timeout.
var ErrTimeout = errors.New("external: command timed out")

// keptEnv are the variables a program inherits from the node.
var keptEnv = []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Client == nil {
		o.Client = noRedirectClient()
	}
	if o.Environ == nil {
		o.Environ = os.Environ()
	}
	return o
}

// execRunner runs one exec command.
type execRunner struct {
	c    Command
	re   *regexp.Regexp
	path string
	env  []string
	log  *slog.Logger
}

func newExec(c Command, opt Options, key string) (chat.HandlerFunc, error) {
	path, err := exec.LookPath(c.Exec[0])
	if err != nil {
		return nil, fmt.Errorf("%s.exec[0] (%q): %w", key, c.Exec[0], err)
	}
	r := &execRunner{c: c, re: regexp.MustCompile(c.Pattern), path: path,
		env: environ(opt.Environ, c.Name), log: opt.Log}
	return r.handle, nil
}

// environ keeps the harmless variables of base and names the command.
func environ(base []string, name string) []string {
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		for _, keep := range keptEnv {
			if k == keep {
				env = append(env, kv)
			}
		}
	}
	return append(env, "HERALD_COMMAND="+name)
}

func (r *execRunner) handle(ctx context.Context, req *chat.Request) error {
	in, err := input(r.c.Name, r.re, req)
	if err != nil {
		return err
	}
	out, err := r.run(ctx, in, req.Message.ID)
	if err != nil {
		return err
	}
	if ls := lines(out); len(ls) > 0 {
		req.Reply(ls...)
	}
	return nil
}

// run runs the program on in and returns its stdout. Past the timeout
// the whole process group is killed.
func (r *execRunner) run(ctx context.Context, in []byte, msgID string) (string, error) {
	tctx, cancel := context.WithTimeout(ctx, r.c.timeout())
	defer cancel()
	stdout, stderr := &capped{max: maxOutput}, &capped{max: maxLogged}
	cmd := r.command(tctx, in, stdout, stderr)
	start := time.Now()
	err := cmd.Run()
	log := r.log.With("command", r.c.Name, "msg_id", msgID, "took", time.Since(start))
	if len(stderr.b) > 0 {
		log = log.With("stderr", string(stderr.b), "stderr_cut", stderr.cut)
	}
	switch {
	case ctx.Err() != nil:
		return "", fmt.Errorf("exec %s: %w", r.c.Name, ctx.Err())
	case tctx.Err() != nil:
		log.Warn("command timed out", "timeout", r.c.timeout())
		return "", fmt.Errorf("exec %s: %w after %v", r.c.Name, ErrTimeout, r.c.timeout())
	case err != nil:
		log.Warn("command failed", "err", err)
		return "", fmt.Errorf("exec %s: %w", r.c.Name, err)
	}
	log.Debug("command ran", "stdout_cut", stdout.cut)
	return string(stdout.b), nil
}

// command prepares the program with in on stdin, in a process group of
// its own that is killed whole when ctx ends.
func (r *execRunner) command(ctx context.Context, in []byte, stdout, stderr *capped) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.path, r.c.Exec[1:]...)
	cmd.Env = r.env
	cmd.Stdin = bytes.NewReader(in)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	// Output pipes a killed program's orphans still hold are closed after
	// this, so that Run returns.
	cmd.WaitDelay = time.Second
	return cmd
}
