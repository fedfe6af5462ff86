package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
	"github.com/herald-chatops/herald/node"
)

// tokenEnv holds the admin token for the commands that talk to a node;
// it is the variable that sets http.admin_token on a node too.
const tokenEnv = "HERALD_HTTP_ADMIN_TOKEN"

// defaultAddr is where a node listens unless its config says otherwise.
const defaultAddr = "127.0.0.1:8080"

// maxAnswer bounds what is read of a node's answer.
const maxAnswer = 16 << 20

// errUsage marks a mistake on the command line: exit code 2.
var errUsage = errors.New("usage")

// clientFlags are the flags of every command that talks to a node.
type clientFlags struct {
	addr, token, config, ca string
	timeout                 time.Duration
}

// register adds the flags to fs.
func (c *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "", "the node to talk to, `HOST:PORT` or a URL "+
		"(default: http.addr of --config, else "+defaultAddr+")")
	fs.StringVar(&c.token, "token", "", "admin `TOKEN` (default: $"+tokenEnv+
		", else http.admin_token of --config)")
	fs.StringVar(&c.config, "config", "", "take the address and token from this node "+
		"config `FILE`")
	fs.StringVar(&c.ca, "ca", "", "PEM `FILE` of the CA that signed the node's "+
		"certificate, for https")
	fs.DurationVar(&c.timeout, "timeout", 5*time.Second, "how long to wait for each answer")
}

// client builds the client the flags describe.
func (c *clientFlags) client() (*client, error) {
	base, token, err := c.target()
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if c.ca != "" {
		pem, err := os.ReadFile(c.ca)
		if err != nil {
			return nil, fmt.Errorf("read --ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--ca %s holds no PEM certificate", c.ca)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	hc := &http.Client{Transport: tr, Timeout: c.timeout,
		// Never carry the token anywhere the operator did not name.
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		}}
	return &client{base: base, token: token, hc: hc, timeout: c.timeout}, nil
}

// target finds the node's URL and the admin token from the flags, the
// environment and the config file, in that order.
func (c *clientFlags) target() (*url.URL, string, error) {
	addr, token, scheme := c.addr, c.token, "http"
	if token == "" {
		token = os.Getenv(tokenEnv)
	}
	if c.config != "" && (addr == "" || token == "") {
		cfg, err := node.LoadConfig(node.Sources{File: c.config, Env: os.Environ()})
		if err != nil {
			return nil, "", err
		}
		if addr == "" {
			addr = dialable(cfg.HTTP.Addr)
			if cfg.HTTP.TLSCert != "" {
				scheme = "https"
			}
		}
		if token == "" {
			token = cfg.HTTP.AdminToken
		}
	}
	if addr == "" {
		addr = defaultAddr
	}
	u, err := nodeURL(addr, scheme)
	return u, token, err
}

// nodeURL parses --addr: HOST:PORT, or a URL with http or https.
func nodeURL(addr, scheme string) (*url.URL, error) {
	if !strings.Contains(addr, "://") {
		addr = scheme + "://" + addr
	}
	u, err := url.Parse(addr)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: --addr %q must be HOST:PORT or an http(s) URL", errUsage,
			addr)
	}
	u.Path, u.RawQuery = strings.TrimSuffix(u.Path, "/"), ""
	return u, nil
}

// dialable turns a listen address into one to connect to: a node that
// listens on all interfaces (":8080", "0.0.0.0:8080") is reached on
// loopback.
func dialable(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	return net.JoinHostPort(host, port)
}

// client talks to one node over HTTP.
type client struct {
	base    *url.URL
	token   string
	hc      *http.Client
	timeout time.Duration
}

// apiError is a node's answer with an error status.
type apiError struct {
	node string
	code int
	msg  string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("node at %s answered %d: %s", e.node, e.code, e.msg)
}

// at returns a client for another node of the same cluster, reached the
// same way.
func (c *client) at(addr string) *client {
	other := *c
	u := *c.base
	u.Host = addr
	other.base = &u
	return &other
}

// get fetches path and decodes the JSON answer into v, and returns the
// raw answer too.
func (c *client) get(ctx context.Context, path string, q url.Values, admin bool,
	v any) ([]byte, error) {
	return c.call(ctx, http.MethodGet, path, q, admin, v)
}

// post sends an empty POST to path and decodes the JSON answer into v.
func (c *client) post(ctx context.Context, path string, q url.Values, v any) error {
	_, err := c.call(ctx, http.MethodPost, path, q, true, v)
	return err
}

// call makes one request. An admin call carries the token; nothing else
// ever does.
func (c *client) call(ctx context.Context, method, path string, q url.Values, admin bool,
	v any) ([]byte, error) {
	u := *c.base
	u.Path += path
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json")
	if admin && c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, c.unreachable(ctx, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("read the answer of node at %s: %w", c.base.Host, err)
	}
	if resp.StatusCode >= 300 {
		return body, c.refused(resp.StatusCode, body, admin)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			return body, fmt.Errorf("node at %s answered %s %s with something other "+
				"than Herald's JSON: %w", c.base.Host, method, path, err)
		}
	}
	return body, nil
}

// unreachable explains a request that got no answer at all.
func (c *client) unreachable(ctx context.Context, err error) error {
	host := c.base.Host
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("talking to node at %s: %w", host, ctx.Err())
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("cannot reach node at %s: is it running?", host)
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("node at %s did not answer within %v", host, c.timeout)
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // the URL is in the message already
	}
	return fmt.Errorf("cannot reach node at %s: %w", host, err)
}

// refused explains an error answer; the common ones get advice.
func (c *client) refused(code int, body []byte, admin bool) error {
	var p struct {
		Error string `json:"error"`
	}
	msg := strings.TrimSpace(string(body))
	if json.Unmarshal(body, &p) == nil && p.Error != "" {
		msg = p.Error
	}
	host := c.base.Host
	switch {
	case admin && code == http.StatusUnauthorized && c.token == "":
		return fmt.Errorf("node at %s needs the admin token: give --token or set %s",
			host, tokenEnv)
	case admin && code == http.StatusUnauthorized:
		return fmt.Errorf("node at %s refused the admin token: it does not match the "+
			"node's http.admin_token", host)
	case admin && code == http.StatusForbidden:
		return fmt.Errorf("node at %s refuses admin calls: set http.admin_token in "+
			"its config", host)
	}
	return &apiError{node: host, code: code, msg: msg}
}

// statusOf reads the node's view of the cluster.
func (c *client) statusOf(ctx context.Context) (heraldhttp.Status, []byte, error) {
	var st heraldhttp.Status
	raw, err := c.get(ctx, "/status", nil, false, &st)
	return st, raw, err
}
