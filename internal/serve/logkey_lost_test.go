package serve

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A data directory whose log.key is gone while its store holds signed
// checkpoints: the server made a new key in its place, then refused to
// start because the checkpoints were not signed by it. The new file stayed:
// the next start refused alike, without a word of the key that was missing,
// and the data directory now held a key of a log that never was (an
// operator's trial, 2026-12-06). It refuses before making a key, naming
// the file to copy back.
func TestRun_LogKeyMissingBesideSignedLog_RefusedWithoutNewKey(t *testing.T) {
	cfg := startConfig(t)
	cfg.ReadyFile = filepath.Join(t.TempDir(), "ready.json")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := os.Stat(cfg.ReadyFile); err == nil {
			break
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("not ready: %v", <-done)
		}
	}
	cancel() // a clean stop signs the last events into the log
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(cfg.DataDir, "log.key")
	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	cfg.ReadyFile = ""
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := Run(ctx, cfg)
	if err == nil {
		t.Fatal("started without the log key of its signed log")
	}
	if !strings.Contains(err.Error(), key) || !strings.Contains(err.Error(), "missing") {
		t.Errorf("refusal %q does not say that %s is missing", err, key)
	}
	if _, serr := os.Stat(key); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("refused (%v) after making a new %s", err, key)
	}
}
