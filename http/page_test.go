package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/http/metrics"
	"github.com/herald-chatops/herald/queue"
)

// getPage serves GET path as a browser asks for it.
func getPage(f *fixture, path string) (int, string) {
	r := httptest.NewRequest("GET", path, nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	w := f.do(r)
	return w.Code, w.Body.String()
}

// withStatus makes a fixture whose node reports st.
func withStatus(t *testing.T, st heraldhttp.Status) *fixture {
	return newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.Status = func(context.Context) (heraldhttp.Status, error) { return st, nil }
	})
}

func TestPageSelfContained(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do(httptest.NewRequest("GET", "/", nil)) // no Accept: the page all the same
	body := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
		w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("GET / %d %v", w.Code, w.Header())
	}
	for _, want := range []string{`<meta http-equiv="refresh" content="5">`,
		"Master <b>n2</b>, term 7", "127.0.0.1:8082"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	// No script, and nothing loaded from anywhere: it must work offline
	// and without JavaScript.
	for _, bad := range []string{"<script", "src=", "href=", "@import", "url("} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	if code, _ := getPage(f, "/nothing"); code != 404 {
		t.Errorf("GET /nothing %d, want 404", code)
	}
}

func TestPageEscapes(t *testing.T) {
	st, _ := testStatus(context.Background())
	st.Nodes[0].ID = `<img src=x onerror=alert(1)>`
	st.Nodes[0].Version = `"><script>alert(2)</script>`
	f := withStatus(t, st)
	f.q.dead = []queue.DeadLetter{{List: queue.Jobs, Envelope: queue.Envelope{ID: "d<1>",
		Kind: "github", Error: "<script>alert(3)</script>", Body: []byte(`"hunter2"`)}}}
	_, body := getPage(f, "/")
	for _, bad := range []string{"<img", "<script>", "hunter2"} {
		if strings.Contains(body, bad) {
			t.Errorf("page holds %q unescaped:\n%s", bad, body)
		}
	}
	for _, want := range []string{"&lt;img src=x", "&lt;script&gt;alert(3)", "d&lt;1&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func TestPageNotes(t *testing.T) {
	healthy, _ := testStatus(context.Background())
	healthy.DeadLetters = 0
	tests := []struct {
		name      string
		edit      func(*heraldhttp.Status)
		want, not []string
	}{
		{"healthy", func(*heraldhttp.Status) {}, []string{"Master <b>n2</b>"},
			[]string{"No master", "dead letter", `class="note`}},
		{"no master", func(s *heraldhttp.Status) { s.Master = "" },
			[]string{"No master", "lists keep buffering", "<title>Herald: NO MASTER"}, nil},
		{"one dead letter", func(s *heraldhttp.Status) { s.DeadLetters = 1 },
			[]string{"1 dead\nletter.", "herald dead-letters requeue --all"}, []string{"letters."}},
		{"master without chat", func(s *heraldhttp.Status) { s.IsMaster = true },
			[]string{"not connected to chat"}, nil},
		{"master with chat", func(s *heraldhttp.Status) { s.IsMaster, s.ChatConnected = true, true },
			nil, []string{"not connected to chat"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := healthy
			tt.edit(&st)
			_, body := getPage(withStatus(t, st), "/")
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(body, n) {
					t.Errorf("page holds %q", n)
				}
			}
		})
	}
}

func TestPageDeadLetters(t *testing.T) {
	st, _ := testStatus(context.Background())
	st.DeadLetters = 25
	f := withStatus(t, st)
	for i := range 25 {
		f.q.dead = append(f.q.dead, queue.DeadLetter{List: queue.Inbound,
			Envelope: queue.Envelope{ID: fmt.Sprintf("m%02d", i), Kind: "message",
				Attempts: 3, Error: strings.Repeat("x", 500)}})
	}
	_, body := getPage(f, "/")
	if !strings.Contains(body, "(the oldest 20 of 25)") || !strings.Contains(body, "m19") ||
		strings.Contains(body, "m20") {
		t.Errorf("page does not show the oldest 20 dead letters")
	}
	if strings.Contains(body, strings.Repeat("x", 300)) || !strings.Contains(body, "x…") {
		t.Errorf("long errors are not clipped")
	}
}

// failingDead is a dead-letter list that cannot be read.
type failingDead struct{}

func (failingDead) DeadLetters(context.Context, int) ([]queue.DeadLetter, error) {
	return nil, errDown
}

func (failingDead) Requeue(context.Context, string) (int, error) { return 0, errDown }

