package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Sentinel timings of the kit, fast so that a failover takes seconds.
const (
	// SentinelDownAfter is how long the master must be silent before a
	// sentinel thinks it down (down-after-milliseconds).
	SentinelDownAfter = time.Second
	// SentinelFailoverTimeout is the sentinels' failover-timeout.
	SentinelFailoverTimeout = 3 * time.Second
)

// SentinelOptions change StartSentinelWith.
type SentinelOptions struct {
	// Sentinels is how many redis-sentinel processes watch the master.
	// They need a majority of them to agree on a failover. Default 3.
	Sentinels int
	// Replicas is how many replicas of the master are started. Default 1.
	Replicas int
	// Password, when set, is required by the sentinels (as the default
	// user's password) from clients and from each other. It is set once
	// a sentinel is up, so Restart of such a sentinel is not supported.
	Password string
}

// Sentinel is a master, its replicas and the redis-sentinel processes
// watching them, all started by one test on loopback. Every process is
// stopped when the test ends.
type Sentinel struct {
	// Name is the name the sentinels know the master by.
	Name string
	// Addrs are the sentinels' addresses.
	Addrs []string
	// Servers are the master the kit was given, then its replicas.
	Servers []*Server
	// Sentinels are the redis-sentinel processes.
	Sentinels []*Server
	t         testing.TB
	password  string
}

// StartSentinel starts one replica of master and n sentinels watching
// master under name, with down-after-milliseconds 1000 and
// failover-timeout 3000, and waits until every sentinel knows the
// replica and the other sentinels. master must have been started by
// redistest and must not need a password.
func StartSentinel(t testing.TB, master *Server, name string, n int) *Sentinel {
	t.Helper()
	return StartSentinelWith(t, master, name, SentinelOptions{Sentinels: n})
}

// StartSentinelWith is StartSentinel with more choices.
func StartSentinelWith(t testing.TB, master *Server, name string,
	opt SentinelOptions) *Sentinel {
	t.Helper()
	if opt.Sentinels == 0 {
		opt.Sentinels = 3
	}
	if opt.Replicas == 0 {
		opt.Replicas = 1
	}
	k := &Sentinel{Name: name, Servers: []*Server{master}, t: t, password: opt.Password}
	k.startReplicas(master, opt.Replicas)

	// Sentinels find the replicas through the master at once, and each
	// other through hello messages every two seconds.
	for range opt.Sentinels {
		k.startOne(master.Addr, opt)
	}
	k.waitKnown(opt.Replicas, opt.Sentinels-1, 30*time.Second)
	return k
}

// startReplicas starts n replicas of master and waits until each is in
// sync with it.
func (k *Sentinel) startReplicas(master *Server, n int) {
	k.t.Helper()
	// A replica syncs at once instead of after the default 5s wait for
	// more replicas to join.
	k.configSet(master.Addr, "repl-diskless-sync-delay", "0")
	_, port, _ := net.SplitHostPort(master.Addr)
	for range n {
		r := Start(k.t, Options{Args: []string{"--replicaof", "127.0.0.1", port,
			"--repl-diskless-sync-delay", "0"}})
		k.Servers = append(k.Servers, r)
		k.waitLinkUp(r.Addr)
	}
}

// startOne starts one sentinel with its config in a temporary folder;
// the sentinel rewrites that file as it learns.
func (k *Sentinel) startOne(master string, opt SentinelOptions) {
	k.t.Helper()
	bin, err := exec.LookPath("redis-sentinel")
	if err != nil {
		k.t.Fatalf("redis-sentinel not found (run `make test-deps`): %v", err)
	}
	s := &Server{t: k.t, Dir: k.t.TempDir(), Addr: FreeAddr(k.t)}
	conf := filepath.Join(s.Dir, "sentinel.conf")
	if err := os.WriteFile(conf, []byte(k.config(s, master, opt)), 0o600); err != nil {
		k.t.Fatalf("redistest: sentinel config: %v", err)
	}
	s.args = []string{bin, conf}
	s.start()
	k.t.Cleanup(s.Stop)
	k.Sentinels = append(k.Sentinels, s)
	k.Addrs = append(k.Addrs, s.Addr)
	if opt.Password != "" {
		k.protect(s.Addr, opt.Password)
	}
}

// protect sets the password of the sentinel at addr once it answers, so
// that the kit's readiness check (a PING without password) passed first.
func (k *Sentinel) protect(addr, password string) {
	k.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := c.Do(ctx, "ACL", "SETUSER", "default", "resetpass", ">"+password).Err()
	if err != nil {
		k.t.Fatalf("redistest: sentinel %s: set password: %v", addr, err)
	}
}

