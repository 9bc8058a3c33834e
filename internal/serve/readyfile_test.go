package serve

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A ready file left by an earlier start named ports nobody listened on,
// and a script waiting for it went on at once (an operator's trial,
// 2026-12-07). It goes once the store is opened, so a start that fails
// later (here its gRPC address) leaves none, and at a clean stop.
func TestRun_ReadyFile_StaleOneRemoved_RemovedAtStop(t *testing.T) {
	stale := []byte(`{"grpc_addr":"127.0.0.1:1","http_addr":"127.0.0.1:2"}`)
	cfg := startConfig(t)
	cfg.ReadyFile = filepath.Join(t.TempDir(), "ready.json")
	if err := os.WriteFile(cfg.ReadyFile, stale, 0o600); err != nil {
		t.Fatal(err)
	}
	bad := cfg
	bad.GRPCAddr = "127.0.0.1:99999"
	if err := Run(context.Background(), bad); err == nil {
		t.Fatal("a start on port 99999 succeeded")
	}
	if _, err := os.Stat(cfg.ReadyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the stale ready file outlived a failed start: %v", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(cfg.ReadyFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(cfg.ReadyFile); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the ready file outlived a clean stop: %v", err)
	}
}
