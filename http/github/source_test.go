package github

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	nethttp "net/http"
	"strings"
	"testing"

	heraldhttp "github.com/herald-chatops/herald/http"
)

const testSecret = "0123456789abcdef-test"

// sign is what GitHub puts in X-Hub-Signature-256 for body.
func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"zen":"hi"}`)
	good := sign(testSecret, body)
	tests := []struct {
		name, sig string
		want      error
	}{
		{"good", good, nil},
		{"missing", "", ErrNoSignature},
		{"other secret", sign("another-secret-0123", body), ErrBadSignature},
		{"sha1 prefix", "sha1=" + strings.TrimPrefix(good, "sha256="), ErrBadSignature},
		{"not hex", "sha256=" + strings.Repeat("zz", 32), ErrBadSignature},
		{"short", good[:len(good)-2], ErrBadSignature},
		{"upper case hex", "sha256=" + strings.ToUpper(good[7:]), nil},
	}
	s := testSource(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := nethttp.Header{}
			if tt.sig != "" {
				h.Set("X-Hub-Signature-256", tt.sig)
			}
			if err := s.Verify(h, body); !errors.Is(err, tt.want) {
				t.Errorf("Verify = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestVerifyWithoutSecret(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	h := nethttp.Header{"X-Hub-Signature-256": {sign("", nil)}}
	if err := s.Verify(h, nil); !errors.Is(err, ErrNoSecret) {
		t.Errorf("Verify = %v, want ErrNoSecret", err)
	}
}

func TestJob(t *testing.T) {
	body := []byte(` {"zen":"hi"}`)
	tests := []struct {
		name                string
		event, delivery, ct string
		body                []byte
		wantID              string
		want                error
	}{
		{"ping", "ping", "72d3162e-cc78-11e3-81ab-4c9367dc0958", "", body,
			"72d3162e-cc78-11e3-81ab-4c9367dc0958", nil},
		{"no delivery id", "push", "", "", body, heraldhttp.ContentID(body), nil},
		{"no event", "", "d1", "", body, "", ErrNoEvent},
		{"odd event", "Push Event", "d1", "", body, "", ErrBadHeader},
		{"odd delivery", "push", "d1\x00", "", body, "", ErrBadHeader},
		{"long delivery", "push", strings.Repeat("a", 101), "", body, "", ErrBadHeader},
		{"broken JSON", "push", "d1", "", []byte(`{"a":`), "", ErrMalformed},
		{"JSON array", "push", "d1", "", []byte(`[1]`), "", ErrMalformed},
		{"empty", "push", "d1", "", nil, "", ErrMalformed},
		{"form", "push", "d1", "application/x-www-form-urlencoded", []byte("payload=%7B%7D"),
			"", ErrFormEncoded},
	}
	s := testSource(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := nethttp.Header{}
			for k, v := range map[string]string{"X-GitHub-Event": tt.event,
				"X-GitHub-Delivery": tt.delivery, "Content-Type": tt.ct} {
				if v != "" {
					h.Set(k, v)
				}
			}
			e, err := s.Job(h, tt.body)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Job = %v, want %v", err, tt.want)
			}
			if err != nil {
				return
			}
			if e.ID != tt.wantID || e.Meta[heraldhttp.MetaEvent] != tt.event ||
				string(e.Body) != string(tt.body) {
				t.Errorf("Job = %+v, want id %q, event %q and the body", e, tt.wantID, tt.event)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	s := testSource(t)
	for ev := range formatters {
		if !s.Formats(ev) {
			t.Errorf("Formats(%q) = false", ev)
		}
	}
	if s.Formats("fork") || s.Formats("") {
		t.Error("Formats reports an event without formatter")
	}
}

func TestRoom(t *testing.T) {
	s, err := New(Config{Room: "#ops", Routes: []Route{
		{Repo: "acme/web-*", Room: "#web"},
		{Repo: "acme/*", Room: "#acme"},
		{Repo: "*/docs", Room: "#docs"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"acme/web-shop": "#web",
		"ACME/Web-Shop": "#web",
		"acme/api":      "#acme",
		"acme/docs":     "#acme",
		"other/docs":    "#docs",
		"other/api":     "#ops",
		"":              "#ops",
	}
	for repo, want := range tests {
		if got := s.Room(repo); got != want {
			t.Errorf("Room(%q) = %q, want %q", repo, got, want)
		}
	}
}
