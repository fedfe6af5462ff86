// Package redistest starts real redis-server processes for tests, each on
// a free loopback port with its own data folder, and stops them when the
// test ends.
package redistest

import (
	"bufio"
	"fmt"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is one redis-server process started by a test.
type Server struct {
	// Addr is HOST:PORT on loopback.
	Addr string
	// Dir is the server's working folder (AOF files live here).
	Dir  string
	t    testing.TB
	args []string
	cmd  *exec.Cmd
	done chan struct{}
}

// Options change how the server is started.
type Options struct {
	// AppendOnly turns on AOF persistence with fsync on every write, for
	// tests where a restart must keep the data.
	AppendOnly bool
	// Args are extra redis-server arguments.
	Args []string
}

// Start starts a redis-server on a free loopback port and registers its
// stop with t.Cleanup. It fails the test when redis-server is missing:
// `make test-deps` installs it.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("redis-server not found (run `make test-deps`): %v", err)
	}
	s := &Server{t: t, Dir: t.TempDir(), Addr: FreeAddr(t)}
	_, port, _ := net.SplitHostPort(s.Addr)
	aof := "no"
	if opt.AppendOnly {
		aof = "yes"
	}
	s.args = append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "",
		"--appendonly", aof, "--appendfsync", "always", "--dir", s.Dir,
		"--logfile", "", "--loglevel", "warning"}, opt.Args...)
	s.args = append([]string{bin}, s.args...)
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.args[0], s.args[1:]...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	out, _ := s.cmd.StdoutPipe()
	s.cmd.Stderr = s.cmd.Stdout
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("redistest: start: %v", err)
	}
	s.done = make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			logf(s.t, "redis %s: %s", s.Addr, sc.Text())
		}
	}()
	go func(cmd *exec.Cmd, done chan struct{}) {
		_ = cmd.Wait()
		close(done)
	}(s.cmd, s.done)
	if err := WaitReady(s.Addr, 10*time.Second); err != nil {
		s.t.Fatalf("redistest: %v", err)
	}
}

// Stop kills the server if it runs. It is safe to call twice.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
	s.cmd = nil
}

// Restart stops the server and starts it again on the same port and
// folder, as a crash and restart would.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}

// Pause stops the server process (SIGSTOP) until Resume, which looks to
// clients like a server that hangs.
func (s *Server) Pause() { _ = s.cmd.Process.Signal(syscall.SIGSTOP) }

// Resume continues a paused server.
func (s *Server) Resume() { _ = s.cmd.Process.Signal(syscall.SIGCONT) }

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("redistest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// WaitReady waits until a Redis server at addr answers PING.
func WaitReady(addr string, within time.Duration) error {
	deadline := time.Now().Add(within)
	for {
		if ping(addr) == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis at %s not ready within %v", addr, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ping(addr string) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("redis: unexpected %q", strings.TrimSpace(line))
	}
	return nil
}

// Pid returns the server's process id, or 0 when it is stopped.
func (s *Server) Pid() int {
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// logf logs through t unless the test already ended, when t.Log panics.
func logf(t testing.TB, format string, args ...any) {
	defer func() { _ = recover() }()
	t.Logf(format, args...)
}
