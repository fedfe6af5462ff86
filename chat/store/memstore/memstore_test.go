package memstore_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/herald-chatops/herald/chat/store"
	"github.com/herald-chatops/herald/chat/store/memstore"
	"github.com/herald-chatops/herald/chat/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) store.Store { return memstore.New() })
}

func TestClock(t *testing.T) {
	now := time.Unix(1000, 0)
	s := memstore.NewWithClock(func() time.Time { return now })
	ctx := context.Background()
	if err := s.Set(ctx, "h", "k", "v", time.Minute); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Minute - time.Nanosecond)
	if v, err := s.Get(ctx, "h", "k"); err != nil || v != "v" {
		t.Fatalf("before expiry: %q, %v", v, err)
	}
	now = now.Add(time.Nanosecond)
	if _, err := s.Get(ctx, "h", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("at expiry: %v, want ErrNotFound", err)
	}
}
