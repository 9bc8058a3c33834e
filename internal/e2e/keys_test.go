package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestKeysFetch_KeepsTheLogItTrusts: the cache of `keys fetch` is what an
// enterprise's offline checks trust. A server that publishes another log
// key (another log, or one rewritten under a new key) or another witness
// policy replaced it silently (review, 2026-12-03). Now the fetch refuses
// with exit code 3, names what changed and leaves the cache as it was,
// until the user accepts the change.
func TestKeysFetch_KeepsTheLogItTrusts(t *testing.T) {
	a, b := startServer(t), startServer(t)
	cache := filepath.Join(t.TempDir(), "keys.json")
	a.mustCLI("", "keys", "fetch", "--keys-cache", cache)
	trusted, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	// The same server again: nothing changed, nothing asked.
	a.mustCLI("", "keys", "fetch", "--keys-cache", cache)

	r := b.cli("", "keys", "fetch", "--keys-cache", cache)
	if r.exit != 3 || !strings.Contains(r.stderr, "日志公钥") || !strings.Contains(r.stderr, "--accept-change") {
		t.Errorf("fetch from a server with another log: exit %d, stderr %q; want 3 naming the log key and --accept-change", r.exit, r.stderr)
	}
	if now, _ := os.ReadFile(cache); !bytes.Equal(now, trusted) {
		t.Error("the refused fetch replaced the cache")
	}
	b.mustCLI("", "keys", "fetch", "--keys-cache", cache, "--accept-change")
	if now, _ := os.ReadFile(cache); bytes.Equal(now, trusted) {
		t.Error("an accepted change left the cache as it was")
	}
	if r := a.cli("", "keys", "fetch", "--keys-cache", cache); r.exit != 3 {
		t.Errorf("fetch from the first server after accepting the second's log: exit %d, want 3", r.exit)
	}
	// A cache that cannot be read is replaced, with a warning.
	if err := os.WriteFile(cache, []byte("{broken"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := a.cli("", "keys", "fetch", "--keys-cache", cache); r.exit != 0 || !strings.Contains(r.stderr, "原公钥缓存无法读取") {
		t.Errorf("fetch over a broken cache: exit %d, stderr %q; want it saved with a warning", r.exit, r.stderr)
	}
}
