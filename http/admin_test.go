package http_test

import (
	"context"
	"encoding/json"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/herald-chatops/herald/election"
	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

// adminCalls are the admin routes, each valid once authorized.
var adminCalls = []struct{ method, path string }{
	{"POST", "/admin/step-down"},
	{"GET", "/admin/dead-letters"},
	{"POST", "/admin/dead-letters/requeue?id=d1"},
}

func TestAdminAuth(t *testing.T) {
	tests := []struct {
		name, token, auth string
		code              int
	}{
		{"no token configured", "", "Bearer " + testToken, 403},
		{"no token configured, none sent", "", "", 403},
		{"missing", testToken, "", 401},
		{"wrong", testToken, "Bearer " + testToken + "x", 401},
		{"prefix of the token", testToken, "Bearer " + testToken[:16], 401},
		{"not bearer", testToken, "Basic " + testToken, 401},
		{"right", testToken, "Bearer " + testToken, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *heraldhttp.Config, _ *heraldhttp.Deps) {
				c.AdminToken = tt.token
			})
			f.q.dead = []queue.DeadLetter{{List: queue.Jobs, Envelope: queue.Envelope{ID: "d1"}}}
			for _, call := range adminCalls {
				r := httptest.NewRequest(call.method, call.path, nil)
				if tt.auth != "" {
					r.Header.Set("Authorization", tt.auth)
				}
				if w := f.do(r); w.Code != tt.code {
					t.Errorf("%s %s: %d, want %d: %s", call.method, call.path, w.Code,
						tt.code, w.Body)
				}
			}
		})
	}
}

func TestStepDownOnWorker(t *testing.T) {
	f := newFixture(t, func(_ *heraldhttp.Config, d *heraldhttp.Deps) {
		d.StepDown = func(context.Context) error { return election.ErrNotLeader }
	})
	w := f.do(authorized("POST", "/admin/step-down"))
	if w.Code != 409 {
		t.Errorf("step-down on a worker: %d, want 409", w.Code)
	}
}

func TestDeadLetters(t *testing.T) {
	f := newFixture(t, nil)
	died := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	f.q.dead = []queue.DeadLetter{
		{List: queue.Jobs, Died: died, Envelope: queue.Envelope{ID: "d1", Kind: "github",
			Error: "boom", Body: []byte(`{"secret":"payload"}`)}},
		{List: queue.Inbound, Died: died, Envelope: queue.Envelope{ID: "d2"}},
	}
	tests := []struct {
		name, method, path string
		code               int
		want               string
	}{
		{"list", "GET", "/admin/dead-letters", 200, `"count":2`},
		{"list hides bodies", "GET", "/admin/dead-letters", 200, `"body":null`},
		{"list with bodies", "GET", "/admin/dead-letters?body=1", 200, `"secret":"payload"`},
		{"list limited", "GET", "/admin/dead-letters?limit=1", 200, `"count":1`},
		{"bad limit", "GET", "/admin/dead-letters?limit=0", 400, "limit"},
		{"requeue one", "POST", "/admin/dead-letters/requeue?id=d2", 200, `"requeued":1`},
		{"requeue unknown", "POST", "/admin/dead-letters/requeue?id=zz", 404, `"requeued":0`},
		{"requeue all", "POST", "/admin/dead-letters/requeue?all=1", 200, `"requeued":2`},
		{"requeue nothing named", "POST", "/admin/dead-letters/requeue", 400, "id=ID"},
		{"requeue both", "POST", "/admin/dead-letters/requeue?id=d1&all=1", 400, "id=ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := f.do(authorized(tt.method, tt.path))
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%d %s, want %d with %s", w.Code, w.Body, tt.code, tt.want)
			}
		})
	}
	var list struct {
		DeadLetters []queue.DeadLetter `json:"dead_letters"`
	}
	w := f.do(authorized("GET", "/admin/dead-letters"))
	if err := json.Unmarshal(w.Body.Bytes(), &list); err != nil ||
		list.DeadLetters[0].Envelope.Error != "boom" || !list.DeadLetters[0].Died.Equal(died) {
		t.Errorf("list %s (%v)", w.Body, err)
	}
}

// authorized is an admin request with the right token.
func authorized(method, path string) *nethttp.Request {
	r := httptest.NewRequest(method, path, nil)
	r.Header.Set("Authorization", "Bearer "+testToken)
	return r
}
