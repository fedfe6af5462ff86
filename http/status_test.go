package http_test

import (
	"context"
	"encoding/json"
	"errors"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

func TestHealthz(t *testing.T) {
	f := newFixture(t, nil)
	f.q.pingErr = errDown
	w := f.do(httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != "ok" {
		t.Errorf("healthz %d %q, want 200 ok even with the queue down", w.Code, w.Body)
	}
}

func TestReadyz(t *testing.T) {
	tests := []struct {
		name string
		set  func(*fakeQueue)
		code int
		want string
	}{
		{"reachable", func(*fakeQueue) {}, 200, "ok"},
		{"refused", func(q *fakeQueue) { q.pingErr = errDown }, 503, "connection refused"},
		{"no answer", func(q *fakeQueue) { q.pingHang = true }, 503, "no answer within 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			tt.set(f.q)
			w := f.do(httptest.NewRequest("GET", "/readyz", nil))
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("readyz %d %q, want %d with %q", w.Code, w.Body, tt.code, tt.want)
			}
		})
	}
}

func TestStatusJSON(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do(httptest.NewRequest("GET", "/status", nil))
	if w.Code != 200 || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	var got struct {
		Node        *string           `json:"node"`
		Master      *string           `json:"master"`
		Term        *uint64           `json:"term"`
		Version     *string           `json:"version"`
		DeadLetters *int64            `json:"dead_letters"`
		Queues      map[string]int64  `json:"queues"`
		Nodes       []json.RawMessage `json:"nodes"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Node == nil || *got.Node != "n1" || got.Master == nil || *got.Master != "n2" ||
		got.Term == nil || *got.Term != 7 || got.Version == nil || got.DeadLetters == nil ||
		*got.DeadLetters != 2 || got.Queues["jobs"] != 5 || len(got.Nodes) != 2 {
		t.Errorf("status %s", w.Body)
	}
	var node map[string]any
	if err := json.Unmarshal(got.Nodes[1], &node); err != nil || node["id"] != "n2" ||
		node["master"] != true {
		t.Errorf("node %s (%v), want an object with id and master", got.Nodes[1], err)
	}
}

func TestStatusWithoutMaster(t *testing.T) {
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.Status = func(context.Context) (heraldhttp.Status, error) {
			return heraldhttp.Status{Node: "n1"}, nil
		}
	})
	w := f.do(httptest.NewRequest("GET", "/status", nil))
	body := w.Body.String()
	for _, want := range []string{`"master":""`, `"nodes":[]`, `"queues":{}`} {
		if !strings.Contains(body, want) {
			t.Errorf("status %s lacks %s", body, want)
		}
	}
}

func TestStatusPage(t *testing.T) {
	f := newFixture(t, nil)
	r := httptest.NewRequest("GET", "/status", nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	w := f.do(r)
	body := w.Body.String()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(body, "<b>n2</b>, term 7") || !strings.Contains(body, "127.0.0.1:8082") {
		t.Errorf("page %d:\n%s", w.Code, body)
	}
}

func TestStatusFailing(t *testing.T) {
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.Status = func(context.Context) (heraldhttp.Status, error) {
			return heraldhttp.Status{}, errDown
		}
	})
	if w := f.do(httptest.NewRequest("GET", "/status", nil)); w.Code != 503 {
		t.Errorf("status %d, want 503", w.Code)
	}
}

func TestRoutesWithoutDeps(t *testing.T) {
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.Status, d.StepDown, d.DeadLetters = nil, nil, nil
	})
	for _, path := range []string{"/status", "/admin/dead-letters", "/metrics"} {
		if w := f.do(httptest.NewRequest("GET", path, nil)); w.Code != 404 {
			t.Errorf("GET %s: %d, want 404", path, w.Code)
		}
	}
}

func TestMetricsMounted(t *testing.T) {
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.Metrics = nethttp.HandlerFunc(func(w nethttp.ResponseWriter, _ *nethttp.Request) {
			_, _ = w.Write([]byte("herald_up 1\n"))
		})
	})
	if w := f.do(httptest.NewRequest("GET", "/metrics", nil)); w.Body.String() != "herald_up 1\n" {
		t.Errorf("metrics %d %q", w.Code, w.Body)
	}
}

func TestNewServerRefuses(t *testing.T) {
	q := &fakeQueue{}
	tests := []struct {
		name string
		cfg  heraldhttp.Config
		deps heraldhttp.Deps
		want string
	}{
		{"no queue", heraldhttp.DefaultConfig(), heraldhttp.Deps{}, "no queue"},
		{"bad config", heraldhttp.Config{}, heraldhttp.Deps{Queue: q}, "http.addr"},
		{"source twice", heraldhttp.DefaultConfig(), heraldhttp.Deps{Queue: q,
			Sources: []heraldhttp.Source{named("a"), named("a")}}, `"a" given twice`},
		{"bad source name", heraldhttp.DefaultConfig(), heraldhttp.Deps{Queue: q,
			Sources: []heraldhttp.Source{named("A/b")}}, `"A/b" must be`},
		{"missing TLS files", func() heraldhttp.Config {
			c := heraldhttp.DefaultConfig()
			c.TLSCert, c.TLSKey = "testdata/none.pem", "testdata/none.key"
			return c
		}(), heraldhttp.Deps{Queue: q}, "http.tls_cert and http.tls_key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := heraldhttp.NewServer(tt.cfg, tt.deps, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewServer = %v, want an error with %q", err, tt.want)
			}
		})
	}
	_, err := heraldhttp.NewServer(heraldhttp.DefaultConfig(), heraldhttp.Deps{}, nil)
	if !errors.Is(err, heraldhttp.ErrNoQueue) {
		t.Errorf("NewServer = %v, want ErrNoQueue", err)
	}
}

// named is a webhook source that only has a name.
type named string

func (n named) Name() string                        { return string(n) }
func (n named) Verify(nethttp.Header, []byte) error { return nil }
func (n named) Formats(string) bool                 { return false }

func (n named) Job(nethttp.Header, []byte) (queue.Envelope, error) {
	return queue.Envelope{}, nil
}
