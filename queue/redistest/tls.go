package redistest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Certs are PEM files, in a test's temporary folder, of a throwaway
// certificate authority and of a server and a client certificate that it
// signed. The server certificate is for 127.0.0.1 and localhost.
type Certs struct {
	CA         string
	ServerCert string
	ServerKey  string
	ClientCert string
	ClientKey  string
}

// NewCerts makes a fresh authority and its two certificates, valid for
// an hour.
func NewCerts(t testing.TB) Certs {
	t.Helper()
	dir := t.TempDir()
	c := Certs{CA: filepath.Join(dir, "ca.pem"),
		ServerCert: filepath.Join(dir, "server.pem"), ServerKey: filepath.Join(dir, "server.key"),
		ClientCert: filepath.Join(dir, "client.pem"), ClientKey: filepath.Join(dir, "client.key")}
	caTmpl := certTemplate(1, "redistest CA")
	caTmpl.IsCA, caTmpl.BasicConstraintsValid = true, true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature
	caKey, caDER := sign(t, caTmpl, nil, nil)
	writePEM(t, c.CA, "CERTIFICATE", caDER)
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatalf("redistest: certs: %v", err)
	}

	srv := certTemplate(2, "127.0.0.1")
	srv.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	srv.DNSNames = []string{"localhost"}
	srv.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	issue(t, srv, ca, caKey, c.ServerCert, c.ServerKey)

	cli := certTemplate(3, "redistest client")
	cli.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	issue(t, cli, ca, caKey, c.ClientCert, c.ClientKey)
	return c
}

// issue signs tmpl with the authority and writes it and its key.
func issue(t testing.TB, tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey,
	certFile, keyFile string) {
	t.Helper()
	key, der := sign(t, tmpl, ca, caKey)
	writePEM(t, certFile, "CERTIFICATE", der)
	writeKey(t, keyFile, key)
}

// ClientConfig returns a TLS client config that trusts c.CA and shows the
// client certificate, for looking behind the code under test.
func (c Certs) ClientConfig(t testing.TB) *tls.Config {
	t.Helper()
	pair, err := tls.LoadX509KeyPair(c.ClientCert, c.ClientKey)
	if err != nil {
		t.Fatalf("redistest: client certificate: %v", err)
	}
	caPEM, err := os.ReadFile(c.CA)
	if err != nil {
		t.Fatalf("redistest: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	return &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair},
		ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
}

// TLSServer is a redis-server that also speaks TLS.
type TLSServer struct {
	*Server
	// TLSAddr is the TLS port, HOST:PORT on loopback. Server.Addr stays
	// a plain port: the kit checks readiness there, and a test may look
	// behind the code under test through it.
	TLSAddr string
}

// StartTLS starts a redis-server with a TLS port using the server
// certificate of certs. Clients of the TLS port must show a certificate
// signed by certs.CA, as in Redis' own defaults, unless opt.Args holds
// "--tls-auth-clients", "no".
func StartTLS(t testing.TB, certs Certs, opt Options) *TLSServer {
	t.Helper()
	tlsAddr := FreeAddr(t)
	_, port, _ := net.SplitHostPort(tlsAddr)
	args := []string{"--tls-port", port,
		"--tls-cert-file", certs.ServerCert, "--tls-key-file", certs.ServerKey,
		"--tls-ca-cert-file", certs.CA, "--tls-auth-clients", "yes"}
	opt.Args = append(args, opt.Args...)
	// Redis listens on both ports before it answers on either, so the
	// plain port's readiness is the TLS port's too.
	return &TLSServer{Server: Start(t, opt), TLSAddr: tlsAddr}
}

func certTemplate(serial int64, name string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
}

// sign makes a key for tmpl and signs tmpl with parent's key, or with
// its own when parent is nil.
func sign(t testing.TB, tmpl, parent *x509.Certificate,
	parentKey *ecdsa.PrivateKey) (*ecdsa.PrivateKey, []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("redistest: key: %v", err)
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatalf("redistest: certificate: %v", err)
	}
	return key, der
}

func writeKey(t testing.TB, file string, key *ecdsa.PrivateKey) {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatalf("redistest: key: %v", err)
	}
	writePEM(t, file, "PRIVATE KEY", der)
}

func writePEM(t testing.TB, file, kind string, der []byte) {
	t.Helper()
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatalf("redistest: %v", err)
	}
}
