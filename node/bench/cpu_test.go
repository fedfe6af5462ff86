package bench

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// userHZ is the unit of the CPU times in /proc (USER_HZ), 100 on Linux.
const userHZ = 100

// cpuTime returns the user and system CPU time process pid has used, or
// zero when it cannot be read.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name may hold spaces; the fields after it start with
	// the state (field 3), so utime and stime (14 and 15) are 11 and 12.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * time.Second / userHZ
}

// machineBusy returns the CPU time all cores spent not idle, from
// /proc/stat, or zero when it cannot be read.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0
	}
	var busy int64
	for i, v := range f[1:9] {
		n, _ := strconv.ParseInt(v, 10, 64)
		if i != 3 && i != 4 { // idle and iowait
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / userHZ
}

// cpuMeter takes the CPU time of the processes of a run before and after
// a phase, and turns the difference into cores used.
type cpuMeter struct {
	pids  map[string]int
	start map[string]time.Duration
	begin time.Time
}

// newCPUMeter starts measuring the named processes and the machine.
func newCPUMeter(pids map[string]int) *cpuMeter {
	m := &cpuMeter{pids: pids, start: map[string]time.Duration{}, begin: time.Now()}
	for name, pid := range pids {
		m.start[name] = cpuTime(pid)
	}
	m.start["machine"] = machineBusy()
	return m
}

// cores returns, per process and for the machine, the cores used since
// the meter started; extra adds processes measured elsewhere (wrk).
// "others" is what the machine used beyond the processes named.
func (m *cpuMeter) cores(extra map[string]time.Duration) map[string]float64 {
	wall := time.Since(m.begin).Seconds()
	out := map[string]float64{}
	var ours float64
	for name, pid := range m.pids {
		out[name] = round3((cpuTime(pid) - m.start[name]).Seconds() / wall)
		ours += out[name]
	}
	for name, d := range extra {
		out[name] = round3(d.Seconds() / wall)
		ours += out[name]
	}
	out["machine"] = round3((machineBusy() - m.start["machine"]).Seconds() / wall)
	out["others"] = round3(max(out["machine"]-ours, 0))
	return out
}

// processCPU returns the CPU time an ended process used.
func processCPU(cmd *exec.Cmd) time.Duration {
	if cmd.ProcessState == nil {
		return 0
	}
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// redisPid asks the Redis server at addr for its process id.
func redisPid(addr string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	rc := redis.NewClient(&redis.Options{Addr: addr})
	defer rc.Close()
	info, err := rc.Info(ctx, "server").Result()
	if err != nil {
		return 0, fmt.Errorf("redis info: %w", err)
	}
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			return strconv.Atoi(v)
		}
	}
	return 0, fmt.Errorf("redis info: no process_id")
}
