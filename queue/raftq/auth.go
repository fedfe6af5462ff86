package raftq

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"time"
)

// The connection handshake. Every connection to raft.addr, raft's own and
// forwarded requests alike, starts with it:
//
//	client: magic "HRLD", version, kind, client nonce (16 bytes)
//	server: server nonce (16 bytes), MAC("server", kind, cnonce, snonce)
//	client: MAC("client", kind, snonce, cnonce)
//	server: one status byte, statusOK or statusRefused
//
// MAC is HMAC-SHA256 keyed with cluster.secret, so the secret never
// travels, both ends prove they know it, and a recorded handshake is
// worthless for another connection (fresh nonces on both sides). What it
// does not do: encrypt or sign the traffic after the handshake. Run the
// cluster on a network where nobody can take over an open TCP connection.

// ErrAuth is returned when the other end of a cluster connection does not
// know cluster.secret.
var ErrAuth = errors.New("raftq: cluster.secret refused")

const (
	magic         = "HRLD"
	authVersion   = 1
	nonceSize     = 16
	macSize       = sha256.Size
	statusOK      = 1
	statusRefused = 0

	// kindRaft marks a connection of raft's transport, kindRPC one that
	// carries forwarded requests.
	kindRaft = 'R'
	kindRPC  = 'F'
)

// handshakeTimeout bounds the whole handshake on both ends.
const handshakeTimeout = 5 * time.Second

// mac computes the proof of one side.
func mac(secret []byte, label string, kind byte, a, b []byte) []byte {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(label))
	h.Write([]byte{kind})
	h.Write(a)
	h.Write(b)
	return h.Sum(nil)
}

// clientHandshake runs the dialing side on conn for a connection of kind.
func clientHandshake(conn net.Conn, secret []byte, kind byte) error {
	if err := conn.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return err
	}
	cnonce := make([]byte, nonceSize)
	if _, err := rand.Read(cnonce); err != nil {
		return err
	}
	hello := append([]byte(magic), authVersion, kind)
	if _, err := conn.Write(append(hello, cnonce...)); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}

	// The server proves it knows the secret before we prove we do.
	buf := make([]byte, nonceSize+macSize)
	if _, err := io.ReadFull(conn, buf); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	snonce, proof := buf[:nonceSize], buf[nonceSize:]
	if !hmac.Equal(proof, mac(secret, "server", kind, cnonce, snonce)) {
		return fmt.Errorf("%w: the other node holds a different secret", ErrAuth)
	}
	if _, err := conn.Write(mac(secret, "client", kind, snonce, cnonce)); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	return readStatus(conn)
}

// readStatus reads the server's verdict on our proof.
func readStatus(conn net.Conn) error {
	status := make([]byte, 1)
	if _, err := io.ReadFull(conn, status); err != nil {
		return fmt.Errorf("%w: the server closed the connection (%v)", ErrAuth, err)
	}
	if status[0] != statusOK {
		return fmt.Errorf("%w by the server", ErrAuth)
	}
	return conn.SetDeadline(time.Time{})
}

// serverHandshake runs the accepting side and returns the connection's
// kind once the client proved it knows the secret.
func serverHandshake(conn net.Conn, secret []byte) (byte, error) {
	if err := conn.SetDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return 0, err
	}
	kind, cnonce, err := readHello(conn)
	if err != nil {
		return 0, err
	}

	// Prove ourselves, then check the client's proof.
	snonce := make([]byte, nonceSize)
	if _, err := rand.Read(snonce); err != nil {
		return 0, err
	}
	proof := mac(secret, "server", kind, cnonce, snonce)
	if _, err := conn.Write(append(snonce, proof...)); err != nil {
		return 0, fmt.Errorf("handshake: %w", err)
	}
	theirs := make([]byte, macSize)
	if _, err := io.ReadFull(conn, theirs); err != nil {
		return 0, fmt.Errorf("handshake: %w", err)
	}
	if !hmac.Equal(theirs, mac(secret, "client", kind, snonce, cnonce)) {
		_, _ = conn.Write([]byte{statusRefused})
		return 0, ErrAuth
	}
	if _, err := conn.Write([]byte{statusOK}); err != nil {
		return 0, fmt.Errorf("handshake: %w", err)
	}
	return kind, conn.SetDeadline(time.Time{})
}

// readHello reads the client's first message: its kind and nonce.
func readHello(conn net.Conn) (byte, []byte, error) {
	hello := make([]byte, len(magic)+2+nonceSize)
	if _, err := io.ReadFull(conn, hello); err != nil {
		return 0, nil, fmt.Errorf("handshake: %w", err)
	}
	if string(hello[:len(magic)]) != magic || hello[len(magic)] != authVersion {
		return 0, nil, errors.New("handshake: not a herald cluster connection")
	}
	kind := hello[len(magic)+1]
	if kind != kindRaft && kind != kindRPC {
		return 0, nil, fmt.Errorf("handshake: unknown connection kind %q", kind)
	}
	return kind, hello[len(magic)+2:], nil
}
