package external

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"regexp"

	"github.com/herald-chatops/herald/chat"
)

// SignatureHeader carries the HMAC of the body when a secret is set.
const SignatureHeader = "X-Herald-Signature-256"

// ErrStatus is returned for an endpoint's answer outside 2xx.
var ErrStatus = errors.New("external: endpoint answered with an error status")

// noRedirectClient returns a client that hands a redirect back as the
// answer, so a command never ends up at a URL nobody configured.
func noRedirectClient() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// httpRunner calls one http command.
type httpRunner struct {
	c      Command
	re     *regexp.Regexp
	client *http.Client
	log    *slog.Logger
}

func newHTTP(c Command, opt Options) chat.HandlerFunc {
	r := &httpRunner{c: c, re: regexp.MustCompile(c.Pattern), client: opt.Client, log: opt.Log}
	return r.handle
}

func (r *httpRunner) handle(ctx context.Context, req *chat.Request) error {
	in, err := input(r.c.Name, r.re, req)
	if err != nil {
		return err
	}
	ls, err := r.call(ctx, in)
	if err != nil {
		if ctx.Err() == nil {
			r.log.Warn("command failed", "command", r.c.Name, "msg_id", req.Message.ID,
				"err", err)
		}
		return fmt.Errorf("http %s: %w", r.c.Name, err)
	}
	if len(ls) > 0 {
		req.Reply(ls...)
	}
	return nil
}

// call POSTs in and returns the reply lines of the answer.
func (r *httpRunner) call(ctx context.Context, in []byte) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, r.c.timeout())
	defer cancel()
	hr, err := r.request(ctx, in)
	if err != nil {
		return nil, err
	}
	resp, err := r.client.Do(hr)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxOutput))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%w: %s", ErrStatus, resp.Status)
	}
	return answerLines(resp.Header.Get("Content-Type"), body)
}

// request builds the POST of in, signed when a secret is set.
func (r *httpRunner) request(ctx context.Context, in []byte) (*http.Request, error) {
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, r.c.HTTP, bytes.NewReader(in))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("User-Agent", "Herald")
	hr.Header.Set("X-Herald-Command", r.c.Name)
	if r.c.Secret != "" {
		mac := hmac.New(sha256.New, []byte(r.c.Secret))
		mac.Write(in)
		hr.Header.Set(SignatureHeader, "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	return hr, nil
}

// answerLines reads the reply lines from a JSON or text answer.
func answerLines(contentType string, body []byte) ([]string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt != "application/json" {
		return lines(string(body)), nil
	}
	var ans struct {
		Lines []string `json:"lines"`
	}
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, fmt.Errorf("answer is not {\"lines\": [...]}: %w", err)
	}
	return ans.Lines, nil
}
