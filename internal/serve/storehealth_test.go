package serve

import (
	"context"
	"errors"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/store"
)

// growingStore fails the commits of writes that need its file to grow
// while the disk is full, and takes those that fit: a pure-logic stand-in
// for a bbolt file that cannot grow beside a log with room.
type growingStore struct {
	store.Store
	full  atomic.Bool
	calls atomic.Int64
}

func (g *growingStore) Update(_ context.Context, fn func(store.Tx) error) error {
	if err := fn(nil); err != nil {
		return err
	}
	if g.full.Load() && g.calls.Add(1)%2 == 0 {
		return syscall.ENOSPC
	}
	return nil
}

func (g *growingStore) Close() error { return nil }

// With the file unable to grow, writes that fit its pages succeed between
// those that fail. Each success set SERVING again and each failure
// NOT_SERVING, with a log line each, about 50 in 20 s (an operator's trial,
// 2026-12-07). Health now stays NOT_SERVING until the probe, which asks for
// room to grow, succeeds.
func TestHealthStore_WritesBetweenFailures_DoNotFlap(t *testing.T) {
	g := &growingStore{}
	g.full.Store(true)
	var probeOK atomic.Bool
	h := newHealthStore(g, func(context.Context) error {
		if probeOK.Load() {
			return nil
		}
		return syscall.ENOSPC
	})
	defer h.Close()
	changes := make(chan bool, 100)
	h.notify(func(healthy bool) { changes <- healthy })

	ctx := context.Background()
	var failed, succeeded int
	for range 20 {
		if err := h.Update(ctx, func(store.Tx) error { return nil }); err != nil {
			failed++
		} else {
			succeeded++
		}
	}
	if failed == 0 || succeeded == 0 {
		t.Fatalf("the stand-in did not alternate: %d failed, %d succeeded", failed, succeeded)
	}
	if len(changes) != 1 || h.Err() == nil {
		t.Fatalf("%d changes of health over %d failures between %d successes, and Err %v; want one, to NOT_SERVING", len(changes), failed, succeeded, h.Err())
	}
	if <-changes {
		t.Fatal("the one change was to SERVING")
	}

	// Room again: the probe brings SERVING back without a caller writing.
	g.full.Store(false)
	probeOK.Store(true)
	select {
	case healthy := <-changes:
		if !healthy || h.Err() != nil {
			t.Fatalf("health changed to %t, Err %v; want SERVING", healthy, h.Err())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still NOT_SERVING 10 s after the probe could write")
	}
	// A function's own refusal says nothing of storage.
	refusal := errors.New("refused")
	if err := h.Update(ctx, func(store.Tx) error { return refusal }); !errors.Is(err, refusal) || h.Err() != nil {
		t.Fatalf("a refusal: %v, health %v", err, h.Err())
	}
}
