package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/election"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

const testToken = "0123456789abcdef-admin-token"

// cluster is the state the test nodes report; step-down changes it.
type cluster struct {
	mu       sync.Mutex
	st       heraldhttp.Status
	dead     []queue.DeadLetter
	stepDown func() error // on the master, nil: a new term starts
}

func (c *cluster) status(node string) func(context.Context) (heraldhttp.Status, error) {
	return func(context.Context) (heraldhttp.Status, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		st := c.st
		st.Node = node
		st.Nodes = append([]queue.NodeInfo(nil), c.st.Nodes...)
		return st, nil
	}
}

// handOver makes n3 master of the next term.
func (c *cluster) handOver() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.st.Master, c.st.Term = "n3", c.st.Term+1
	for i := range c.st.Nodes {
		c.st.Nodes[i].Master = c.st.Nodes[i].ID == "n3"
	}
}

func (c *cluster) DeadLetters(_ context.Context, limit int) ([]queue.DeadLetter, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]queue.DeadLetter(nil), c.dead[:min(limit, len(c.dead))]...), nil
}

func (c *cluster) Requeue(_ context.Context, id string) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, d := range c.dead {
		if id == "" || d.Envelope.ID == id {
			n++
		}
	}
	return n, nil
}

// nopQueue is a queue that takes everything.
type nopQueue struct{}

func (nopQueue) Push(context.Context, string, queue.Envelope, queue.Fence) error { return nil }
func (nopQueue) Ping(context.Context) error                                      { return nil }

// testNode is one node's HTTP surface on loopback, with the
// Authorization header of every request it got, by path.
type testNode struct {
	srv  *httptest.Server
	mu   sync.Mutex
	auth map[string][]string
}

func (n *testNode) addr() string { return strings.TrimPrefix(n.srv.URL, "http://") }

func (n *testNode) authOf(path string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.auth[path]
}

// startNode serves the real HTTP surface of node id of c.
func startNode(t *testing.T, c *cluster, id string) *testNode {
	t.Helper()
	cfg := heraldhttp.DefaultConfig()
	cfg.AdminToken = testToken
	deps := heraldhttp.Deps{Queue: nopQueue{}, DeadLetters: c, Status: c.status(id),
		StepDown: func(context.Context) error {
			c.mu.Lock()
			master, f := c.st.Master, c.stepDown
			c.mu.Unlock()
			if master != id {
				return election.ErrNotLeader
			}
			if f != nil {
				return f()
			}
			c.handOver()
			return nil
		}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := heraldhttp.NewServer(cfg, deps, log)
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{auth: map[string][]string{}}
	n.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.mu.Lock()
		n.auth[r.URL.Path] = append(n.auth[r.URL.Path], r.Header.Get("Authorization"))
		n.mu.Unlock()
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(n.srv.Close)
	return n
}

// threeNodes starts n1 and n2 (the master, term 7) and names n3, which
// is not served.
func threeNodes(t *testing.T) (*cluster, *testNode, *testNode) {
	now := time.Now()
	c := &cluster{}
	n1, n2 := startNode(t, c, "n1"), startNode(t, c, "n2")
	info := func(id, addr string, master bool) queue.NodeInfo {
		return queue.NodeInfo{ID: id, Addr: addr, Version: "v0.6.0", Master: master, Term: 7,
			Started: now.Add(-26 * time.Hour), Seen: now.Add(-time.Second)}
	}
	c.st = heraldhttp.Status{Master: "n2", Term: 7, Version: "v0.6.0",
		MasterSince: now.Add(-time.Hour),
		Nodes: []queue.NodeInfo{info("n3", "127.0.0.1:1", false), info("n1", n1.addr(), false),
			info("n2", n2.addr(), true)},
		Queues:      map[string]int64{"inbound": 0, "outbound": 1, "jobs": 12, "dead": 2},
		DeadLetters: 2}
	c.dead = []queue.DeadLetter{{List: "jobs", Died: now.Add(-time.Minute),
		Envelope: queue.Envelope{ID: "gh-1", Kind: "github", Attempts: 3,
			Error: "format push:\nno such repository", Body: []byte(`{"secret":"payload"}`)}}}
	return c, n1, n2
}

// herald runs the command line and returns its exit code and output.
func herald(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	shown := strings.ReplaceAll(strings.Join(args, " "), testToken, "TOKEN")
	t.Logf("herald %s -> %d\n%s%s", shown, code, out.String(), errOut.String())
	if strings.Contains(out.String()+errOut.String(), testToken) {
		t.Errorf("herald %s printed the admin token", strings.Join(args, " "))
	}
	return code, out.String(), errOut.String()
}

// contains fails unless s holds every one of want.
func contains(t *testing.T, what, s string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(s, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, s)
		}
	}
}