func TestPageSurvivesFailures(t *testing.T) {
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.DeadLetters = failingDead{}
	})
	code, body := getPage(f, "/")
	if code != 200 || !strings.Contains(body, "cannot read the dead letters") ||
		!strings.Contains(body, "Master <b>n2</b>") {
		t.Errorf("page %d without dead letters:\n%s", code, body)
	}
	f = newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.Status = func(context.Context) (heraldhttp.Status, error) {
			return heraldhttp.Status{}, errDown
		}
	})
	code, body = getPage(f, "/")
	if code != 503 || !strings.Contains(body, "cannot read the cluster status") ||
		!strings.Contains(body, "connection refused") {
		t.Errorf("page %d for a failing status:\n%s", code, body)
	}
}

func TestPageChangesNewestFirst(t *testing.T) {
	st, _ := testStatus(context.Background())
	base := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	for i := range 15 {
		st.Changes = append(st.Changes, heraldhttp.MasterChange{Time: base.Add(
			time.Duration(i) * time.Minute), Term: uint64(i + 1), Master: "n1", Event: "started"})
	}
	_, body := getPage(withStatus(t, st), "/")
	newest := strings.Index(body, "2026-01-02 03:14:00 UTC")
	older := strings.Index(body, "2026-01-02 03:05:00 UTC")
	if newest < 0 || older < 0 || newest > older || strings.Contains(body, "03:04:00") {
		t.Errorf("changes not the last 10, newest first")
	}
}

func TestStatusJSONNewFields(t *testing.T) {
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	st, _ := testStatus(context.Background())
	st.IsMaster, st.ChatConnected, st.MasterSince, st.Started = true, true, since, since
	st.Changes = []heraldhttp.MasterChange{{Time: since, Term: 7, Master: "n2",
		Event: "ended", Reason: "node stopping"}}
	w := withStatus(t, st).do(httptest.NewRequest("GET", "/status", nil))
	var got map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	changes, _ := got["master_changes"].([]any)
	if got["is_master"] != true || got["chat_connected"] != true ||
		got["master_since"] != "2026-01-02T03:04:05Z" || got["started"] != "2026-01-02T03:04:05Z" ||
		len(changes) != 1 {
		t.Errorf("status %s", w.Body)
	}
	c, _ := changes[0].(map[string]any)
	if c["term"] != 7.0 || c["master"] != "n2" || c["event"] != "ended" ||
		c["reason"] != "node stopping" {
		t.Errorf("change %v", c)
	}

	// Unknown times are left out, and the list is never null.
	w = withStatus(t, heraldhttp.Status{Node: "n1"}).do(httptest.NewRequest("GET", "/status", nil))
	if b := w.Body.String(); strings.Contains(b, "master_since") ||
		!strings.Contains(b, `"master_changes":[]`) {
		t.Errorf("status %s", b)
	}
}

// seenLog records WebhookSeen calls.
type seenLog struct {
	mu   sync.Mutex
	seen []string
}

func (s *seenLog) add(source, event string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, fmt.Sprintf("%s/%s/%d", source, event, code))
}

func TestWebhookSeen(t *testing.T) {
	log := &seenLog{}
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.WebhookSeen = log.add
	})
	body := payload(t, "push.new-branch.json")
	f.do(hook("push", delivery, sign(testSecret, body), bytes.NewReader(body)))
	f.do(hook("push", delivery, sign("wrong-secret-0123456", body), bytes.NewReader(body)))
	f.do(hook("push", delivery, sign(testSecret, []byte("{")), strings.NewReader("{")))
	f.q.pushErr = errDown
	f.do(hook("issues", delivery, sign(testSecret, body), bytes.NewReader(body)))
	r := httptest.NewRequest("POST", "/hooks/gitlab", strings.NewReader("{}"))
	f.do(r) // an unknown source is not counted: its name is the sender's
	want := []string{"github/push/202", "github//401", "github//400", "github/issues/503"}
	if strings.Join(log.seen, " ") != strings.Join(want, " ") {
		t.Errorf("seen %v, want %v", log.seen, want)
	}
}

func TestShortDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{850 * time.Millisecond, "850ms"},
		{45 * time.Second, "45s"},
		{12*time.Minute + 30*time.Second, "12m30s"},
		{5*time.Hour + 2*time.Minute, "5h02m"},
		{76 * time.Hour, "3d04h"},
	} {
		if got := heraldhttp.ShortDuration(tt.d); got != tt.want {
			t.Errorf("ShortDuration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestWebhookMetrics(t *testing.T) {
	m := metrics.New("test")
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.Metrics, d.WebhookSeen = m.Handler(), m.WebhookReceived
	})
	body := payload(t, "push.new-branch.json")
	for range 2 {
		f.do(hook("push", delivery, sign(testSecret, body), bytes.NewReader(body)))
	}
	f.do(hook("push", delivery, "sha256=00", bytes.NewReader(body)))
	text := f.do(httptest.NewRequest("GET", "/metrics", nil)).Body.String()
	for _, want := range []string{
		`herald_webhooks_received_total{event="push",source="github",status="202"} 2`,
		`herald_webhooks_received_total{event="",source="github",status="401"} 1`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
