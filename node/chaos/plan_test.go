package chaos

import (
	"testing"
	"time"
)

func TestPlanIsReproducible(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Seed = 42
	a, b := NewPlan(cfg, 3), NewPlan(cfg, 3)
	for i := range 50 {
		if fa, fb := a.Next(), b.Next(); fa != fb {
			t.Fatalf("fault %d differs for one seed: %v and %v", i, fa, fb)
		}
	}
	cfg.Seed = 43
	c, d := NewPlan(cfg, 3), NewPlan(DefaultConfig(), 3)
	same := true
	for range 20 {
		same = same && c.Next() == d.Next()
	}
	if same {
		t.Fatal("seeds 43 and 0 gave the same twenty faults")
	}
}

func TestPlanShape(t *testing.T) {
	bounds := map[FaultKind][2]time.Duration{
		Kill: {killHoldMin, killHoldMax}, Term: {termHoldMin, termHoldMax},
		Pause: {pauseHoldMin, pauseHoldMax}, RedisRestart: {redisHoldMin, redisHoldMax},
	}
	for seed := uint64(1); seed <= 200; seed++ {
		cfg := DefaultConfig()
		cfg.Seed = seed
		p := NewPlan(cfg, 3)
		expected := int(cfg.Duration / (cfg.Interval + meanHold))
		kinds := map[FaultKind]int{}
		for i := range expected {
			f := p.Next()
			kinds[f.Kind]++
			b := bounds[f.Kind]
			if f.Hold < b[0] || f.Hold > b[1] || f.Node < 0 || f.Node > 2 ||
				f.Wait < cfg.Interval/2 || f.Wait > cfg.Interval*3/2 {
				t.Fatalf("seed %d fault %d out of bounds: %+v", seed, i, f)
			}
		}
		if kinds[RedisRestart] != 1 {
			t.Fatalf("seed %d: %d Redis restarts in the expected %d faults, want 1",
				seed, kinds[RedisRestart], expected)
		}
	}
}

func TestFaultString(t *testing.T) {
	tests := []struct {
		f    Fault
		want string
	}{
		{Fault{Kind: Kill, Node: 2, Hold: time.Second, Wait: 3 * time.Second},
			"kill of node #2 for 1s after 3s"},
		{Fault{Kind: Pause, Master: true, Hold: 1500 * time.Millisecond},
			"pause of the master for 1.5s after 0s"},
		{Fault{Kind: RedisRestart, Hold: 300 * time.Millisecond},
			"redis-restart of redis for 300ms after 0s"},
	}
	for _, tt := range tests {
		if got := tt.f.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.f, got, tt.want)
		}
	}
}
