package http

import (
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"html/template"
	nethttp "net/http"
	"slices"
	"strings"
	"time"

	"github.com/herald-chatops/herald/queue"
)

// Limits of what the page shows.
const (
	pageDeadLetters = 20
	pageChanges     = 10
	pageErrorRunes  = 300
	pageDeadWait    = time.Second
)

//go:embed page.html
var pageHTML string

// statusPage renders a pageView. html/template escapes every value.
var statusPage = template.Must(template.New("page").Parse(pageHTML))

// listNotes say what each list holds, for a person who does not know.
var listNotes = map[string]string{
	queue.Inbound:  "chat messages waiting for a worker",
	queue.Outbound: "replies waiting for the master to send them",
	"notices":      "notifications waiting for the master to send them",
	queue.Jobs:     "webhooks waiting for a worker",
	queue.Dead:     "failed for good; requeue with herald dead-letters requeue",
}

// pageView is what the page shows.
type pageView struct {
	Status
	// Now is when the page was made; every age is relative to it.
	Now time.Time
	// Err is why the status could not be read, "" when it was.
	Err     string
	Queues  []queueRow
	Dead    []deadRow
	DeadErr string
	// Recent are the last master changes, newest first.
	Recent []MasterChange
}

// queueRow is one list and its length.
type queueRow struct {
	Name  string
	Depth int64
	Note  string
}

// deadRow is one dead letter without its payload.
type deadRow struct {
	ID, List, Kind, Error string
	Attempts              int
	Died                  time.Time
}

// page serves the status page. A status that cannot be read is shown
// as a page too, answered 503, so a person sees why.
func (s *Server) page(w nethttp.ResponseWriter, r *nethttp.Request) {
	v := pageView{Now: time.Now()}
	code := nethttp.StatusOK
	st, err := s.readStatus(r)
	if err != nil {
		v.Err, code = err.Error(), nethttp.StatusServiceUnavailable
	} else {
		v.fill(st)
		v.Dead, v.DeadErr = s.deadRows(r.Context())
	}
	var buf bytes.Buffer
	if err := statusPage.Execute(&buf, v); err != nil {
		s.warnf("status page failed", "err", err)
		writeError(w, nethttp.StatusInternalServerError, "status page failed")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// fill orders what the status holds for reading.
func (v *pageView) fill(st Status) {
	v.Status = st
	v.Nodes = slices.Clone(st.Nodes)
	slices.SortFunc(v.Nodes, func(a, b queue.NodeInfo) int { return strings.Compare(a.ID, b.ID) })
	v.Queues = queueRows(st.Queues)
	for i := len(st.Changes) - 1; i >= 0 && len(v.Recent) < pageChanges; i-- {
		v.Recent = append(v.Recent, st.Changes[i])
	}
}

// queueRows lists the known lists in their usual order, any others after
// them, and the dead letters last.
func queueRows(depths map[string]int64) []queueRow {
	var rows []queueRow
	for _, name := range queue.Lists {
		rows = append(rows, queueRow{name, depths[name], listNotes[name]})
	}
	var others []string
	for name := range depths {
		if !slices.Contains(queue.Lists, name) && name != queue.Dead {
			others = append(others, name)
		}
	}
	slices.Sort(others)
	for _, name := range others {
		rows = append(rows, queueRow{Name: name, Depth: depths[name]})
	}
	return append(rows, queueRow{queue.Dead, depths[queue.Dead], listNotes[queue.Dead]})
}

// deadRows reads the oldest dead letters, without their payloads.
func (s *Server) deadRows(ctx context.Context) ([]deadRow, string) {
	if s.deps.DeadLetters == nil {
		return nil, ""
	}
	ctx, cancel := context.WithTimeout(ctx, pageDeadWait)
	defer cancel()
	list, err := s.deps.DeadLetters.DeadLetters(ctx, pageDeadLetters)
	if err != nil {
		return nil, "cannot read the dead letters: " + err.Error()
	}
	rows := make([]deadRow, 0, len(list))
	for _, d := range list {
		e := d.Envelope
		rows = append(rows, deadRow{ID: e.ID, List: d.List, Kind: e.Kind,
			Error: clip(e.Error, pageErrorRunes), Attempts: e.Attempts, Died: d.Died})
	}
	return rows, ""
}

// clip shortens s to at most n runes.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// Ago says how long before the page t was: "12s ago"; "never" for zero.
func (v pageView) Ago(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return ShortDuration(v.Now.Sub(t)) + " ago"
}

// Uptime says how long a node started at t has run.
func (v pageView) Uptime(t time.Time) string {
	if t.IsZero() {
		return "unknown"
	}
	return ShortDuration(v.Now.Sub(t))
}

// UTC formats t for the page; "" for zero.
func (v pageView) UTC(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// ShortDuration formats d for a person at a glance, to two units at
// most: 850ms, 45s, 12m30s, 5h02m, 3d04h. A negative d (a clock ahead of
// this one) is shown as 0s.
func ShortDuration(d time.Duration) string {
	switch {
	case d < 0:
		return "0s"
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%02dh", int(d.Hours())/24, int(d.Hours())%24)
}
