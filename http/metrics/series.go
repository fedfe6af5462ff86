package metrics

import "github.com/prometheus/client_golang/prometheus"

// handlerBuckets span a chat command answered in a millisecond to a
// webhook job that calls out for half a minute.
var handlerBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5,
	1, 2.5, 5, 10, 30}

// work registers the series of the worker pools and the lists.
func (m *Metrics) work() {
	m.handled = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_handled_total",
		Help: "Envelopes handled by this node's workers, by lane (inbound: chat, " +
			"jobs: webhooks) and outcome (ok, retry, dead).",
	}, []string{"lane", "outcome"})
	m.handlerTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "herald_handler_duration_seconds",
		Help:    "Time a handler took for one envelope, by lane, failures included.",
		Buckets: handlerBuckets,
	}, []string{"lane"})
	m.depth = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "herald_queue_depth",
		Help: "Envelopes waiting on each list (inbound, outbound, notices, jobs, " +
			"dead), as this node last read them.",
	}, []string{"queue"})
	m.deadLetters = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "herald_dead_letters_total",
		Help: "Envelopes this node moved to the dead-letter list after their last try.",
	})
	m.backendErrs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_backend_errors_total",
		Help: "Failed calls to the queue or election backend, by backend " +
			"(redis, raft) and operation.",
	}, []string{"backend", "op"})
	m.reg.MustRegister(m.handled, m.handlerTime, m.depth, m.deadLetters, m.backendErrs)
}

// election registers the series of the master role and chat.
func (m *Metrics) election() {
	m.isMaster = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_is_master",
		Help: "1 while this node holds the master role, else 0.",
	})
	m.term = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_term",
		Help: "The newest term (fencing token) this node has seen.",
	})
	m.terms = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "herald_terms_started_total",
		Help: "Terms this node won and started as master.",
	})
	m.lastChange = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_master_change_timestamp_seconds",
		Help: "Unix time at which this node last saw the master change; " +
			"0 until it has seen one.",
	})
	m.chatUp = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "herald_chat_connected",
		Help: "1 while this node holds a live chat connection (only the master does).",
	})
	m.actions = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_actions_total",
		Help: "Actions the master popped from outbound, by kind and outcome " +
			"(sent, duplicate, unsupported, released, failed).",
	}, []string{"kind", "outcome"})
	m.reg.MustRegister(m.isMaster, m.term, m.terms, m.lastChange, m.chatUp, m.actions)
}

// intake registers the series of the webhook intake.
func (m *Metrics) intake() {
	m.webhooks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "herald_webhooks_received_total",
		Help: "Webhook requests to a known source, by source, event and the HTTP " +
			"status answered (202 queued, 4xx refused, 503 not kept).",
	}, []string{"source", "event", "status"})
	m.reg.MustRegister(m.webhooks)
}
