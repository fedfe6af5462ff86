package irc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/herald-chatops/herald/chat"
)

// received is one parsed line from the server, or the read error that
// ended the connection.
type received struct {
	msg Message
	at  time.Time
	err error
}

// session is one connection to the server. The fields from nick on belong
// to its run loop alone; writes may come from any goroutine.
type session struct {
	a     *Adapter
	conn  net.Conn
	ev    chat.Events
	lines chan received
	done  chan struct{}
	wg    sync.WaitGroup
	wmu   sync.Mutex  // keeps lines whole on the wire
	quit  atomic.Bool // set by goodbye: no more writes but the QUIT

	nick       string          // the current nick, or the one being tried
	tries      int             // nick candidates tried during registration
	registered bool            // 001 seen
	ready      bool            // joins done, Connected called
	pending    map[string]bool // folded channels whose JOIN is unanswered
	joinsSent  time.Time
	awaitPong  bool
	pings      int
	caps       []string // capabilities offered so far (CAP LS)
}

func newSession(a *Adapter, conn net.Conn, ev chat.Events) *session {
	return &session{
		a:     a,
		conn:  conn,
		ev:    ev,
		lines: make(chan received, 64),
		done:  make(chan struct{}),
		nick:  a.cfg.Nick,
	}
}

// run serves the connection until it fails or ctx ends, then closes it.
// It reports whether registration succeeded.
func (s *session) run(ctx context.Context) (bool, error) {
	s.wg.Add(1)
	go s.read()
	err := s.serve(ctx)

	// Stop Perform from using the connection before it goes.
	s.a.setSession(nil)
	if ctx.Err() != nil {
		s.goodbye()
		err = nil
	}
	s.close()
	if s.ready {
		s.a.log.Info("irc disconnected", "server", s.a.cfg.Server, "err", err)
		s.ev.Disconnected(err)
	}
	return s.registered, err
}

// serve registers and then handles lines and timers until an error.
func (s *session) serve(ctx context.Context) error {
	s.register()
	ping := time.NewTicker(s.a.cfg.PingInterval)
	defer ping.Stop()
	regain := time.NewTicker(regainEvery)
	defer regain.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case r := <-s.lines:
			if r.err != nil {
				return fmt.Errorf("irc: read: %w", r.err)
			}
			if err := s.handle(ctx, r); err != nil {
				return err
			}
		case <-ping.C:
			if err := s.keepalive(); err != nil {
				return err
			}
		case <-regain.C:
			s.regain()
		}
	}
}

// register opens the registration: capability negotiation (answered in
// onCap), the password, the nick and the user.
func (s *session) register() {
	s.control(Message{Command: "CAP", Params: []string{"LS", "302"}})
	if s.a.cfg.Password != "" {
		s.control(Message{Command: "PASS", Params: []string{s.a.cfg.Password}})
	}
	s.control(Message{Command: "NICK", Params: []string{s.nick}})
	s.control(Message{Command: "USER",
		Params: []string{s.a.cfg.User, "0", "*", s.a.cfg.Realname}})
}

// keepalive runs every ping interval: registration and joins must be done
// by then, and the previous PING answered.
func (s *session) keepalive() error {
	if !s.registered {
		return ErrRegisterTimeout
	}
	if !s.ready && time.Since(s.joinsSent) >= s.a.cfg.PingInterval {
		s.a.log.Warn("irc joins unanswered, going on", "rooms", len(s.pending))
		s.markReady()
	}
	if s.awaitPong {
		return ErrPingTimeout
	}
	s.awaitPong = true
	s.pings++
	s.control(Message{Command: "PING", Params: []string{"herald-" + strconv.Itoa(s.pings)}})
	return nil
}

// markReady makes the connection available to Perform and tells the node.
func (s *session) markReady() {
	// Registration and joins are a fixed handful of lines that servers
	// expect at once; the budget for actions starts full, so the first
	// reply after a failover is not held back by them.
	s.a.bucket.fill()
	s.ready = true
	s.pending = nil
	s.a.setSession(s)
	s.a.log.Info("irc connected", "server", s.a.cfg.Server, "nick", s.nick)
	s.ev.Connected()
}

// control writes one of the adapter's own protocol lines. It takes a token
// without waiting, so answers to the server are never held up by a queue
// of actions. A failed write closes the connection, which the run loop
// sees as a read error.
func (s *session) control(m Message) {
	s.a.bucket.take()
	if err := s.write(m); err != nil {
		s.a.log.Debug("irc write failed", "command", m.Command, "err", err)
	}
}

// write sends one line. Lines are built to fit; write does not split.
func (s *session) write(m Message) error {
	line := m.String() + "\r\n"
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.quit.Load() {
		return fmt.Errorf("irc: write %s: %w", m.Command, net.ErrClosed)
	}
	_ = s.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if _, err := io.WriteString(s.conn, line); err != nil {
		_ = s.conn.Close()
		return fmt.Errorf("irc: write %s: %w", m.Command, err)
	}
	return nil
}

// read is the reader goroutine: it parses lines and hands them to the run
// loop in order, the final read error last.
func (s *session) read() {
	defer s.wg.Done()
	br := bufio.NewReaderSize(s.conn, MaxTagBytes+MaxLineBytes)
	for {
		line, err := readLine(br)
		if errors.Is(err, errLongLine) {
			s.a.log.Debug("irc line skipped", "err", err)
			continue
		}
		if err != nil {
			s.deliver(received{err: err})
			return
		}
		m, err := ParseLine(line)
		if err != nil {
			s.a.log.Debug("irc line skipped", "err", err)
			continue
		}
		if !s.deliver(received{msg: m, at: time.Now()}) {
			return
		}
	}
}

func (s *session) deliver(r received) bool {
	select {
	case s.lines <- r:
		return true
	case <-s.done:
		return false
	}
}

// errLongLine marks a line longer than the read buffer; it was read to
// its end and is skipped.
var errLongLine = errors.New("irc: line longer than the read buffer")

// readLine reads up to and including LF.
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadSlice('\n')
	if !errors.Is(err, bufio.ErrBufferFull) {
		return string(line), err
	}
	for errors.Is(err, bufio.ErrBufferFull) {
		_, err = br.ReadSlice('\n')
	}
	if err != nil {
		return "", err
	}
	return "", errLongLine
}

// goodbye sends QUIT and waits briefly for the server to close, so that
// unread input does not turn our close into a reset that could lose it.
// A Perform still writing is cut short by the deadline, so this stays
// within about twice quitWait.
func (s *session) goodbye() {
	s.quit.Store(true)
	_ = s.conn.SetWriteDeadline(time.Now().Add(quitWait))
	s.wmu.Lock()
	s.a.bucket.take()
	_, err := io.WriteString(s.conn, "QUIT :shutting down\r\n")
	s.wmu.Unlock()
	if cw, ok := s.conn.(interface{ CloseWrite() error }); ok && err == nil {
		_ = cw.CloseWrite()
	}
	t := time.NewTimer(quitWait)
	defer t.Stop()
	for err == nil {
		select {
		case r := <-s.lines:
			err = r.err
		case <-t.C:
			return
		}
	}
}

// close closes the connection and waits for the reader.
func (s *session) close() {
	_ = s.conn.Close()
	close(s.done)
	s.wg.Wait()
}
