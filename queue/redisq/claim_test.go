package redisq

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/herald-chatops/herald/queue"
	"github.com/herald-chatops/herald/queue/redistest"
)

func TestClaimAll(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	q := openQueue(t, testConfig(srv.Addr), "ca", "n1")
	ctx := ctxFor(t)
	rc := rawClient(t, srv.Addr)
	if err := rc.Set(ctx, "ca:term", 3, 0).Err(); err != nil {
		t.Fatal(err)
	}
	if ok, err := q.Claim(ctx, "b", time.Minute, 3); !ok || err != nil {
		t.Fatalf("claim b: %v, %v", ok, err)
	}
	got, err := q.ClaimAll(ctx, []string{"a", "b", "c"}, time.Minute, 3)
	if err != nil || !reflect.DeepEqual(got, []bool{true, false, true}) {
		t.Fatalf("ClaimAll = %v, %v; want a and c claimed, b taken", got, err)
	}
	if _, err := q.ClaimAll(ctx, []string{"d"}, time.Minute, 2); !errors.Is(err, queue.ErrFenced) {
		t.Fatalf("stale fence: %v, want ErrFenced", err)
	}
	if ok, _ := q.Claim(ctx, "d", time.Minute, 3); !ok {
		t.Fatal("a fenced ClaimAll claimed d anyway")
	}
}