// config returns a sentinel's configuration file.
func (k *Sentinel) config(s *Server, master string, opt SentinelOptions) string {
	_, port, _ := net.SplitHostPort(s.Addr)
	mhost, mport, _ := net.SplitHostPort(master)
	quorum := opt.Sentinels/2 + 1
	lines := []string{
		"port " + port, "bind 127.0.0.1", "daemonize no", `logfile ""`,
		"loglevel warning", "dir " + s.Dir,
		fmt.Sprintf("sentinel monitor %s %s %s %d", k.Name, mhost, mport, quorum),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", k.Name,
			SentinelDownAfter.Milliseconds()),
		fmt.Sprintf("sentinel failover-timeout %s %d", k.Name,
			SentinelFailoverTimeout.Milliseconds()),
		fmt.Sprintf("sentinel parallel-syncs %s 1", k.Name),
	}
	if opt.Password != "" {
		// The password itself is set after start (see protect).
		lines = append(lines, "sentinel sentinel-pass "+opt.Password)
	}
	return strings.Join(lines, "\n") + "\n"
}

// MasterAddr returns the master's address as the first sentinel that
// answers reports it.
func (k *Sentinel) MasterAddr() (string, error) {
	var errs []string
	for _, addr := range k.Addrs {
		got, err := k.askMaster(addr)
		if err == nil {
			return got, nil
		}
		errs = append(errs, err.Error())
	}
	return "", fmt.Errorf("redistest: no sentinel knows master %s: %s", k.Name,
		strings.Join(errs, "; "))
}

// askMaster asks the sentinel at addr for the master's address.
func (k *Sentinel) askMaster(addr string) (string, error) {
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, Password: k.password,
		MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	hp, err := c.GetMasterAddrByName(ctx, k.Name).Result()
	if err != nil {
		return "", fmt.Errorf("sentinel %s: %w", addr, err)
	}
	return net.JoinHostPort(hp[0], hp[1]), nil
}

// Server returns the master or replica of the kit at addr, or nil.
func (k *Sentinel) Server(addr string) *Server {
	for _, s := range k.Servers {
		if s.Addr == addr {
			return s
		}
	}
	return nil
}

// KillMaster sends SIGKILL to the process of the current master, found
// through the sentinels, and returns it. It fails the test when the
// master is not a process of this kit.
func (k *Sentinel) KillMaster() *Server {
	k.t.Helper()
	addr, err := k.MasterAddr()
	if err != nil {
		k.t.Fatal(err)
	}
	s := k.Server(addr)
	if s == nil {
		k.t.Fatalf("redistest: master %s is not a server this kit started", addr)
	}
	s.Stop()
	return s
}

// WaitNewMaster waits until a majority of the sentinels report a master
// other than old and that server says it is a master, and returns its
// address. It fails the test after within.
func (k *Sentinel) WaitNewMaster(old string, within time.Duration) string {
	k.t.Helper()
	deadline := time.Now().Add(within)
	for {
		if addr, ok := k.agreedMaster(); ok && addr != old && isMaster(addr) {
			return addr
		}
		if time.Now().After(deadline) {
			k.t.Fatalf("redistest: no new master of %s within %v", k.Name, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// agreedMaster returns the master address that a majority of the
// sentinels report.
func (k *Sentinel) agreedMaster() (string, bool) {
	votes := map[string]int{}
	for _, s := range k.Addrs {
		if addr, err := k.askMaster(s); err == nil {
			votes[addr]++
			if votes[addr] > len(k.Addrs)/2 {
				return addr, true
			}
		}
	}
	return "", false
}

// isMaster reports whether the server at addr says its role is master.
func isMaster(addr string) bool {
	return strings.Contains(info(addr, "replication"), "role:master")
}

// info returns a section of INFO of the server at addr, "" on failure.
func info(addr, section string) string {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, _ := c.Info(ctx, section).Result()
	return s
}

// configSet sets a setting of the server at addr.
func (k *Sentinel) configSet(addr, key, val string) {
	k.t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ConfigSet(ctx, key, val).Err(); err != nil {
		k.t.Fatalf("redistest: config set %s on %s: %v", key, addr, err)
	}
}

// waitLinkUp waits until the replica at addr is in sync with its master.
func (k *Sentinel) waitLinkUp(addr string) {
	k.t.Helper()
	if !poll(15*time.Second, func() bool {
		return strings.Contains(info(addr, "replication"), "master_link_status:up")
	}) {
		k.t.Fatalf("redistest: replica %s not in sync within 15s", addr)
	}
}

// waitKnown waits until every sentinel knows the master, replicas
// replicas and others other sentinels.
func (k *Sentinel) waitKnown(replicas, others int, within time.Duration) {
	k.t.Helper()
	ok := poll(within, func() bool {
		for _, addr := range k.Addrs {
			m, err := k.masterState(addr)
			if err != nil || atoi(m["num-slaves"]) < replicas ||
				atoi(m["num-other-sentinels"]) < others || m["flags"] != "master" {
				return false
			}
		}
		return true
	})
	if !ok {
		k.t.Fatalf("redistest: sentinels of %s did not find each other and %d replicas "+
			"within %v", k.Name, replicas, within)
	}
}

// masterState returns SENTINEL MASTER of the sentinel at addr.
func (k *Sentinel) masterState(addr string) (map[string]string, error) {
	c := redis.NewSentinelClient(&redis.Options{Addr: addr, Password: k.password,
		MaxRetries: -1})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Master(ctx, k.Name).Result()
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// poll checks cond every 50ms until it holds or within passes.
func poll(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}
