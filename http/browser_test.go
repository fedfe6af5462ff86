package http_test

import (
	"context"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/browsertest"
	"github.com/herald-chatops/herald/queue"
)

// screenshotEnv names a PNG file the browser test saves the page to, for
// a person to look at.
const screenshotEnv = "HERALD_PAGE_SCREENSHOT"

// mustRead fails unless the page reads every one of want.
func mustRead(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("page does not read %q:\n%s", w, text)
		}
	}
}

// cluster is a Status the test changes while the page is open.
type cluster struct {
	mu sync.Mutex
	st heraldhttp.Status
}

func (c *cluster) set(edit func(*heraldhttp.Status)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	edit(&c.st)
}

func (c *cluster) status(context.Context) (heraldhttp.Status, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.st
	st.Nodes = append([]queue.NodeInfo(nil), c.st.Nodes...)
	return st, nil
}

// threeNodes is a healthy cluster with n2 master in term 7.
func threeNodes(now time.Time) heraldhttp.Status {
	node := func(id string, master bool, term uint64) queue.NodeInfo {
		return queue.NodeInfo{ID: id, Addr: "127.0.0.1:808" + id[1:], Version: "v0.6.0",
			Started: now.Add(-3 * time.Hour), Seen: now.Add(-time.Second), Master: master,
			Term: term}
	}
	return heraldhttp.Status{Node: "n1", Master: "n2", Term: 7, Version: "v0.6.0",
		Started: now.Add(-3 * time.Hour), MasterSince: now.Add(-90 * time.Minute),
		Nodes: []queue.NodeInfo{node("n1", false, 7), node("n2", true, 7),
			node("n3", false, 7)},
		Queues: map[string]int64{queue.Inbound: 0, queue.Outbound: 1, queue.Jobs: 12,
			queue.Dead: 2},
		DeadLetters: 2,
		Changes: []heraldhttp.MasterChange{{Time: now.Add(-90 * time.Minute), Term: 7,
			Master: "n2", Event: "started"}},
	}
}

// TestStatusPageInChromium opens the page in a real browser with
// JavaScript off, reads it as a person would, and follows a failover.
func TestStatusPageInChromium(t *testing.T) {
	now := time.Now()
	c := &cluster{st: threeNodes(now)}
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) { d.Status = c.status })
	f.q.dead = []queue.DeadLetter{{List: queue.Jobs, Died: now.Add(-time.Minute),
		Envelope: queue.Envelope{ID: "gh-1", Kind: "github", Attempts: 3,
			Error: "format push: <b>no</b> such repository", Body: []byte(`{"token":"s3cr3t"}`)}}}
	web := httptest.NewServer(f.srv.Handler())
	t.Cleanup(web.Close)

	b := browsertest.Start(t)
	b.Open(web.URL + "/")
	text := b.Text()
	mustRead(t, text, "Master n2, term 7", "since", "(1h30m", "2 dead letters.",
		"n1 (this page)", "up 3h00m", "127.0.0.1:8082", "master, term 7", "jobs 12",
		"format push: <b>no</b> such repository", "gh-1", "1m0")
	if strings.Contains(text, "No master") || strings.Contains(text, "s3cr3t") {
		t.Errorf("page of a healthy cluster:\n%s", text)
	}
	if path := os.Getenv(screenshotEnv); path != "" {
		b.Screenshot(path)
	}

	// The master dies: nobody is master until the lease runs out.
	c.set(func(st *heraldhttp.Status) {
		st.Master, st.MasterSince, st.Nodes = "", now, st.Nodes[:1]
		st.Nodes = append(st.Nodes, threeNodes(now).Nodes[2])
	})
	b.Reload()
	mustRead(t, b.Text(), "No master", "the lists keep buffering", "Nodes (2)")

	// n3 wins term 8; the page reloads by itself and shows it.
	c.set(func(st *heraldhttp.Status) {
		st.Master, st.Term = "n3", 8
		st.Nodes[1].Master, st.Nodes[1].Term = true, 8
	})
	b.WaitText("Master n3, term 8", 12*time.Second)
	text = b.Text()
	mustRead(t, text, "master, term 8")
	if strings.Contains(text, "No master") {
		t.Errorf("after the failover the page still warns:\n%s", text)
	}
	if title := b.Title(); title != "Herald: n3 is master, term 8" {
		t.Errorf("title %q", title)
	}
}
