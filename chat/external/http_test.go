package external_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/external"
)

const hookSecret = "0123456789abcdef-cmd"

func TestHTTP(t *testing.T) {
	var got external.Input
	var sigOK bool
	mux := http.NewServeMux()
	mux.HandleFunc("POST /json", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte(hookSecret))
		mac.Write(body)
		sigOK = r.Header.Get(external.SignatureHeader) == "sha256="+hex.EncodeToString(mac.Sum(nil))
		_ = json.Unmarshal(body, &got)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write([]byte(`{"lines": ["one", "two"]}`))
	})
	mux.HandleFunc("POST /text", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("plain\r\nlines\n"))
	})
	mux.HandleFunc("POST /none", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /broken", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "nope", http.StatusBadGateway)
	})
	mux.HandleFunc("POST /moved", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/json", http.StatusTemporaryRedirect)
	})
	release := make(chan struct{})
	mux.HandleFunc("POST /slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	mux.HandleFunc("POST /garbled", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`["not", "an", "object"]`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) }) // runs first: the slow handler ends

	var cmds external.Commands
	for _, p := range []string{"json", "text", "none", "broken", "moved", "slow", "garbled"} {
		c := external.Command{Name: p, Pattern: `^` + p + `(?: (?P<arg>\w+))?$`,
			HTTP: srv.URL + "/" + p, Timeout: 300 * time.Millisecond}
		if p == "json" {
			c.Secret = hookSecret
		}
		cmds = append(cmds, c)
	}
	r, _ := register(t, cmds)
	tests := []struct {
		text    string
		want    []string
		wantErr bool
	}{
		{"json arg1", []string{"one", "two"}, false},
		{"text", []string{"plain", "lines"}, false},
		{"none", nil, false},
		{"broken", nil, true},
		{"moved", nil, true},
		{"slow", nil, true},
		{"garbled", nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			acts, err := r.Dispatch(context.Background(), say(tc.text))
			if (err != nil) != tc.wantErr || !reflect.DeepEqual(replies(acts), tc.want) {
				t.Fatalf("got %q, %v; want %q (error %v)", replies(acts), err, tc.want,
					tc.wantErr)
			}
		})
	}
	if !sigOK || got.V != 1 || got.Command != "json" || got.Message.ID != "m1" ||
		got.Message.Text != "json arg1" || got.Groups["arg"] != "arg1" ||
		!reflect.DeepEqual(got.Match, []string{"json arg1", "arg1"}) {
		t.Fatalf("endpoint got %+v (signature ok %v)", got, sigOK)
	}
	_, err := r.Dispatch(context.Background(), say("broken"))
	if !errors.Is(err, external.ErrStatus) {
		t.Fatalf("broken: %v, want ErrStatus", err)
	}
}
