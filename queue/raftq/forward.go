package raftq

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// maxIdle is how many idle forwarding connections are kept per address.
const maxIdle = 8

// forwarder sends requests to another node over authenticated
// connections, keeping a few idle ones per address. One request at a
// time travels on a connection.
type forwarder struct {
	dial func(ctx context.Context, addr string) (net.Conn, error)
	// timeout bounds a request beyond its own wait. A retry of a request
	// that timed out is safe (it is applied once), so it can be short.
	timeout time.Duration

	mu     sync.Mutex
	idle   map[string][]net.Conn
	closed bool
}

// dialTimeout bounds opening a forwarding connection, so an address
// that does not answer at all is given up soon.
const dialTimeout = 2 * time.Second

// newForwarder returns a forwarder that opens connections with dial and
// gives a request timeout beyond its wait.
func newForwarder(timeout time.Duration,
	dial func(ctx context.Context, addr string) (net.Conn, error)) *forwarder {
	return &forwarder{dial: dial, timeout: timeout, idle: map[string][]net.Conn{}}
}

// call sends c to addr and returns the answer. An error means the answer
// did not arrive; the request may or may not have been carried out.
func (f *forwarder) call(ctx context.Context, addr string, c *op) (response, error) {
	conn, err := f.get(ctx, addr)
	if err != nil {
		return response{}, err
	}
	res, err := roundTrip(ctx, conn, c, f.timeout)
	if err != nil {
		_ = conn.Close()
		return response{}, err
	}
	f.put(addr, conn)
	return res, nil
}

// roundTrip writes c and reads the answer, giving up when ctx ends or
// after timeout beyond the request's wait.
func roundTrip(ctx context.Context, conn net.Conn, c *op,
	timeout time.Duration) (response, error) {
	deadline := time.Now().Add(timeout + max(c.Wait, 0))
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return response{}, err
	}
	// A past deadline makes the blocked read or write return at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	var res response
	err := writeFrame(conn, c)
	if err == nil {
		err = readFrame(conn, &res)
	}
	if !stop() {
		return response{}, ctx.Err()
	}
	return res, err
}

// get returns an idle connection to addr or dials one.
func (f *forwarder) get(ctx context.Context, addr string) (net.Conn, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, ErrClosed
	}
	if conns := f.idle[addr]; len(conns) > 0 {
		conn := conns[len(conns)-1]
		f.idle[addr] = conns[:len(conns)-1]
		f.mu.Unlock()
		return conn, nil
	}
	f.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	return f.dial(ctx, addr)
}

// put keeps conn for the next call to addr, or closes it.
func (f *forwarder) put(addr string, conn net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || len(f.idle[addr]) >= maxIdle {
		_ = conn.Close()
		return
	}
	f.idle[addr] = append(f.idle[addr], conn)
}

// drop closes the idle connections to addr, after it failed.
func (f *forwarder) drop(addr string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.idle[addr] {
		_ = c.Close()
	}
	delete(f.idle, addr)
}

// close closes every idle connection; calls after it fail.
func (f *forwarder) close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closed = true
	for addr, conns := range f.idle {
		for _, c := range conns {
			_ = c.Close()
		}
		delete(f.idle, addr)
	}
}

// dialRPC opens an authenticated forwarding connection without a Node,
// for Client.
func dialRPC(ctx context.Context, addr string, secret []byte) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if err := handshakeCtx(ctx, conn, secret, kindRPC); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// handshakeCtx runs the client handshake, giving up when ctx ends.
func handshakeCtx(ctx context.Context, conn net.Conn, secret []byte, kind byte) error {
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	err := clientHandshake(conn, secret, kind)
	if !stop() {
		return ctx.Err()
	}
	return err
}

// retryable reports whether a failed call may succeed on another try.
func retryable(err error) bool {
	return !errors.Is(err, ErrAuth) && !errors.Is(err, ErrClosed)
}
