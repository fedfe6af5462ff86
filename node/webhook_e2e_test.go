package node_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	nethttp "net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/node/clustertest"
)

const hookSecret = "e2e-webhook-secret-0123456789"

// postHook posts a GitHub delivery to node id and returns the status.
func (c *e2e) postHook(id, event, delivery string, body []byte, sig string) int {
	c.t.Helper()
	req, err := nethttp.NewRequest("POST", "http://"+c.nodes[id].HTTP+"/hooks/github",
		bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", event)
	req.Header.Set("X-GitHub-Delivery", delivery)
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(hookSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// follower returns a running node that is not the master.
func (c *e2e) follower() string {
	master := c.master()
	for _, id := range c.order {
		if id != master && c.nodes[id].Running() {
			return id
		}
	}
	c.t.Fatal("no follower running")
	return ""
}

func TestE2EWebhookReachesChat(t *testing.T) {
	c := startE2EWith(t, fmt.Sprintf("webhooks: {github: {secret: %q, room: \"#ops\"}}",
		hookSecret))
	body, err := os.ReadFile("../testdata/webhooks/github/push.new-branch.json")
	if err != nil {
		t.Fatal(err)
	}
	target := c.follower()
	want := "[Codertocat/Hello-World] Codertocat created branch master with 1 commit: " +
		"https://github.com/Codertocat/Hello-World/commit/6113728f27ae82c7b1a177c8d03f9e96e0adf246"

	// The same delivery twice, through a node that is not the master:
	// accepted twice, said once.
	for range 2 {
		if code := c.postHook(target, "push", "d-1", body, sign(body)); code != 202 {
			t.Fatalf("signed push answered %d, want 202", code)
		}
	}
	said := func() int { return c.countText(want) }
	if !clustertest.Eventually(15*time.Second, func() bool { return said() > 0 }) {
		t.Fatal("the push never reached #ops")
	}
	time.Sleep(1500 * time.Millisecond) // settle: a duplicate would arrive here
	if n := said(); n != 1 {
		t.Fatalf("the push was said %d times, want once", n)
	}
	if n := c.countText("6113728 Initial commit"); n != 1 {
		t.Fatalf("the commit line was said %d times, want once", n)
	}
}

func TestE2EWebhookRefusalsKeepNothing(t *testing.T) {
	c := startE2EWith(t, fmt.Sprintf("webhooks: {github: {secret: %q, room: \"#ops\"}}",
		hookSecret))
	body, err := os.ReadFile("../testdata/webhooks/github/push.tag.json")
	if err != nil {
		t.Fatal(err)
	}
	big := append([]byte(`{"pad":"`), bytes.Repeat([]byte("x"), 2<<20)...)
	big = append(big, `"}`...)
	broken := []byte(`{"ref": "refs/heads/main", "repository": {`)
	target := c.follower()
	tests := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"wrong signature", body, sign([]byte("something else")), 401},
		{"missing signature", body, "", 401},
		{"body over the limit", big, sign(big), 413},
		{"broken JSON", broken, sign(broken), 400},
	}
	for i, tc := range tests {
		code := c.postHook(target, "push", fmt.Sprintf("bad-%d", i), tc.body, tc.sig)
		if code != tc.want {
			t.Errorf("%s: answered %d, want %d", tc.name, code, tc.want)
		}
	}
	s, err := c.nodes[target].Status()
	if err != nil {
		t.Fatal(err)
	}
	for list, n := range s.Queues {
		if n != 0 {
			t.Errorf("list %s holds %d after refused requests", list, n)
		}
	}
	time.Sleep(time.Second) // settle: nothing may reach chat
	for _, l := range c.client.Lines() {
		if strings.Contains(l.Text, "Hello-World") {
			t.Fatalf("a refused webhook reached chat: %q", l.Text)
		}
	}
}
