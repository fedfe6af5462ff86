// Package clustertest runs real `herald node` processes for tests: each
// with its own config file, log routed to the test, an HTTP address on
// loopback, and signals (SIGKILL, SIGTERM, SIGSTOP) sent by PID to the
// processes it started and to no others.
package clustertest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	nethttp "net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Binary returns the herald binary under test: $HERALD_BIN when set (the
// Makefile sets it), otherwise one built once into a temporary folder.
func Binary(t testing.TB) string {
	t.Helper()
	if bin := os.Getenv("HERALD_BIN"); bin != "" {
		return bin
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "herald-bin-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "herald")
		cmd := exec.Command("go", "build", "-o", built, "github.com/herald-chatops/herald/cmd/herald")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

var (
	buildOnce sync.Once
	built     string
	buildErr  error
)

func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Proc is one herald process.
type Proc struct {
	ID   string
	HTTP string // HOST:PORT of its HTTP listener
	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{}
	logs *LogBook
	args []string
	env  []string
}

// LogBook collects the log lines of every process of a test, so a test
// can look for events (term starts and ends) after the fact.
type LogBook struct {
	mu    sync.Mutex
	lines []LogLine
}

// LogLine is one line a process wrote to stderr.
type LogLine struct {
	Node string
	Time time.Time
	Text string
}

// Lines returns every line so far.
func (b *LogBook) Lines() []LogLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]LogLine(nil), b.lines...)
}

func (b *LogBook) add(l LogLine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, l)
}

// Start runs `herald node --config FILE` with yaml written to a file, and
// extra environment variables. It registers a SIGKILL of the process with
// t.Cleanup.
func Start(t testing.TB, book *LogBook, id, httpAddr, yaml string, env ...string) *Proc {
	t.Helper()
	file := filepath.Join(t.TempDir(), id+".yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &Proc{ID: id, HTTP: httpAddr, t: t, logs: book,
		args: []string{"node", "--config", file}, env: env}
	p.start()
	t.Cleanup(p.Kill)
	return p
}

func (p *Proc) start() {
	p.t.Helper()
	p.cmd = exec.Command(Binary(p.t), p.args...)
	p.cmd.Env = append(childEnv(), p.env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	stderr, _ := p.cmd.StderrPipe()
	p.cmd.Stdout = p.cmd.Stderr
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("clustertest: start %s: %v", p.ID, err)
	}
	p.done = make(chan struct{})
	copied := make(chan struct{})
	go p.copyLog(stderr, copied)
	go func(cmd *exec.Cmd, done chan struct{}) {
		<-copied
		_ = cmd.Wait()
		close(done)
	}(p.cmd, p.done)
}

func (p *Proc) copyLog(r io.Reader, copied chan struct{}) {
	defer close(copied)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		p.logs.add(LogLine{Node: p.ID, Time: time.Now(), Text: sc.Text()})
		logf(p.t, "%s: %s", p.ID, sc.Text())
		if strings.Contains(sc.Text(), "WARNING: DATA RACE") {
			errorf(p.t, "%s: the race detector found a data race (see its log)", p.ID)
		}
	}
}

// childEnv is this process's environment without HERALD_ variables, which
// a node would read as configuration (and refuse when unknown).
func childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "HERALD_") {
			env = append(env, kv)
		}
	}
	return env
}

// Restart starts the process again with the same arguments.
func (p *Proc) Restart() {
	p.t.Helper()
	p.Kill()
	p.start()
}

// Kill sends SIGKILL and waits for the process to end. Safe to repeat.
func (p *Proc) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	p.cmd = nil
}

// Term sends SIGTERM and waits up to limit for a graceful exit, then
// kills the process; it reports whether the exit was graceful.
func (p *Proc) Term(limit time.Duration) bool {
	if p.cmd == nil {
		return true
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		p.cmd = nil
		return true
	case <-time.After(limit):
		p.Kill()
		return false
	}
}

// Signal sends SIGTERM without waiting; Wait waits for the exit.
func (p *Proc) SignalTerm() { p.signal(syscall.SIGTERM) }

// Wait waits up to limit for the process to exit and reports whether it
// did; a process still running after limit is killed.
func (p *Proc) Wait(limit time.Duration) bool {
	if p.cmd == nil {
		return true
	}
	select {
	case <-p.done:
		p.cmd = nil
		return true
	case <-time.After(limit):
		p.Kill()
		return false
	}
}

// Stop pauses the process with SIGSTOP; Cont resumes it.
func (p *Proc) Stop() { p.signal(syscall.SIGSTOP) }

// Cont resumes a paused process.
func (p *Proc) Cont() { p.signal(syscall.SIGCONT) }

func (p *Proc) signal(s syscall.Signal) {
	if p.cmd != nil {
		_ = p.cmd.Process.Signal(s)
	}
}

// Running reports whether the process was started and has not ended.
func (p *Proc) Running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Status is the part of GET /status that tests read.
type Status struct {
	Node   string           `json:"node"`
	Master string           `json:"master"`
	Term   uint64           `json:"term"`
	Queues map[string]int64 `json:"queues"`
	Nodes  []struct {
		ID string `json:"id"`
	} `json:"nodes"`
}

// Status reads the process's GET /status.
func (p *Proc) Status() (Status, error) {
	var s Status
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, _ := nethttp.NewRequestWithContext(ctx, "GET", "http://"+p.HTTP+"/status", nil)
	req.Header.Set("Accept", "application/json")
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return s, fmt.Errorf("status: %s", resp.Status)
	}
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// FreeAddr returns a loopback address whose port was free a moment ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Eventually polls cond every 20ms until it holds or within passes, and
// reports whether it held.
func Eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Grep returns the lines of node (all nodes when empty) containing every
// one of words.
func (b *LogBook) Grep(node string, words ...string) []LogLine {
	var out []LogLine
	for _, l := range b.Lines() {
		if node != "" && l.Node != node {
			continue
		}
		if containsAll(l.Text, words) {
			out = append(out, l)
		}
	}
	return out
}

func containsAll(s string, words []string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

// errorf fails t unless the test already ended.
func errorf(t testing.TB, format string, args ...any) {
	defer func() { _ = recover() }()
	t.Errorf(format, args...)
}

// logf logs through t unless the test already ended.
func logf(t testing.TB, format string, args ...any) {
	defer func() { _ = recover() }()
	t.Logf(format, args...)
}
