// Package metrics holds Herald's Prometheus metrics: one registry per
// node, the typed calls the node makes when something happens, and the
// handler served at GET /metrics.
//
// What it guarantees:
//
//   - Names follow Prometheus' conventions: the herald_ prefix, base units
//     (seconds), _total on counters, and no help text or label that holds
//     a secret, a message body or a payload.
//   - Label values are bounded. Each label takes values from a fixed set
//     (the lists, the lanes, the outcomes below) and anything else is
//     counted as "other"; webhook event names are limited in number per
//     source, so a sender cannot grow the series without end.
//   - Every method is safe for concurrent use and cheap enough for the
//     hot path; every method of a nil *Metrics does nothing, so a node
//     built without metrics needs no checks.
//
// What it does not do: it reads nothing by itself. List depths, the
// master's identity and the chat state are what the node last reported;
// a node that stopped reporting shows its last values. The registry is
// its own, never the global one, so two nodes in one process (as in
// tests) do not collide.
package metrics

import (
	nethttp "net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Outcomes of handling one envelope from inbound or jobs, for Handled.
const (
	// OutcomeOK: the handler succeeded and the envelope was acknowledged.
	OutcomeOK = "ok"
	// OutcomeRetry: the handler failed and the envelope went back for
	// another try.
	OutcomeRetry = "retry"
	// OutcomeDead: the handler failed for the last time and the envelope
	// went to the dead-letter list.
	OutcomeDead = "dead"
)

// Outcomes of one action popped from outbound by the master, for
// ActionPerformed.
const (
	// ActionSent: the action happened in chat.
	ActionSent = "sent"
	// ActionDuplicate: the action's id was already performed and it was
	// dropped.
	ActionDuplicate = "duplicate"
	// ActionUnsupported: the adapter has no such action; it was dropped.
	ActionUnsupported = "unsupported"
	// ActionReleased: the action was given back to outbound untouched
	// (no connection, lease lost, fenced off).
	ActionReleased = "released"
	// ActionFailed: performing failed and the action was retried or
	// dead-lettered.
	ActionFailed = "failed"
)

// other is the label value for anything outside a label's set.
const other = "other"

// maxEvents is how many distinct webhook event names one source may show
// as label values; later names are counted as "other".
const maxEvents = 64

// Metrics is one node's metrics. Make it with New.
type Metrics struct {
	reg *prometheus.Registry

	handled     *prometheus.CounterVec
	handlerTime *prometheus.HistogramVec
	depth       *prometheus.GaugeVec
	isMaster    prometheus.Gauge
	term        prometheus.Gauge
	terms       prometheus.Counter
	lastChange  prometheus.Gauge
	chatUp      prometheus.Gauge
	webhooks    *prometheus.CounterVec
	backendErrs *prometheus.CounterVec
	deadLetters prometheus.Counter
	actions     *prometheus.CounterVec

	mu     sync.Mutex
	events map[string]map[string]bool // source -> event names in use
}

// New returns the metrics of one node, registered on a new registry
// together with the Go runtime and process collectors and a
// herald_build_info series that carries version.
func New(version string) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), events: map[string]map[string]bool{}}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(version),
	)
	m.work()
	m.election()
	m.intake()
	return m
}

// Handler returns the handler for GET /metrics, serving this registry
// only.
func (m *Metrics) Handler() nethttp.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Gatherer returns the registry, for tests and for pushing elsewhere.
func (m *Metrics) Gatherer() prometheus.Gatherer {
	return m.reg
}

// buildInfo is the constant series herald_build_info{version} 1.
func buildInfo(version string) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "herald_build_info",
		Help:        "Always 1; the label says which build of Herald runs.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	g.Set(1)
	return g
}

// Handled counts one envelope of lane (queue.Inbound or queue.Jobs)
// handled with outcome (OutcomeOK, OutcomeRetry or OutcomeDead) after d.
func (m *Metrics) Handled(lane, outcome string, d time.Duration) {
	if m == nil {
		return
	}
	lane = oneOf(lane, lanes)
	m.handled.WithLabelValues(lane, oneOf(outcome, outcomes)).Inc()
	m.handlerTime.WithLabelValues(lane).Observe(d.Seconds())
}

// SetDepths records the length of each list, as queue.Queue.Depths
// returns it. Lists other than inbound, outbound, notices, jobs and dead
// are left out.
func (m *Metrics) SetDepths(depths map[string]int64) {
	if m == nil {
		return
	}
	for list, n := range depths {
		if oneOf(list, lists) != other {
			m.depth.WithLabelValues(list).Set(float64(n))
		}
	}
}

// SetMaster records whether this node is master and the newest term it
// has seen.
func (m *Metrics) SetMaster(isMaster bool, term uint64) {
	if m == nil {
		return
	}
	m.isMaster.Set(b2f(isMaster))
	m.term.Set(float64(term))
}

// TermStarted counts one term won by this node.
func (m *Metrics) TermStarted() {
	if m == nil {
		return
	}
	m.terms.Inc()
}

// MasterChanged records when this node saw the master change (a new
// master, or none). Alerts compute the time since with
// time() - herald_master_change_timestamp_seconds.
func (m *Metrics) MasterChanged(at time.Time) {
	if m == nil {
		return
	}
	m.lastChange.Set(float64(at.UnixNano()) / 1e9)
}

// SetChatConnected records whether this node holds a live chat
// connection; only the master ever does.
func (m *Metrics) SetChatConnected(up bool) {
	if m == nil {
		return
	}
	m.chatUp.Set(b2f(up))
}

// WebhookReceived counts one request to the webhook source named source,
// for event ("" when it was refused before the event was read), answered
// with the HTTP status code. Sources are the configured ones, so their
// number is bounded by the configuration; events are bounded per source.
func (m *Metrics) WebhookReceived(source, event string, code int) {
	if m == nil {
		return
	}
	if !labelValue.MatchString(source) {
		source = other
	}
	m.webhooks.WithLabelValues(source, m.eventLabel(source, event),
		strconv.Itoa(code)).Inc()
}

// BackendError counts one failed call of op on backend ("redis" or
// "raft"). The ops are the queue.Queue methods in snake case (push, pop,
// ack, retry, release, claim, unclaim, heartbeat, nodes, reap, depths,
// dead_letters, requeue, ping) and the election's campaign, renew and
// step_down; any other op is counted as "other".
func (m *Metrics) BackendError(backend, op string) {
	if m == nil {
		return
	}
	m.backendErrs.WithLabelValues(oneOf(backend, backends), oneOf(op, ops)).Inc()
}

// DeadLetters counts n envelopes this node moved to the dead-letter list.
func (m *Metrics) DeadLetters(n int) {
	if m == nil || n <= 0 {
		return
	}
	m.deadLetters.Add(float64(n))
}

// ActionPerformed counts one action of kind (a chat.ActionKind) popped
// from outbound by the master, with outcome (ActionSent and the rest).
func (m *Metrics) ActionPerformed(kind, outcome string) {
	if m == nil {
		return
	}
	m.actions.WithLabelValues(oneOf(kind, kinds), oneOf(outcome, actionOutcomes)).Inc()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