// hasRows fails unless, for each of rows, out has a line made of exactly
// those fields.
func hasRows(t *testing.T, out string, rows ...[]string) {
	t.Helper()
	lines := strings.Split(out, "\n")
	for _, row := range rows {
		if !slices.ContainsFunc(lines, func(l string) bool {
			return slices.Equal(strings.Fields(l), row)
		}) {
			t.Errorf("no line %q in:\n%s", strings.Join(row, " "), out)
		}
	}
}

func TestStatusTable(t *testing.T) {
	_, n1, n2 := threeNodes(t)
	code, out, _ := herald(t, "status", "--addr", n1.addr())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	contains(t, "status", out, "Master:  n2, term 7, since ", "(1h00m ago)",
		"Answered by n1 (v0.6.0)", "Dead letters: 2")
	hasRows(t, out, []string{"NODE", "ROLE", "ADDRESS", "VERSION", "UPTIME", "LAST", "HEARTBEAT"},
		[]string{"n2", "master", "(term", "7)", n2.addr(), "v0.6.0", "1d02h", "1s", "ago"},
		[]string{"inbound", "0"}, []string{"notices", "0"}, []string{"jobs", "12"},
		[]string{"dead", "2"})
	if i, j := strings.Index(out, "\nn1 "), strings.Index(out, "\nn3 "); i < 0 || j < i {
		t.Errorf("nodes not sorted by id")
	}
	if got := n1.authOf("/status"); len(got) != 1 || got[0] != "" {
		t.Errorf("status sent Authorization %q; only admin calls carry the token", got)
	}
}

func TestStatusJSON(t *testing.T) {
	_, n1, _ := threeNodes(t)
	code, out, _ := herald(t, "status", "--json", "--addr", "http://"+n1.addr())
	var st heraldhttp.Status
	if err := json.Unmarshal([]byte(out), &st); code != 0 || err != nil || st.Master != "n2" ||
		st.Node != "n1" || len(st.Nodes) != 3 {
		t.Errorf("exit %d, %v, %+v", code, err, st)
	}
}

func TestStatusOnTheMaster(t *testing.T) {
	c, _, n2 := threeNodes(t)
	c.st.IsMaster = true
	_, out, _ := herald(t, "status", "--addr", n2.addr())
	contains(t, "status", out, "Answered by n2 (v0.6.0), the master; chat NOT CONNECTED")
	c.st.ChatConnected = true
	_, out, _ = herald(t, "status", "--addr", n2.addr())
	contains(t, "status", out, "Answered by n2 (v0.6.0), the master; chat connected")
}

func TestStatusWithoutMaster(t *testing.T) {
	c, n1, _ := threeNodes(t)
	c.st.Master, c.st.Nodes = "", nil
	code, out, _ := herald(t, "status", "--addr", n1.addr())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	contains(t, "status", out, "Master:  NONE (newest term seen: 7)",
		"(no node has sent a heartbeat)")
}

// closedAddr is a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

func TestUnreachable(t *testing.T) {
	addr := closedAddr(t)
	for _, args := range [][]string{{"status"}, {"step-down"}, {"dead-letters", "list"},
		{"dead-letters", "requeue", "--all"}} {
		code, _, errOut := herald(t, append(args, "--addr", addr, "--token", testToken)...)
		if code != 1 || !strings.Contains(errOut,
			"cannot reach node at "+addr+": is it running?") {
			t.Errorf("%v: exit %d, %q", args, code, errOut)
		}
	}
}

