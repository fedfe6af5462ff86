package webroute_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat"
	"github.com/herald-chatops/herald/chat/webroute"
)

const secret = "0123456789abcdef-handlers"

type outbound struct {
	mu   sync.Mutex
	acts []chat.Action
	err  error
}

func (o *outbound) push(_ context.Context, acts []chat.Action) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.err != nil {
		return o.err
	}
	o.acts = append(o.acts, acts...)
	return nil
}

func newServer(t *testing.T, out *outbound) *httptest.Server {
	t.Helper()
	cfg := webroute.DefaultConfig()
	cfg.Secret = secret
	reg, err := webroute.New(cfg, 64, out.push, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	routes := []struct {
		handler, method, path string
		h                     webroute.HandlerFunc
	}{
		{"deploy", "POST", "/start/{env}", func(_ context.Context, r *webroute.Request) (
			webroute.Response, error) {
			r.Send("#ops", "deploying "+r.HTTP.PathValue("env")+": "+string(r.Body))
			env := r.HTTP.PathValue("env")
			return webroute.JSON(http.StatusAccepted, map[string]string{"env": env})
		}},
		{"deploy", "GET", "/status", func(context.Context, *webroute.Request) (
			webroute.Response, error) {
			return webroute.Text(0, "idle"), nil
		}},
		{"deploy", "POST", "/bad", func(_ context.Context, r *webroute.Request) (
			webroute.Response, error) {
			r.Send("#ops", "never")
			return webroute.Response{}, webroute.Fail(http.StatusBadRequest, "env missing")
		}},
		{"deploy", "POST", "/broken", func(context.Context, *webroute.Request) (
			webroute.Response, error) {
			return webroute.Response{}, errors.New("internal detail")
		}},
		{"deploy", "POST", "/panic", func(context.Context, *webroute.Request) (
			webroute.Response, error) {
			panic("boom")
		}},
	}
	for _, rt := range routes {
		if err := reg.Handle(rt.handler, rt.method, rt.path, rt.h); err != nil {
			t.Fatal(err)
		}
	}
	mux := http.NewServeMux()
	mux.Handle(webroute.Prefix, reg)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestServe(t *testing.T) {
	tests := []struct {
		name, method, path, secret, body string
		idem                             string
		status                           int
		answer                           string
	}{
		{"post with wildcard", "POST", "/handlers/deploy/start/prod", secret, "v1.2", "abc-1",
			202, `{"env":"prod"}`},
		{"get", "GET", "/handlers/deploy/status", secret, "", "", 200, "idle"},
		{"no secret", "GET", "/handlers/deploy/status", "", "", "", 401, "X-Herald-Secret"},
		{"wrong secret", "GET", "/handlers/deploy/status", "x" + secret, "", "", 401, ""},
		{"too large", "POST", "/handlers/deploy/start/prod", secret, strings.Repeat("x", 65),
			"", 413, "http.max_body"},
		{"wrong method", "DELETE", "/handlers/deploy/status", secret, "", "", 405, ""},
		{"unknown", "GET", "/handlers/other/status", secret, "", "", 404, ""},
		{"status error", "POST", "/handlers/deploy/bad", secret, "", "", 400, "env missing"},
		{"failure hides detail", "POST", "/handlers/deploy/broken", secret, "", "", 500,
			"handler failed"},
		{"panic", "POST", "/handlers/deploy/panic", secret, "", "", 500, "handler failed"},
	}
	out := &outbound{}
	srv := newServer(t, out)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, answer := do(t, srv, tc.method, tc.path, tc.secret, tc.idem, tc.body)
			if status != tc.status || !strings.Contains(answer, tc.answer) ||
				strings.Contains(answer, "internal detail") {
				t.Fatalf("got %d %q, want %d %q", status, answer, tc.status, tc.answer)
			}
		})
	}
	if len(out.acts) != 1 || out.acts[0].ID != "http:deploy:abc-1/0" ||
		out.acts[0].Lines[0] != "deploying prod: v1.2" {
		t.Fatalf("pushed %+v", out.acts)
	}
}

func do(t *testing.T, srv *httptest.Server, method, path, sec, idem, body string) (int,
	string) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sec != "" {
		req.Header.Set("X-Herald-Secret", sec)
	}
	if idem != "" {
		req.Header.Set(webroute.IdempotencyHeader, idem)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestPushFailureAnswers503(t *testing.T) {
	out := &outbound{err: errors.New("redis down")}
	srv := newServer(t, out)
	status, _ := do(t, srv, "POST", "/handlers/deploy/start/prod", secret, "", "x")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503", status)
	}
}

func TestTimeout(t *testing.T) {
	cfg := webroute.DefaultConfig()
	cfg.Timeout = 20 * time.Millisecond
	reg, _ := webroute.New(cfg, 64, nil, slog.New(slog.DiscardHandler))
	_ = reg.Handle("slow", "GET", "/", func(ctx context.Context, _ *webroute.Request) (
		webroute.Response, error) {
		<-ctx.Done()
		return webroute.Response{}, ctx.Err()
	})
	rec := httptest.NewRecorder()
	reg.ServeHTTP(rec, httptest.NewRequest("GET", "/handlers/slow/", nil))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d", rec.Code)
	}
}

func TestHandleRefuses(t *testing.T) {
	reg, _ := webroute.New(webroute.DefaultConfig(), 1024, nil, nil)
	ok := func(context.Context, *webroute.Request) (webroute.Response, error) {
		return webroute.Response{}, nil
	}
	if err := reg.Handle("h", "GET", "/items/{id}", ok); err != nil {
		t.Fatal(err)
	}
	bad := []struct{ name, handler, method, path string }{
		{"conflict", "h", "GET", "/items/{other}"},
		{"same twice", "h", "GET", "/items/{id}"},
		{"no slash", "h", "GET", "items"},
		{"bad method", "h", "TRACE", "/x"},
		{"upper-case handler", "H", "GET", "/x"},
		{"space in path", "h", "GET", "/a b"},
	}
	for _, tc := range bad {
		if err := reg.Handle(tc.handler, tc.method, tc.path, ok); !errors.Is(err,
			webroute.ErrBadRoute) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if got := reg.Routes(); len(got) != 1 || got[0] != "GET /handlers/h/items/{id}" {
		t.Errorf("routes = %q", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*webroute.Config)
		want string
	}{
		{"defaults", func(*webroute.Config) {}, ""},
		{"short secret", func(c *webroute.Config) { c.Secret = "short" },
			"http.handlers.secret must be at least 16"},
		{"bad header", func(c *webroute.Config) { c.Header = "X Secret" },
			`http.handlers.header ("X Secret")`},
		{"zero timeout", func(c *webroute.Config) { c.Timeout = 0 },
			"http.handlers.timeout (0s)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := webroute.DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			if (tc.want == "") != (err == nil) || (err != nil &&
				!strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("Validate() = %v, want %q", err, tc.want)
			}
		})
	}
}
