package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herald-chatops/herald/node/clustertest"
)

// Timing of the harness.
const (
	// settleTime is how long the nodes run before their idle memory is
	// read: the start-up garbage is collected by then.
	settleTime = 5 * time.Second
	// floodWarmup is how long wrk runs before the first flooded ping, so
	// that every ping meets the intake at saturation.
	floodWarmup = time.Second
)

// harnessResult is the JSON object TestHarness prints.
type harnessResult struct {
	Test  string    `json:"test"`
	Time  time.Time `json:"time"`
	Cores int       `json:"cores"`
	Nodes int       `json:"nodes"`
	Setup setupInfo `json:"setup"`
	// LoadAvg holds /proc/loadavg (1, 5, 15 minutes) before each phase.
	LoadAvg        map[string][3]float64 `json:"loadavg"`
	IdleRSSMB      []float64             `json:"idle_rss_mb"`
	RSSAfterLoadMB []float64             `json:"rss_after_load_mb"`
	PeakRSSMB      []float64             `json:"peak_rss_mb"`
	Intake         intakeResult          `json:"intake"`
	Chat           chatResult            `json:"webhook_to_chat"`
	PingIdle       pingResult            `json:"ping_idle"`
	PingFlooded    pingResult            `json:"ping_flooded"`
	// CPUCores is how many cores each process used while wrk ran: the
	// nodes by id, redis, ngircd, wrk, bench (this test process: the
	// person and its pings), the whole machine, and others (the machine
	// beyond those, such as other work on it).
	CPUCores map[string]float64 `json:"cpu_cores_during_load"`
	// PingP99Ratio is the flooded ping p99 over the idle one; DESIGN.md's
	// target is at most 2.
	PingP99Ratio float64 `json:"ping_p99_flooded_over_idle"`
}

// setupInfo says how a run was set up, so that runs can be compared.
type setupInfo struct {
	HeraldVersion   string  `json:"herald_version"`
	RaceBuild       bool    `json:"race_build"`
	Payload         string  `json:"payload"`
	PayloadBytes    int     `json:"payload_bytes"`
	NgircdPenalties bool    `json:"ngircd_penalties"`
	IRCRate         int     `json:"chat_irc_rate"`
	IRCBurst        int     `json:"chat_irc_burst"`
	ChatConcurrency int     `json:"worker_chat_concurrency"`
	JobConcurrency  int     `json:"worker_job_concurrency"`
	LogLevel        string  `json:"log_level"`
	SettleS         float64 `json:"settle_s"`
}

// TestHarness measures webhook intake, webhook-to-chat lines, ping round
// trips idle and flooded, and memory, on HERALD_BENCH_NODES nodes.
func TestHarness(t *testing.T) {
	s := benchSettings(t)
	res := harnessResult{Test: "harness", Time: time.Now().UTC(), Cores: runtime.NumCPU(),
		Nodes: s.Nodes, Setup: newSetup(t, s), LoadAvg: map[string][3]float64{}}
	c := startCluster(t, clusterSpec{nodes: s.Nodes, jobConcurrency: s.JobConcurrency})

	// Let the nodes settle, then read their idle memory.
	time.Sleep(settleTime) // a settle time before a reading, not a wait for a condition
	res.IdleRSSMB, _ = c.memory()

	// Pings while nothing else happens, paced as they will be under load.
	every := (s.Duration - floodWarmup - time.Second) / time.Duration(s.Pings)
	res.LoadAvg["before_idle_pings"] = loadAvg()
	res.PingIdle = c.pingSeries(s.Pings, every)

	// Saturate the intake while the person keeps pinging.
	res.LoadAvg["before_load"] = loadAvg()
	f := c.flood(s, every)
	res.Intake, res.PingFlooded, res.CPUCores = f.intake, f.pings, f.cpu
	res.LoadAvg["end_of_load"] = loadAvg()

	// Wait until chat has accounted for every accepted webhook.
	res.Chat = c.chatFigures(f.start, f.end, f.intake, f.backlog)
	res.RSSAfterLoadMB, res.PeakRSSMB = c.memory()
	if res.PingIdle.P99MS > 0 {
		res.PingP99Ratio = round3(res.PingFlooded.P99MS / res.PingIdle.P99MS)
	}
	emit(t, res, s.Out)
	if res.Chat.Duplicates {
		t.Errorf("chat stood for %d webhooks, more than the %d sent", res.Chat.WebhooksSaid,
			f.intake.Sent)
	}
	if !res.Chat.Drained {
		t.Errorf("chat accounted for %d of %d accepted webhooks within %v",
			res.Chat.WebhooksSaid, f.intake.Accepted, drainLimit)
	}
}

// floodResult is what one load phase measured.
type floodResult struct {
	intake     intakeResult
	pings      pingResult
	start, end time.Time
	backlog    map[string]int64
	cpu        map[string]float64
}

// flood runs wrk against every node while the person pings every
// interval, and returns when wrk is done and the pongs are in. The pings
// are spread over the load from floodWarmup to a second before its end.
func (c *cluster) flood(s settings, every time.Duration) floodResult {
	c.t.Helper()
	meter := newCPUMeter(c.pids())
	f := floodResult{start: time.Now()}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		time.Sleep(floodWarmup) // pacing: the first ping meets a saturated intake
		f.pings = c.pingSeries(s.Pings, every)
	}()
	intake, wrkCPU := runWrk(c.t, c.addrs(), s.Conns, s.Duration)
	f.intake, f.end = intake, time.Now()
	f.cpu = meter.cores(map[string]time.Duration{"wrk": wrkCPU})
	f.intake.RequestsPerNodeCPUS = c.perNodeCore(f.intake.RequestsPerS, f.cpu)
	if st, err := c.nodes[0].Status(); err == nil {
		f.backlog = st.Queues
	}
	wg.Wait()
	return f
}

// perNodeCore divides rate by the cores the nodes used, as cpu gives
// them; zero when unknown.
func (c *cluster) perNodeCore(rate float64, cpu map[string]float64) float64 {
	var cores float64
	for _, p := range c.nodes {
		cores += cpu[p.ID]
	}
	if cores == 0 {
		return 0
	}
	return round3(rate / cores)
}

// newSetup describes the run's setup.
func newSetup(t *testing.T, s settings) setupInfo {
	t.Helper()
	payload, err := os.ReadFile(payloadFile)
	if err != nil {
		t.Fatal(err)
	}
	version, race := binaryInfo(t)
	return setupInfo{HeraldVersion: version, RaceBuild: race,
		Payload: strings.TrimPrefix(payloadFile, "../../"), PayloadBytes: len(payload),
		NgircdPenalties: false, IRCRate: ircRate, IRCBurst: ircBurst,
		ChatConcurrency: chatConcurrency, JobConcurrency: s.JobConcurrency,
		LogLevel: "info", SettleS: settleTime.Seconds()}
}

// binaryInfo returns the version the herald binary prints and whether
// it was built with the race detector, whose figures are not comparable.
func binaryInfo(t *testing.T) (string, bool) {
	t.Helper()
	bin := clustertest.Binary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", bin, err)
	}
	version := strings.TrimSpace(strings.TrimPrefix(string(out), "herald "))
	info, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Logf("go version -m: %v (race build unknown)", err)
	}
	race := strings.Contains(string(info), "-race=true")
	if race {
		t.Logf("%s is a race-detector build: its figures are not comparable", bin)
	}
	return version, race
}

// emit prints v as JSON and writes it to file when one is named.
func emit(t *testing.T, v any, file string) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Println(string(b))
	if file == "" {
		return
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		t.Errorf("write %s: %v", file, err)
	}
}