func TestStepDownThroughAnyNode(t *testing.T) {
	_, n1, n2 := threeNodes(t)
	t.Setenv(tokenEnv, testToken)
	code, out, _ := herald(t, "step-down", "--addr", n1.addr())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	contains(t, "step-down", out, "n2 ("+n2.addr()+") stepped down from term 7",
		"n3 is master, term 8, after ")
	if got := n2.authOf("/admin/step-down"); len(got) != 1 || got[0] != "Bearer "+testToken {
		t.Errorf("the master got Authorization %q", got)
	}
	if got := n1.authOf("/admin/step-down"); len(got) != 0 {
		t.Errorf("a worker was asked to step down")
	}
}

func TestStepDownOnTheMaster(t *testing.T) {
	_, _, n2 := threeNodes(t)
	code, out, _ := herald(t, "step-down", "--addr", n2.addr(), "--token", testToken,
		"--wait", "0")
	if code != 0 || !strings.Contains(out, "stepped down from term 7") ||
		strings.Contains(out, "is master") {
		t.Errorf("exit %d, %q", code, out)
	}
}

func TestStepDownFails(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*cluster)
		token string
		want  string
	}{
		{"no token", nil, "", "needs the admin token: give --token or set " + tokenEnv},
		{"wrong token", nil, "0123456789abcdef-wrong", "refused the admin token"},
		{"no master", func(c *cluster) { c.st.Master = "" }, testToken,
			"there is no master right now"},
		{"lost the role meanwhile", func(c *cluster) {
			c.stepDown = func() error { return election.ErrNotLeader }
		}, testToken, "n2 is not the master any more"},
		{"step-down fails", func(c *cluster) {
			c.stepDown = func() error { return errors.New("redis: connection reset") }
		}, testToken, "answered 503: step-down failed: redis: connection reset"},
		{"no new master", func(c *cluster) {
			c.stepDown = func() error { return nil }
		}, testToken, "no new master seen within 300ms"},
		{"master unreachable", func(c *cluster) { c.st.Master = "n3" }, testToken,
			"cannot reach node at 127.0.0.1:1"},
		{"master listens everywhere", func(c *cluster) {
			c.st.Nodes[2].Addr = "0.0.0.0:8080"
		}, testToken, `gives "0.0.0.0:8080" as its address`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, n1, _ := threeNodes(t)
			if tt.edit != nil {
				tt.edit(c)
			}
			t.Setenv(tokenEnv, tt.token)
			code, _, errOut := herald(t, "step-down", "--addr", n1.addr(), "--wait", "300ms")
			if code != 1 || !strings.Contains(errOut, tt.want) {
				t.Errorf("exit %d, %q, want 1 and %q", code, errOut, tt.want)
			}
		})
	}
}

