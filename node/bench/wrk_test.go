package bench

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Files the intake load uses, relative to this package.
const (
	payloadFile = "../../testdata/webhooks/github/push.new-branch.json"
	wrkScript   = "testdata/intake.lua"
	wrkMarker   = "HERALD_BENCH_WRK "
)

// wrkTimeout is wrk's own request timeout; a request that takes longer
// is counted among the timeouts.
const wrkTimeout = 5 * time.Second

// intakeResult is what wrk measured.
type intakeResult struct {
	Threads      int     `json:"wrk_threads"`
	Connections  int     `json:"connections"`
	DurationS    float64 `json:"duration_s"`
	Requests     int64   `json:"requests"`
	RequestsPerS float64 `json:"requests_per_s"`
	// RequestsPerNodeCPUS is RequestsPerS over the cores the nodes used
	// meanwhile: a figure less swayed by other work on the machine.
	RequestsPerNodeCPUS float64 `json:"requests_per_node_cpu_s"`
	// Accepted is the number of 202 answers: webhooks kept as jobs.
	Accepted int64 `json:"accepted_202"`
	// Not202 counts every other answer; wrk's own "status" error counts
	// only those of 400 and above.
	Not202 int64 `json:"not_202"`
	// Sent counts the requests wrk sent, including those still in flight
	// when it stopped: the nodes may have kept up to one per connection
	// more than Accepted.
	Sent int64 `json:"sent"`
	// SocketErrors are requests that got no answer at all.
	SocketErrors map[string]int64 `json:"socket_errors"`
	Latency      latencyMS        `json:"latency_ms"`
}

// latencyMS are wrk's latency figures in milliseconds.
type latencyMS struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p99_9"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// wrkReport is the line the Lua script prints, in microseconds.
type wrkReport struct {
	Requests   int64              `json:"requests"`
	Sent       int64              `json:"sent"`
	DurationUS int64              `json:"duration_us"`
	Not202     int64              `json:"not_202"`
	Errors     map[string]int64   `json:"errors"`
	LatencyUS  map[string]float64 `json:"latency_us"`
}

// wrkThreads is one wrk thread per node, and at least one per core of
// the machine this harness was written for (two).
func wrkThreads(nodes int) int { return max(nodes, 2) }

// runWrk posts the push payload to addrs for d over conns connections
// and returns what wrk measured and the CPU time wrk used.
func runWrk(t *testing.T, addrs []string, conns int,
	d time.Duration) (intakeResult, time.Duration) {
	t.Helper()
	bin, err := exec.LookPath("wrk")
	if err != nil {
		t.Fatalf("wrk not found (scripts/bench.sh installs it): %v", err)
	}
	threads := wrkThreads(len(addrs))
	cmd, out := wrkCommand(t, bin, addrs, threads, conns, d)
	if err := cmd.Run(); err != nil {
		t.Fatalf("wrk: %v\n%s", err, out.String())
	}
	t.Logf("wrk:\n%s", out.String())
	rep := parseWrk(t, out.String())
	conns = conns / threads * threads // wrk gives each thread the same share
	res := intakeResult{Threads: threads, Connections: conns,
		DurationS: round3(float64(rep.DurationUS) / 1e6), Requests: rep.Requests,
		RequestsPerS: round3(float64(rep.Requests) / (float64(rep.DurationUS) / 1e6)),
		Accepted:     rep.Requests - rep.Not202, Not202: rep.Not202, Sent: rep.Sent,
		SocketErrors: socketErrors(rep.Errors), Latency: latencyOf(rep.LatencyUS)}
	return res, processCPU(cmd)
}

// wrkCommand builds the wrk process; it is killed if the test binary
// dies or it outlives its run by far.
func wrkCommand(t *testing.T, bin string, addrs []string, threads, conns int,
	d time.Duration) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	body, script := absPath(t, payloadFile), absPath(t, wrkScript)
	payload, err := os.ReadFile(body)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, bin, "-t", strconv.Itoa(threads), "-c", strconv.Itoa(conns),
		"-d", fmt.Sprintf("%ds", int(d.Seconds())), "--timeout", wrkTimeout.String(),
		"-s", script, "http://"+addrs[0]+"/hooks/github")
	cmd.Env = append(os.Environ(), "BENCH_ADDRS="+strings.Join(addrs, ","),
		"BENCH_BODY="+body, "BENCH_SIGNATURE="+sign(payload), "BENCH_RUN="+runID())
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	return cmd, out
}

// parseWrk finds the script's report in wrk's output.
func parseWrk(t *testing.T, out string) wrkReport {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if js, ok := strings.CutPrefix(line, wrkMarker); ok {
			var rep wrkReport
			if err := json.Unmarshal([]byte(js), &rep); err != nil {
				t.Fatalf("wrk report %q: %v", js, err)
			}
			return rep
		}
	}
	t.Fatalf("wrk printed no %q line", strings.TrimSpace(wrkMarker))
	return wrkReport{}
}

func socketErrors(e map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for _, k := range []string{"connect", "read", "write", "timeout"} {
		out[k] = e[k]
	}
	return out
}

func latencyOf(us map[string]float64) latencyMS {
	f := func(k string) float64 { return round3(us[k] / 1000) }
	return latencyMS{P50: f("p50"), P90: f("p90"), P99: f("p99"), P999: f("p999"),
		Max: f("max"), Mean: f("mean")}
}

// sign returns the X-Hub-Signature-256 of body under the bench secret.
func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(hookSecret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// runID returns a short random prefix for the delivery ids of one run.
func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "bench-" + hex.EncodeToString(b[:])
}

func absPath(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(rel)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
