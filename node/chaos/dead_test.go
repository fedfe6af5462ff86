package chaos_test

import (
	"context"
	"encoding/json"
	"io"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/queue"
)

// deadList is the answer of GET /admin/dead-letters.
type deadList struct {
	Count       int                `json:"count"`
	DeadLetters []queue.DeadLetter `json:"dead_letters"`
}

// TestDeadLetters follows a message whose handler always fails onto the
// dead-letter list, lists it and requeues it through the admin API, and
// checks that it blocked nothing meanwhile and that the bot said nothing
// about it.
func TestDeadLetters(t *testing.T) {
	skipShort(t)
	c := startCluster(t, clusterOptions{namespace: "dead"})
	c.person.say("herald: fail dl-one")
	if !c.ask("echo still-served", "still-served", 10*time.Second) {
		t.Fatal("an echo after the failing message was not answered")
	}
	id := expectDead(t, c, 1)

	// The admin calls need the token.
	for _, token := range []string{"", "wrong-token-0123456789"} {
		if code, _ := admin(t, c, "GET", "/admin/dead-letters", token); code != 401 {
			t.Errorf("dead-letter list with token %q: %d, want 401", token, code)
		}
	}

	// Requeued, it is handled again from attempt one, and dies again.
	code, body := admin(t, c, "POST", "/admin/dead-letters/requeue?id="+id, adminToken)
	if code != 200 || !strings.Contains(body, `"requeued":1`) {
		t.Fatalf("requeue: %d %s", code, body)
	}
	if again := expectDead(t, c, 2); again != id {
		t.Errorf("the dead letter after the requeue has id %s, want %s", again, id)
	}
	if n := len(c.person.replies("dl-one")); n != 0 {
		t.Errorf("the bot said %d lines about the failing message", n)
	}
}

// expectDead waits until the failing message died for the nth time, and
// checks its dead letter: list inbound, queue.max_attempts (3) attempts,
// the handler's error, and two retries logged for each death. It
// returns the letter's id.
func expectDead(t *testing.T, c *cluster, nth int) string {
	t.Helper()
	var letter queue.DeadLetter
	if !eventually(15*time.Second, func() bool {
		var ok bool
		letter, ok = findDead(t, c, "fail dl-one")
		id := letter.Envelope.ID
		return ok && len(c.book.Grep("", `msg="dead letter"`, "msg_id="+id)) == nth
	}) {
		t.Fatalf("the failing message did not die %d times within 15s", nth)
	}
	id := letter.Envelope.ID
	if letter.List != queue.Inbound || letter.Envelope.Attempts != 3 ||
		!strings.Contains(letter.Envelope.Error, "fail command always fails") {
		t.Errorf("dead letter %+v: want list inbound, 3 attempts and the handler's error",
			letter)
	}
	if n := len(c.book.Grep("", "handler failed, will retry", "msg_id="+id)); n != 2*nth {
		t.Errorf("%d retry log lines for %s, want %d", n, id, 2*nth)
	}
	return id
}

// findDead lists the dead letters with their bodies and returns the one
// whose chat message says text.
func findDead(t *testing.T, c *cluster, text string) (queue.DeadLetter, bool) {
	code, body := admin(t, c, "GET", "/admin/dead-letters?body=1", adminToken)
	if code != 200 {
		return queue.DeadLetter{}, false
	}
	var list deadList
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Errorf("dead-letter list: %v in %s", err, body)
		return queue.DeadLetter{}, false
	}
	for _, d := range list.DeadLetters {
		var m chat.Message
		if json.Unmarshal(d.Envelope.Body, &m) == nil && m.Text == text {
			return d, true
		}
	}
	return queue.DeadLetter{}, false
}

// admin makes an admin call to a running node with token ("" for none)
// and returns the status and body.
func admin(t *testing.T, c *cluster, method, path, token string) (int, string) {
	t.Helper()
	var node string
	for _, id := range c.ids {
		if c.procs[id].Running() && !c.isDown(id) {
			node = id
			break
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, _ := nethttp.NewRequestWithContext(ctx, method, "http://"+c.procs[node].HTTP+path, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := nethttp.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("%s %s: %v", method, path, err)
		return 0, ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
