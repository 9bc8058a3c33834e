package serve

import (
	"errors"
	"sync/atomic"
	"testing"
)

// /healthz said 200 while a compaction held writes and gRPC health said
// NOT_SERVING (an operator's trial, 2026-12-07); it follows both now.
func TestHTTPHealth_NotServingWhileCompacting(t *testing.T) {
	var compacting atomic.Bool
	var storeErr error
	h := httpHealth(func() error { return storeErr }, &compacting)
	if err := h(); err != nil {
		t.Fatalf("healthy store, no compaction: %v", err)
	}
	compacting.Store(true)
	if err := h(); err == nil {
		t.Error("healthy during a compaction")
	}
	storeErr = errors.New("disk full")
	if err := h(); err == nil || err.Error() != "disk full" {
		t.Errorf("compacting and unable to write: %v, want the store's error first", err)
	}
	compacting.Store(false)
	if err := h(); err == nil {
		t.Error("healthy while the store cannot write")
	}
}
