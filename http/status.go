package http

import (
	"context"
	"errors"
	"html/template"
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

// status serves the cluster status as JSON, or as a page for a browser.
func (s *Server) status(w nethttp.ResponseWriter, r *nethttp.Request) {
	st, err := s.deps.Status(r.Context())
	if err != nil {
		if r.Context().Err() == nil {
			s.warnf("status failed", "err", err)
		}
		writeError(w, nethttp.StatusServiceUnavailable, "status unavailable: "+err.Error())
		return
	}
	if st.Nodes == nil {
		st.Nodes = []queue.NodeInfo{}
	}
	if st.Queues == nil {
		st.Queues = map[string]int64{}
	}
	if wantsHTML(r) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = statusPage.Execute(w, st)
		return
	}
	writeJSON(w, nethttp.StatusOK, st)
}

// wantsHTML reports whether the client is a browser rather than a tool.
func wantsHTML(r *nethttp.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html") &&
		r.URL.Query().Get("format") != "json"
}

// statusPage shows Status to a person.
var statusPage = template.Must(template.New("status").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Herald status</title>
<style>body{font-family:sans-serif;margin:2em}td,th{padding:.2em 1em;text-align:left}</style>
</head><body>
<h1>Herald</h1>
<p>Answered by <b>{{.Node}}</b> ({{.Version}}).
Master: <b>{{if .Master}}{{.Master}}{{else}}none{{end}}</b>, term {{.Term}}.</p>
<h2>Nodes</h2>
<table><tr><th>id</th><th>address</th><th>version</th><th>role</th><th>seen</th></tr>
{{range .Nodes}}<tr><td>{{.ID}}</td><td>{{.Addr}}</td><td>{{.Version}}</td>
<td>{{if .Master}}master (term {{.Term}}){{else}}worker{{end}}</td>
<td>{{.Seen.UTC.Format "2006-01-02 15:04:05 UTC"}}</td></tr>
{{end}}</table>
<h2>Queues</h2>
<table><tr><th>list</th><th>length</th></tr>
{{range $k, $v := .Queues}}<tr><td>{{$k}}</td><td>{{$v}}</td></tr>
{{end}}<tr><td>dead letters</td><td>{{.DeadLetters}}</td></tr></table>
</body></html>
`))
