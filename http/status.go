package http

import (
	"context"
	"errors"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// readyWait bounds the backend check behind GET /readyz.
const readyWait = time.Second

// Status is the cluster as one node sees it, served by GET /status.
type Status struct {
	// Node is the id of the node that answers.
	Node string `json:"node"`
	// Master is the id of the current master, "" while there is none.
	Master string `json:"master"`
	// Term is the newest term this node has seen.
	Term uint64 `json:"term"`
	// Nodes are the live nodes.
	Nodes []queue.NodeInfo `json:"nodes"`
	// Queues maps each list to its length.
	Queues map[string]int64 `json:"queues"`
	// DeadLetters is the length of the dead-letter list.
	DeadLetters int64 `json:"dead_letters"`
	// Version is the answering node's build.
	Version string `json:"version"`
	// Started is when the answering node started.
	Started time.Time `json:"started,omitzero"`
	// IsMaster is true when the answering node is the master.
	IsMaster bool `json:"is_master"`
	// MasterSince is when the answering node saw the current master (or
	// the lack of one) begin; zero when it does not know.
	MasterSince time.Time `json:"master_since,omitzero"`
	// ChatConnected is true while the answering node holds a live chat
	// connection; only the master ever does.
	ChatConnected bool `json:"chat_connected"`
	// Changes are the last master changes the answering node saw, oldest
	// first.
	Changes []MasterChange `json:"master_changes"`
}

// MasterChange is one start or end of a term, as a node saw it.
type MasterChange struct {
	Time time.Time `json:"time"`
	Term uint64    `json:"term"`
	// Master is the id of the node whose term started or ended.
	Master string `json:"master"`
	// Event is "started" or "ended".
	Event string `json:"event"`
	// Reason says why a term ended, such as "node stopping".
	Reason string `json:"reason,omitempty"`
}

// healthz answers 200 for as long as the process serves at all.
func (s *Server) healthz(w nethttp.ResponseWriter, _ *nethttp.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 while the queue backend answers within readyWait,
// and 503 with the reason otherwise.
func (s *Server) readyz(w nethttp.ResponseWriter, r *nethttp.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyWait)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.deps.Queue.Ping(ctx); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			err = errors.New("no answer within 1s")
		}
		w.WriteHeader(nethttp.StatusServiceUnavailable)
		_, _ = w.Write([]byte("queue backend unreachable: " + err.Error() + "\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}

// status serves the cluster status as JSON, or as the page for a
// browser.
func (s *Server) status(w nethttp.ResponseWriter, r *nethttp.Request) {
	if wantsHTML(r) {
		s.page(w, r)
		return
	}
	st, err := s.readStatus(r)
	if err != nil {
		writeError(w, nethttp.StatusServiceUnavailable, "status unavailable: "+err.Error())
		return
	}
	writeJSON(w, nethttp.StatusOK, st)
}

// readStatus asks the node for its status and fills in empty
// collections, so that JSON readers always find them.
func (s *Server) readStatus(r *nethttp.Request) (Status, error) {
	st, err := s.deps.Status(r.Context())
	if err != nil {
		if r.Context().Err() == nil {
			s.warnf("status failed", "err", err)
		}
		return st, err
	}
	if st.Nodes == nil {
		st.Nodes = []queue.NodeInfo{}
	}
	if st.Queues == nil {
		st.Queues = map[string]int64{}
	}
	if st.Changes == nil {
		st.Changes = []MasterChange{}
	}
	return st, nil
}

// wantsHTML reports whether the client is a browser rather than a tool.
func wantsHTML(r *nethttp.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") &&
		r.URL.Query().Get("format") != "json"
}
