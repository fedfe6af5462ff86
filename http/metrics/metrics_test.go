package metrics

import (
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// scrape serves GET /metrics once and returns the exposition text.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("GET /metrics: %d", w.Code)
	}
	b, _ := io.ReadAll(w.Body)
	return string(b)
}

// hasLine reports whether text holds a sample line starting with prefix
// and ending in value.
func hasLine(text, prefix, value string) bool {
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, " "+value) {
			return true
		}
	}
	return false
}

// traffic makes one of every kind of call.
func traffic(m *Metrics) {
	m.Handled("inbound", OutcomeOK, 3*time.Millisecond)
	m.Handled("jobs", OutcomeRetry, 200*time.Millisecond)
	m.Handled("jobs", OutcomeDead, time.Second)
	m.SetDepths(map[string]int64{"inbound": 1, "outbound": 2, "jobs": 40, "dead": 3})
	m.SetMaster(true, 42)
	m.TermStarted()
	m.MasterChanged(time.Unix(1700000000, 500_000_000))
	m.SetChatConnected(true)
	m.WebhookReceived("github", "push", 202)
	m.WebhookReceived("github", "", 401)
	m.BackendError("redis", "push")
	m.DeadLetters(2)
	m.ActionPerformed("send", ActionSent)
}

func TestSeriesAfterTraffic(t *testing.T) {
	m := New("v1.2.3")
	traffic(m)
	text := scrape(t, m)
	for _, want := range []struct{ prefix, value string }{
		{`herald_build_info{version="v1.2.3"}`, "1"},
		{`herald_handled_total{lane="inbound",outcome="ok"}`, "1"},
		{`herald_handled_total{lane="jobs",outcome="dead"}`, "1"},
		{`herald_handler_duration_seconds_bucket{lane="jobs",le="0.25"}`, "1"},
		{`herald_handler_duration_seconds_count{lane="jobs"}`, "2"},
		{`herald_queue_depth{queue="jobs"}`, "40"},
		{`herald_queue_depth{queue="dead"}`, "3"},
		{`herald_is_master`, "1"},
		{`herald_term`, "42"},
		{`herald_terms_started_total`, "1"},
		{`herald_master_change_timestamp_seconds`, "1.7000000005e+09"},
		{`herald_chat_connected`, "1"},
		{`herald_webhooks_received_total{event="push",source="github",status="202"}`, "1"},
		{`herald_webhooks_received_total{event="",source="github",status="401"}`, "1"},
		{`herald_backend_errors_total{backend="redis",op="push"}`, "1"},
		{`herald_dead_letters_total`, "2"},
		{`herald_actions_total{kind="send",outcome="sent"}`, "1"},
		{`go_goroutines`, ""},
		{`process_resident_memory_bytes`, ""},
	} {
		if want.value == "" && strings.Contains(text, "\n"+want.prefix+" ") {
			continue
		}
		if !hasLine(text, want.prefix, want.value) {
			t.Errorf("no %s %s in:\n%s", want.prefix, want.value, text)
		}
	}
}

func TestValuesMove(t *testing.T) {
	m := New("dev")
	m.SetMaster(true, 7)
	m.SetChatConnected(true)
	m.SetMaster(false, 8)
	m.SetChatConnected(false)
	m.SetDepths(map[string]int64{"jobs": 5})
	m.SetDepths(map[string]int64{"jobs": 0})
	for range 3 {
		m.TermStarted()
		m.Handled("inbound", OutcomeOK, time.Millisecond)
	}
	text := scrape(t, m)
	for _, want := range []struct{ prefix, value string }{
		{"herald_is_master", "0"},
		{"herald_term", "8"},
		{"herald_chat_connected", "0"},
		{`herald_queue_depth{queue="jobs"}`, "0"},
		{"herald_terms_started_total", "3"},
		{`herald_handled_total{lane="inbound",outcome="ok"}`, "3"},
	} {
		if !hasLine(text, want.prefix, want.value) {
			t.Errorf("no %s %s", want.prefix, want.value)
		}
	}
}

// TestLint runs Prometheus' own naming linter over every series.
func TestLint(t *testing.T) {
	m := New("dev")
	traffic(m)
	problems, err := testutil.GatherAndLint(m.Gatherer())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

func TestLabelsBounded(t *testing.T) {
	m := New("dev")
	m.Handled("elsewhere", "exploded", time.Millisecond)
	m.SetDepths(map[string]int64{"herald:secret-list": 9})
	m.BackendError("mysql", "DROP TABLE")
	m.ActionPerformed("kick", "sent")
	m.WebhookReceived("GitHub/../x", "push", 202)
	for i := range maxEvents + 10 {
		m.WebhookReceived("github", fmt.Sprintf("event_%d", i), 202)
	}
	m.WebhookReceived("github", "<script>", 202)
	text := scrape(t, m)
	for _, bad := range []string{"elsewhere", "exploded", "secret-list", "mysql", "DROP",
		"kick", "GitHub", "<script>", fmt.Sprintf("event_%d", maxEvents)} {
		if strings.Contains(text, bad) {
			t.Errorf("label value %q exposed", bad)
		}
	}
	for _, want := range []struct{ prefix, value string }{
		{`herald_handled_total{lane="other",outcome="other"}`, "1"},
		{`herald_backend_errors_total{backend="other",op="other"}`, "1"},
		{`herald_actions_total{kind="other",outcome="sent"}`, "1"},
		{`herald_webhooks_received_total{event="push",source="other",status="202"}`, "1"},
		{`herald_webhooks_received_total{event="other",source="github",status="202"}`, "11"},
		{`herald_webhooks_received_total{event="event_63",source="github",status="202"}`, "1"},
	} {
		if !hasLine(text, want.prefix, want.value) {
			t.Errorf("no %s %s", want.prefix, want.value)
		}
	}
}

func TestNilIsNoop(t *testing.T) {
	var m *Metrics
	traffic(m) // must not panic
}

func TestConcurrentUse(t *testing.T) {
	m := New("dev")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				m.WebhookReceived("github", fmt.Sprintf("e%d", (i*200+j)%100), 202)
				m.Handled("jobs", OutcomeOK, time.Microsecond)
			}
		}()
	}
	wg.Wait()
	if !hasLine(scrape(t, m), `herald_handled_total{lane="jobs",outcome="ok"}`, "1600") {
		t.Error("lost increments")
	}
}

// TestTwoNodesInOneProcess: each has its own registry.
func TestTwoNodesInOneProcess(t *testing.T) {
	a, b := New("a"), New("b")
	a.TermStarted()
	if !hasLine(scrape(t, b), "herald_terms_started_total", "0") {
		t.Error("registries are shared")
	}
}
