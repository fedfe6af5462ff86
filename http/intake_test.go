package http_test

import (
	"bytes"
	"encoding/json"
	nethttp "net/http"
	"strings"
	"testing"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/queue"
)

const delivery = "72d3162e-cc78-11e3-81ab-4c9367dc0958"

func TestIntakeSignedPush(t *testing.T) {
	f := newFixture(t, nil)
	body := payload(t, "push.new-branch.json")
	before := time.Now()
	w := f.do(hook("push", delivery, sign(testSecret, body), bytes.NewReader(body)))
	if w.Code != nethttp.StatusAccepted {
		t.Fatalf("status %d, want 202: %s", w.Code, w.Body)
	}
	var ans struct{ Status, ID string }
	if err := json.Unmarshal(w.Body.Bytes(), &ans); err != nil || ans.ID != delivery {
		t.Errorf("answer %s (%v), want the delivery id", w.Body, err)
	}
	got := f.q.all()
	if len(got) != 1 {
		t.Fatalf("%d pushes, want 1", len(got))
	}
	p := got[0]
	e := p.env
	if p.list != queue.Jobs || p.fence != 0 || e.ID != delivery || e.Kind != "github" ||
		e.V != queue.Version || e.Meta[heraldhttp.MetaEvent] != "push" {
		t.Errorf("pushed %s %d %+v", p.list, p.fence, e)
	}
	if !bytes.Equal(e.Body, body) || e.Enqueued.Before(before.Add(-time.Second)) {
		t.Errorf("pushed body of %d bytes enqueued %v, want the %d raw bytes now",
			len(e.Body), e.Enqueued, len(body))
	}
	if s := f.srv.Stats(); s.Accepted != 1 || s.NoFormatter != 0 {
		t.Errorf("stats %+v", s)
	}
}

func TestIntakeWithoutDeliveryIDIsContentAddressed(t *testing.T) {
	f := newFixture(t, nil)
	body := payload(t, "ping.event.json")
	for range 2 {
		w := f.do(hook("ping", "", sign(testSecret, body), bytes.NewReader(body)))
		if w.Code != nethttp.StatusAccepted {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
	got := f.q.all()
	if len(got) != 2 || got[0].env.ID != heraldhttp.ContentID(body) ||
		got[1].env.ID != got[0].env.ID {
		t.Errorf("pushes %+v, want two with the content id", got)
	}
}

func TestIntakeRefused(t *testing.T) {
	body := payload(t, "push.new-branch.json")
	big := bytes.Repeat([]byte("x"), 2<<20)
	broken := []byte(`{"ref": "refs/heads/main",`)
	tests := []struct {
		name string
		req  *nethttp.Request
		code int
	}{
		{"wrong signature", hook("push", delivery, sign("another-secret-0000", body),
			bytes.NewReader(body)), 401},
		{"missing signature", hook("push", delivery, "", bytes.NewReader(body)), 401},
		{"body over max_body", hook("push", delivery, sign(testSecret, big),
			bytes.NewReader(big)), 413},
		{"chunked body over max_body", hook("push", delivery, sign(testSecret, big),
			struct{ *bytes.Reader }{bytes.NewReader(big)}), 413},
		{"broken JSON", hook("push", delivery, sign(testSecret, broken),
			bytes.NewReader(broken)), 400},
		{"missing event", hook("", delivery, sign(testSecret, body), bytes.NewReader(body)), 400},
		{"unknown source", httptest404(body), 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil)
			if strings.HasPrefix(tt.name, "chunked") {
				tt.req.ContentLength = -1
			}
			w := f.do(tt.req)
			if w.Code != tt.code {
				t.Errorf("status %d, want %d: %s", w.Code, tt.code, w.Body)
			}
			if n := len(f.q.all()); n != 0 {
				t.Errorf("%d pushes, want none", n)
			}
			if !strings.Contains(w.Body.String(), `"error"`) {
				t.Errorf("answer %q has no error", w.Body)
			}
		})
	}
}

// httptest404 is a signed delivery to a source that does not exist.
func httptest404(body []byte) *nethttp.Request {
	r := hook("push", delivery, sign(testSecret, body), bytes.NewReader(body))
	r.URL.Path = "/hooks/gitlab"
	return r
}

func TestIntakeUnknownEventIsAccepted(t *testing.T) {
	f := newFixture(t, nil)
	body := []byte(`{"action":"created","repository":{"full_name":"a/b"}}`)
	w := f.do(hook("fork", delivery, sign(testSecret, body), bytes.NewReader(body)))
	if w.Code != nethttp.StatusAccepted || len(f.q.all()) != 1 {
		t.Fatalf("status %d with %d pushes, want 202 and 1", w.Code, len(f.q.all()))
	}
	if s := f.srv.Stats(); s.Accepted != 1 || s.NoFormatter != 1 {
		t.Errorf("stats %+v, want one accepted without formatter", s)
	}
}

func TestIntakeQueueDown(t *testing.T) {
	tests := []struct {
		name string
		set  func(*fakeQueue)
	}{
		{"push fails", func(q *fakeQueue) { q.pushErr = errDown }},
		{"push hangs", func(q *fakeQueue) { q.block = make(chan struct{}) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, func(c *heraldhttp.Config, _ *heraldhttp.Deps) {
				c.PushTimeout = 50 * time.Millisecond
			})
			tt.set(f.q)
			body := payload(t, "issues.opened.json")
			w := f.do(hook("issues", delivery, sign(testSecret, body), bytes.NewReader(body)))
			if w.Code != nethttp.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
				t.Errorf("status %d, Retry-After %q: want 503 with Retry-After",
					w.Code, w.Header().Get("Retry-After"))
			}
			if s := f.srv.Stats(); s.Unavailable != 1 || s.Accepted != 0 {
				t.Errorf("stats %+v", s)
			}
		})
	}
}

func TestIntakeLogsNoBodyNorSignature(t *testing.T) {
	f := newFixture(t, nil)
	body := []byte(`{"zen":"very-secret-marker","hook_id":1}`)
	sig := sign(testSecret, body)
	f.do(hook("ping", delivery, sig, bytes.NewReader(body)))
	f.do(hook("ping", delivery, sign("another-secret-0000", body), bytes.NewReader(body)))
	f.q.pushErr = errDown
	f.do(hook("ping", delivery, sig, bytes.NewReader(body)))
	logs := f.logs.String()
	for _, secret := range []string{"very-secret-marker", sig[7:], testSecret} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs hold %q:\n%s", secret, logs)
		}
	}
	if !strings.Contains(logs, "msg_id="+delivery) {
		t.Errorf("logs lack the delivery id:\n%s", logs)
	}
}

func TestIntakeMethod(t *testing.T) {
	f := newFixture(t, nil)
	w := f.do(hook("push", delivery, "", nil))
	w2 := f.do(func() *nethttp.Request {
		r := hook("push", delivery, "", nil)
		r.Method = "GET"
		return r
	}())
	if w.Code != 401 || w2.Code != nethttp.StatusMethodNotAllowed {
		t.Errorf("POST without signature %d, GET %d; want 401 and 405", w.Code, w2.Code)
	}
}
