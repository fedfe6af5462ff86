// Package ircdtest runs real IRC servers (ngircd) for tests, and a raw
// IRC client that tests use to see what a bot does.
//
// Each Server is an `ngircd -n` process of its own on a free loopback
// port, with its configuration in the test's temporary folder, stopped
// when the test ends. When the test runs as root the server is started as
// user nobody from the outset: ngircd refuses to run as root and would
// switch users itself, which clears the parent-death signal that kills it
// should the test binary die without cleaning up.
//
// With Options.TLS the server also listens with TLS, on a self-signed
// certificate for 127.0.0.1 made for the test.
//
// What it does not do: link servers into a network.
package ircdtest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ServerName is the name the test server gives itself in prefixes.
const ServerName = "irc.herald.test"

// startTimeout bounds how long a server may take to listen.
const startTimeout = 10 * time.Second

// Options change how the server is configured. The zero value is a
// server without flood penalties, password or short timeouts.
type Options struct {
	// Penalties keeps ngircd's flood penalties on, which slow down a
	// client that sends too fast. Off by default (MaxPenaltyTime = 0).
	Penalties bool
	// Password is the server password clients must send; "" for none.
	Password string
	// MaxNickLength is the longest nick the server accepts. Default 30.
	MaxNickLength int
	// PingTimeout is how long a client may stay silent before the server
	// pings it, and PongTimeout how long it then waits for the answer
	// before dropping the client and freeing its nick. Defaults 120s and
	// 20s; ngircd accepts no less than 5s for either.
	PingTimeout time.Duration
	PongTimeout time.Duration
	// TLS adds a TLS port (Server.TLSAddr) with a self-signed
	// certificate (Server.CertPEM).
	TLS bool
}

// Server is one ngircd process started by a test.
type Server struct {
	// Addr is HOST:PORT on loopback.
	Addr string
	// TLSAddr is the HOST:PORT of the TLS port, "" without Options.TLS.
	TLSAddr string
	// CertPEM is the server's self-signed certificate, for clients that
	// verify it; nil without Options.TLS.
	CertPEM []byte
	// Dir holds the server's configuration file.
	Dir string

	t       testing.TB
	bin     string
	conf    string
	port    int
	tlsPort int
	tls     tlsFiles

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start starts ngircd on a free loopback port and registers its stop with
// t.Cleanup. It fails the test when ngircd is missing: `make test-deps`
// installs it.
func Start(t testing.TB, opt Options) *Server {
	t.Helper()
	bin, err := lookPath()
	if err != nil {
		t.Fatalf("ircdtest: ngircd not found (run `make test-deps`): %v", err)
	}
	opt, err = opt.withDefaults()
	if err != nil {
		t.Fatalf("ircdtest: %v", err)
	}
	s := &Server{t: t, bin: bin, Dir: t.TempDir()}
	s.conf = filepath.Join(s.Dir, "ngircd.conf")
	t.Cleanup(s.Stop)
	if opt.TLS {
		if s.tls, s.CertPEM, err = writeTLSFiles(s.Dir); err != nil {
			t.Fatalf("ircdtest: %v", err)
		}
	}

	// A port can be taken between picking and binding it; try a few.
	for try := 1; ; try++ {
		s.port = freePort(t)
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port))
		if opt.TLS {
			s.tlsPort = freePort(t)
			s.TLSAddr = net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tlsPort))
		}
		s.writeConfig(opt)
		err := s.start()
		if err == nil {
			return s
		}
		if try == 3 {
			t.Fatalf("ircdtest: %v", err)
		}
	}
}

// lookPath finds ngircd, which Debian installs in /usr/sbin, a folder
// missing from the PATH of many users.
func lookPath() (string, error) {
	if p, err := exec.LookPath("ngircd"); err == nil {
		return p, nil
	}
	return exec.LookPath(filepath.Join("/usr", "sbin", "ngircd"))
}

func (o Options) withDefaults() (Options, error) {
	if o.MaxNickLength == 0 {
		o.MaxNickLength = 30
	}
	if o.PingTimeout == 0 {
		o.PingTimeout = 120 * time.Second
	}
	if o.PongTimeout == 0 {
		o.PongTimeout = 20 * time.Second
	}
	if o.PingTimeout < 5*time.Second || o.PongTimeout < 5*time.Second {
		return o, fmt.Errorf("ping and pong timeouts (%v, %v) must be at least 5s",
			o.PingTimeout, o.PongTimeout)
	}
	if strings.ContainsAny(o.Password, "\r\n") {
		return o, fmt.Errorf("password must be one line")
	}
	return o, nil
}

