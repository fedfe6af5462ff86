package bench

import (
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// spread is the smallest, middle and largest of a few runs, in
// milliseconds.
type spread struct {
	Runs   int     `json:"runs"`
	Min    float64 `json:"min_ms"`
	Median float64 `json:"median_ms"`
	Max    float64 `json:"max_ms"`
	// All holds every run in the order they ran, so outliers can be seen.
	All []float64 `json:"all_ms"`
}

// spreadOf summarises ds; an empty ds gives a zero spread.
func spreadOf(ds []time.Duration) spread {
	s := spread{Runs: len(ds)}
	if len(ds) == 0 {
		return s
	}
	for _, d := range ds {
		s.All = append(s.All, ms(d))
	}
	sorted := slices.Sorted(slices.Values(s.All))
	s.Min, s.Max = sorted[0], sorted[len(sorted)-1]
	s.Median = sorted[len(sorted)/2]
	if len(sorted)%2 == 0 {
		s.Median = round3((sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2)
	}
	return s
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted, which must not be empty.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// ms returns d in milliseconds, to three decimals.
func ms(d time.Duration) float64 { return round3(float64(d) / float64(time.Millisecond)) }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// loadAvg returns the 1, 5 and 15 minute load averages of the machine,
// or zeros when /proc/loadavg cannot be read.
func loadAvg() [3]float64 {
	var out [3]float64
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return out
	}
	for i, f := range strings.Fields(string(b)) {
		if i == len(out) {
			break
		}
		out[i], _ = strconv.ParseFloat(f, 64)
	}
	return out
}

// procMemMB returns the VmRSS and VmHWM (peak) of process pid in MiB.
func procMemMB(pid int) (rss, peak float64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		key, val, ok := strings.Cut(line, ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 64)
		if key == "VmRSS" {
			rss = round3(kb / 1024)
		} else {
			peak = round3(kb / 1024)
		}
	}
	return rss, peak
}