func TestDeadLetters(t *testing.T) {
	_, n1, _ := threeNodes(t)
	t.Setenv(tokenEnv, testToken)
	code, out, _ := herald(t, "dead-letters", "list", "--addr", n1.addr())
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	hasRows(t, out, []string{"ID", "LIST", "KIND", "TRIES", "DIED", "ERROR"},
		[]string{"gh-1", "jobs", "github", "3", "1m00s", "ago", "format", "push:", "no", "such",
			"repository"})
	if strings.Contains(out, "payload") {
		t.Errorf("list shows a payload")
	}
	if got := n1.authOf("/admin/dead-letters"); len(got) != 1 || got[0] != "Bearer "+testToken {
		t.Errorf("list sent Authorization %q", got)
	}

	code, out, _ = herald(t, "dead-letters", "list", "--json", "--addr", n1.addr())
	if code != 0 || !strings.Contains(out, `"count":1`) {
		t.Errorf("list --json: %d %q", code, out)
	}
	code, out, _ = herald(t, "dead-letters", "requeue", "--addr", n1.addr(), "--id", "gh-1")
	if code != 0 || out != "Requeued 1 dead letter.\n" {
		t.Errorf("requeue --id: %d %q", code, out)
	}
	code, _, errOut := herald(t, "dead-letters", "requeue", "--addr", n1.addr(), "--id", "no")
	if code != 1 || !strings.Contains(errOut, `no dead letter has the id "no"`) {
		t.Errorf("requeue of an unknown id: %d %q", code, errOut)
	}
	code, out, _ = herald(t, "dead-letters", "requeue", "--addr", n1.addr(), "--all")
	if code != 0 || out != "Requeued 1 dead letter.\n" {
		t.Errorf("requeue --all: %d %q", code, out)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"status", "--help"}, 0, "Usage: herald status [flags]"},
		{[]string{"step-down", "-h"}, 0, "Usage: herald step-down [flags]"},
		{[]string{"dead-letters", "list", "--help"}, 0, "Usage: herald dead-letters list"},
		{[]string{"dead-letters", "requeue", "--help"}, 0, "(--id ID | --all)"},
		{[]string{"dead-letters", "--help"}, 0, "herald dead-letters requeue"},
		{[]string{"dead-letters"}, 2, "herald dead-letters list"},
		{[]string{"dead-letters", "purge"}, 2, `unknown command "purge"`},
		{[]string{"dead-letters", "requeue"}, 2, "give either --id ID or --all"},
		{[]string{"dead-letters", "requeue", "--id", "x", "--all"}, 2, "either --id"},
		{[]string{"dead-letters", "list", "--limit", "0"}, 2, "--limit (0) must be"},
		{[]string{"status", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{[]string{"status", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"status", "--addr", "ftp://x:1"}, 2, "must be HOST:PORT or an http(s) URL"},
		{[]string{"status", "--config", "testdata/none.yaml"}, 1, "none.yaml"},
		{[]string{"--help"}, 0, "herald step-down [flags]"},
	}
	for _, tt := range tests {
		code, out, errOut := herald(t, tt.args...)
		if code != tt.code || !strings.Contains(out+errOut, tt.want) {
			t.Errorf("%v: exit %d, want %d with %q", tt.args, code, tt.code, tt.want)
		}
	}
}

func TestAddressAndTokenFromConfig(t *testing.T) {
	_, n1, n2 := threeNodes(t)
	file := filepath.Join(t.TempDir(), "herald.yaml")
	yaml := "node:\n  id: n1\nhttp:\n  addr: " + n1.addr() + "\n  admin_token: " + testToken + "\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ := herald(t, "step-down", "--config", file, "--wait", "0")
	if code != 0 || !strings.Contains(out, "stepped down") {
		t.Fatalf("exit %d %q", code, out)
	}
	if got := n2.authOf("/admin/step-down"); len(got) != 1 || got[0] != "Bearer "+testToken {
		t.Errorf("the master got Authorization %q", got)
	}

	// --token and the environment win over the file.
	t.Setenv(tokenEnv, "0123456789abcdef-from-env")
	code, _, errOut := herald(t, "dead-letters", "list", "--config", file)
	if code != 1 || !strings.Contains(errOut, "refused the admin token") {
		t.Errorf("exit %d %q, want the variable's token used", code, errOut)
	}
	if code, _, _ = herald(t, "dead-letters", "list", "--config", file, "--token",
		testToken); code != 0 {
		t.Errorf("exit %d with --token", code)
	}
}

func TestTarget(t *testing.T) {
	for _, tt := range []struct{ addr, want string }{
		{"", "http://127.0.0.1:8080"},
		{"198.51.100.7:9000", "http://198.51.100.7:9000"},
		{"https://herald.example.com:8443/", "https://herald.example.com:8443"},
		{"[::1]:8080", "http://[::1]:8080"},
	} {
		cf := clientFlags{addr: tt.addr}
		u, _, err := cf.target()
		if err != nil || u.String() != tt.want {
			t.Errorf("--addr %q: %v %v, want %s", tt.addr, u, err, tt.want)
		}
	}
	for _, tt := range []struct{ listen, want string }{
		{":8080", "127.0.0.1:8080"},
		{"0.0.0.0:8080", "127.0.0.1:8080"},
		{"[::]:8080", "[::1]:8080"},
		{"192.0.2.10:8080", "192.0.2.10:8080"},
	} {
		if got := dialable(tt.listen); got != tt.want {
			t.Errorf("dialable(%q) = %q, want %q", tt.listen, got, tt.want)
		}
	}
}