func (s *Server) writeConfig(o Options) {
	s.t.Helper()
	penalty := 0
	if o.Penalties {
		penalty = -1
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[Global]\n\tName = %s\n\tInfo = Herald test server\n", ServerName)
	fmt.Fprintf(&b, "\tListen = 127.0.0.1\n\tPorts = %d\n", s.port)
	b.WriteString("\tMotdPhrase = Herald test server\n")
	b.WriteString("\tAdminInfo1 = Herald tests\n\tAdminInfo2 = loopback\n")
	b.WriteString("\tAdminEMail = nobody@localhost\n")
	if o.Password != "" {
		fmt.Fprintf(&b, "\tPassword = %s\n", o.Password)
	}
	fmt.Fprintf(&b, "[Limits]\n\tPingTimeout = %d\n\tPongTimeout = %d\n",
		int(o.PingTimeout.Seconds()), int(o.PongTimeout.Seconds()))
	fmt.Fprintf(&b, "\tMaxConnectionsIP = 0\n\tMaxJoins = 0\n\tMaxNickLength = %d\n",
		o.MaxNickLength)
	fmt.Fprintf(&b, "\tMaxPenaltyTime = %d\n", penalty)
	b.WriteString("[Options]\n\tPAM = no\n\tIdent = no\n\tDNS = no\n")
	if o.TLS {
		fmt.Fprintf(&b, "[SSL]\n\tCertFile = %s\n\tKeyFile = %s\n\tDHFile = %s\n",
			s.tls.cert, s.tls.key, s.tls.dh)
		fmt.Fprintf(&b, "\tPorts = %d\n", s.tlsPort)
	}
	if err := os.WriteFile(s.conf, []byte(b.String()), 0o644); err != nil {
		s.t.Fatalf("ircdtest: write config: %v", err)
	}
}

// start runs ngircd and waits until it listens on its last port.
func (s *Server) start() error {
	listening := make(chan struct{})
	last := s.port
	if s.tlsPort != 0 {
		last = s.tlsPort
	}
	want := fmt.Sprintf("Now listening on [127.0.0.1]:%d", last)
	var once sync.Once
	out := &lineWriter{t: s.t, prefix: "ngircd " + s.Addr + ": ", onLine: func(l string) {
		if strings.Contains(l, want) {
			once.Do(func() { close(listening) })
		}
	}}
	cmd := exec.Command(s.bin, "-n", "-f", s.conf)
	cmd.Stdout, cmd.Stderr = out, out
	attr, err := s.procAttr()
	if err != nil {
		return err
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start ngircd: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	s.mu.Lock()
	s.cmd, s.done = cmd, done
	s.mu.Unlock()
	return s.waitListening(listening, done)
}

func (s *Server) waitListening(listening, done chan struct{}) error {
	t := time.NewTimer(startTimeout)
	defer t.Stop()
	select {
	case <-listening:
		return nil
	case <-done:
		s.Stop()
		return fmt.Errorf("ngircd exited before listening on %s (see its log above)", s.Addr)
	case <-t.C:
		s.Stop()
		return fmt.Errorf("ngircd not listening on %s within %v", s.Addr, startTimeout)
	}
}

// procAttr puts the server in its own process group, kills it if the test
// binary dies, and, under root, runs it as nobody (see the package doc).
func (s *Server) procAttr() (*syscall.SysProcAttr, error) {
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() != 0 {
		return attr, nil
	}
	uid, gid := nobody()
	attr.Credential = &syscall.Credential{Uid: uid, Gid: gid}

	// nobody must reach the configuration: open the test's folders.
	for _, d := range []string{s.Dir, filepath.Dir(s.Dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			return nil, fmt.Errorf("open %s to nobody: %w", d, err)
		}
	}
	return attr, nil
}

// nobody returns the ids of the user nobody, or the usual 65534.
func nobody() (uint32, uint32) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return 65534, 65534
	}
	uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
	gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
	if err1 != nil || err2 != nil {
		return 65534, 65534
	}
	return uint32(uid), uint32(gid)
}

// Stop kills the server (SIGKILL, as a crash would) if it runs, and waits
// for it. It is safe to call twice.
func (s *Server) Stop() {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT) // a paused server must die too
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// Restart stops the server and starts it again on the same port, as a
// crash and restart would. Clients lose their connections.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("ircdtest: restart: %v", err)
	}
}

// Pause stops the server process (SIGSTOP) until Resume, which looks to
// clients like a server that hangs.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused server.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		_ = s.cmd.Process.Signal(sig)
	}
}

// Pid returns the server's process id, or 0 when it is stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("ircdtest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// lineWriter logs what a process writes, line by line, through t.
type lineWriter struct {
	t      testing.TB
	prefix string
	onLine func(string)
	buf    []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(bytes.TrimRight(w.buf[:i], "\r"))
		w.buf = w.buf[i+1:]
		logf(w.t, "%s%s", w.prefix, line)
		if w.onLine != nil {
			w.onLine(line)
		}
	}
}

// logf logs through t unless the test already ended, when t.Log panics.
func logf(t testing.TB, format string, args ...any) {
	defer func() { _ = recover() }()
	t.Logf(format, args...)
}
