package http_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	nethttp "net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	heraldhttp "github.com/herald-chatops/herald/http"
)

// serving runs f's server on a loopback port until the test ends, and
// returns its address and the way to stop it and get Serve's result.
func serving(t *testing.T, f *fixture) (addr string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.srv.Serve(ctx, ln) }()
	stop = func() error {
		cancel()
		select {
		case err := <-done:
			done <- err
			return err
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return within 10s of its context ending")
			return nil
		}
	}
	t.Cleanup(func() { _ = stop() })
	return ln.Addr().String(), stop
}

func TestServeAndStop(t *testing.T) {
	f := newFixture(t, nil)
	addr, stop := serving(t, f)
	resp, err := nethttp.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("healthz %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Errorf("Serve = %v, want nil after its context ended", err)
	}
	if _, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		t.Error("still listening after Serve returned")
	}
}

func TestServeFinishesRequestsInFlight(t *testing.T) {
	f := newFixture(t, nil)
	f.q.block = make(chan struct{})
	addr, stop := serving(t, f)
	body := payload(t, "push.tag.json")
	codes := make(chan int, 1)
	go func() {
		r := hook("push", delivery, sign(testSecret, body), bytes.NewReader(body))
		req, _ := nethttp.NewRequest("POST", "http://"+addr+"/hooks/github", r.Body)
		req.Header = r.Header
		resp, err := nethttp.DefaultClient.Do(req)
		if err != nil {
			codes <- 0
			return
		}
		_ = resp.Body.Close()
		codes <- resp.StatusCode
	}()
	eventually(t, 5*time.Second, "a push in flight", f.q.waiting)
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	close(f.q.block)
	if code := <-codes; code != 202 {
		t.Errorf("request in flight got %d, want 202", code)
	}
	if err := <-stopped; err != nil {
		t.Errorf("Serve = %v", err)
	}
}

func TestServeCutsSlowClientsOff(t *testing.T) {
	f := newFixture(t, func(c *heraldhttp.Config, _ *heraldhttp.Deps) {
		c.ReadHeaderTimeout = 200 * time.Millisecond
		c.ReadTimeout = 300 * time.Millisecond
	})
	addr, _ := serving(t, f)
	tests := []struct{ name, sent string }{
		{"headers never end", "POST /hooks/github HTTP/1.1\r\nHost: x\r\n"},
		{"body never ends", "POST /hooks/github HTTP/1.1\r\nHost: x\r\n" +
			"Content-Length: 1000\r\n\r\n{\"zen\":"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			if _, err := conn.Write([]byte(tt.sent)); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
			_, err = io.ReadAll(conn)
			if took := time.Since(start); err != nil || took > 2*time.Second {
				t.Errorf("connection ended after %v with %v; want closed by the server soon",
					took, err)
			}
		})
	}
	if n := len(f.q.all()); n != 0 {
		t.Errorf("%d pushes from slow clients", n)
	}
}

func TestServeTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	f := newFixture(t, func(c *heraldhttp.Config, _ *heraldhttp.Deps) {
		c.TLSCert, c.TLSKey = certFile, keyFile
	})
	addr, _ := serving(t, f)
	client := &nethttp.Client{Transport: &nethttp.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}}}
	defer client.CloseIdleConnections()
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil {
		t.Errorf("healthz over TLS: %d", resp.StatusCode)
	}
	// Go's TLS server tells a plain HTTP client off with a 400.
	if plain, err := nethttp.Get("http://" + addr + "/healthz"); err == nil {
		_ = plain.Body.Close()
		if plain.StatusCode != 400 {
			t.Errorf("plain HTTP on a TLS listener: %d", plain.StatusCode)
		}
	}
}

// selfSigned writes a certificate for 127.0.0.1 and its key to a temp
// folder and returns their files and a pool that trusts it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "herald test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	writePEM(t, certFile, "CERTIFICATE", der)
	writePEM(t, keyFile, "EC PRIVATE KEY", keyDER)
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func writePEM(t *testing.T, file, kind string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
}
