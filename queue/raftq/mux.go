package raftq

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// One port per node. raft.addr carries both raft's own traffic and the
// requests that followers forward to the leader: every connection starts
// with the authenticated handshake (auth.go), whose kind byte says which.
// So the address raft knows for the leader is also where to forward, no
// second address per peer has to be configured or derived, and raft's
// traffic is authenticated by the same secret as ours.

// errMuxClosed is returned by Accept and Dial after the mux was closed.
var errMuxClosed = errors.New("raftq: listener closed")

// mux owns the listener on raft.addr and every connection made through
// it, and hands each authenticated connection to raft or to serveRPC.
type mux struct {
	ln       net.Listener
	advert   string
	secret   []byte
	log      *slog.Logger
	raftCh   chan net.Conn
	serveRPC func(net.Conn)
	warn     *limiter

	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// newMux listens on addr; advert is the address the peers know us by.
func newMux(addr, advert string, secret []byte, log *slog.Logger) (*mux, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &mux{
		ln: ln, advert: advert, secret: secret, log: log,
		raftCh: make(chan net.Conn),
		warn:   newLimiter(10 * time.Second),
		done:   make(chan struct{}),
		conns:  map[net.Conn]struct{}{},
	}, nil
}

// start begins accepting; serveRPC runs, in a goroutine the mux owns, for
// each authenticated connection that carries forwarded requests.
func (m *mux) start(serveRPC func(net.Conn)) {
	m.serveRPC = serveRPC
	m.wg.Add(1)
	go m.acceptLoop()
}

// acceptLoop accepts until the listener closes.
func (m *mux) acceptLoop() {
	defer m.wg.Done()
	for {
		conn, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			if m.warn.allow("accept") {
				m.log.Warn("raft listener accept failed", "err", err)
			}
			select {
			case <-m.done:
				return
			case <-time.After(50 * time.Millisecond):
				continue
			}
		}
		tracked := m.track(conn)
		if tracked == nil {
			return
		}
		m.wg.Add(1)
		go m.route(tracked)
	}
}

// route authenticates conn and hands it on by kind.
func (m *mux) route(conn net.Conn) {
	defer m.wg.Done()
	kind, err := serverHandshake(conn, m.secret)
	if err != nil {
		if m.warn.allow(err.Error()) {
			m.log.Warn("cluster connection refused", "remote", conn.RemoteAddr().String(),
				"err", err)
		}
		_ = conn.Close()
		return
	}
	if kind == kindRPC {
		m.serveRPC(conn)
		_ = conn.Close()
		return
	}
	select {
	case m.raftCh <- conn:
	case <-m.done:
		_ = conn.Close()
	}
}

// dial connects to addr, runs the client handshake for kind and returns
// the connection, tracked so that close ends it.
func (m *mux) dial(ctx context.Context, addr string, kind byte) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	tracked := m.track(conn)
	if tracked == nil {
		return nil, errMuxClosed
	}
	if err := handshakeCtx(ctx, tracked, m.secret, kind); err != nil {
		_ = tracked.Close()
		return nil, err
	}
	return tracked, nil
}

// track registers conn for close; it returns nil, with conn closed, when
// the mux is already closed.
func (m *mux) track(conn net.Conn) net.Conn {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.done:
		_ = conn.Close()
		return nil
	default:
	}
	m.conns[conn] = struct{}{}
	return &trackedConn{Conn: conn, m: m}
}

// close stops accepting, ends every connection made through the mux and
// waits for the goroutines it owns.
func (m *mux) close() {
	m.once.Do(func() {
		m.mu.Lock()
		close(m.done)
		for c := range m.conns {
			_ = c.Close()
		}
		m.mu.Unlock()
		_ = m.ln.Close()
	})
	m.wg.Wait()
}

// trackedConn removes itself from the mux when closed.
type trackedConn struct {
	net.Conn
	m    *mux
	once sync.Once
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.m.mu.Lock()
		delete(c.m.conns, c.Conn)
		c.m.mu.Unlock()
	})
	return c.Conn.Close()
}

// raftLayer is the raft.StreamLayer of the mux.
type raftLayer struct{ m *mux }

var _ raft.StreamLayer = raftLayer{}

// Accept returns the next authenticated raft connection.
func (l raftLayer) Accept() (net.Conn, error) {
	select {
	case c := <-l.m.raftCh:
		return c, nil
	case <-l.m.done:
		return nil, errMuxClosed
	}
}

// Close closes the whole mux: raft closes its transport last.
func (l raftLayer) Close() error {
	l.m.close()
	return nil
}

// Addr returns the address the peers know this node by.
func (l raftLayer) Addr() net.Addr { return advertAddr(l.m.advert) }

// Dial opens an authenticated raft connection to address.
func (l raftLayer) Dial(address raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return l.m.dial(ctx, string(address), kindRaft)
}

// advertAddr is a net.Addr that reads as the configured address.
type advertAddr string

// Network returns "tcp".
func (a advertAddr) Network() string { return "tcp" }

// String returns the address.
func (a advertAddr) String() string { return string(a) }
