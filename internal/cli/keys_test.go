package cli

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"google.golang.org/protobuf/proto"
)

func TestKeysCache_SaveLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "keys.json") // the directory is created
	keys := &ruqiv1.ListPublicKeysResponse{Keys: []*ruqiv1.PublicKey{{
		KeyId: "0123456789abcdef", Algorithm: "EdDSA", PublicKey: make([]byte, 32),
		Status: ruqiv1.KeyStatus_KEY_STATUS_ACTIVE, CreatedAt: tspb(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)),
	}}}
	if err := saveKeys(path, keys); err != nil {
		t.Fatal(err)
	}
	got, err := loadKeys(path)
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, keys) {
		t.Errorf("loaded %v, want %v", got, keys)
	}
	// Saving again replaces the file and leaves no temporary file behind.
	if err := saveKeys(path, &ruqiv1.ListPublicKeysResponse{}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("cache directory holds %d files, want 1", len(entries))
	}
}

func TestKeysCache_Missing(t *testing.T) {
	if _, err := loadKeys(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("want an error for a missing cache")
	}
}

func TestKeysCache_Corrupt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadKeys(path); err == nil {
		t.Error("want an error for a corrupt cache")
	}
}

func TestTrustChanges(t *testing.T) {
	const logA, logB = "ruqi.example/log+0a1b2c3d+AAAA", "ruqi.example/log+0a1b2c3d+BBBB"
	const policy = "witness w1 w1+1234+CCCC\nquorum w1\n"
	keys := func(log, pol string) *ruqiv1.ListPublicKeysResponse {
		return &ruqiv1.ListPublicKeysResponse{LogKey: log, WitnessPolicy: pol}
	}
	for _, c := range []struct {
		name            string
		cached, fetched *ruqiv1.ListPublicKeysResponse
		want            []string
	}{
		{"the same", keys(logA, policy), keys(logA, policy), nil},
		{"new signing keys only", keys(logA, policy), &ruqiv1.ListPublicKeysResponse{LogKey: logA, WitnessPolicy: policy, Keys: []*ruqiv1.PublicKey{{KeyId: "k2"}}}, nil},
		{"a cache that trusted no log yet", keys("", ""), keys(logB, policy), nil},
		{"another log", keys(logA, policy), keys(logB, policy), []string{"日志公钥"}},
		{"witnesses dropped", keys(logA, policy), keys(logA, ""), []string{"见证策略"}},
		{"witnesses added", keys(logA, ""), keys(logA, policy), []string{"见证策略"}},
		{"both", keys(logA, policy), keys(logB, ""), []string{"日志公钥", "见证策略"}},
	} {
		if got := trustChanges(c.cached, c.fetched); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// keys list --cached shows the witness policy the cache keeps beside the
// log key: receipt verify checks against it, and an operator comparing
// replicas' policies (one cache per fetch) had only -o json to see it.
func TestKeysListCached_ShowsTheWitnessPolicy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys.json")
	const policy = "witness sfj sifaju.test+0a1b2c3d+AAAA http://127.0.0.1:7490\n\nquorum sfj\n"
	if err := saveKeys(path, &ruqiv1.ListPublicKeysResponse{LogKey: "ruqi.example/log+0a1b2c3d+BBBB", WitnessPolicy: policy}); err != nil {
		t.Fatal(err)
	}
	a, out, errOut := testApp(nil)
	if code := a.run([]string{"keys", "list", "--cached", "--keys-cache", path}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := "见证策略：\n  witness sfj sifaju.test+0a1b2c3d+AAAA http://127.0.0.1:7490\n  quorum sfj\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("keys list --cached:\n%s\nwant it to show\n%s", out, want)
	}

	// A cache without one says nothing of witnesses.
	if err := saveKeys(path, &ruqiv1.ListPublicKeysResponse{LogKey: "ruqi.example/log+0a1b2c3d+BBBB"}); err != nil {
		t.Fatal(err)
	}
	a, out, _ = testApp(nil)
	if code := a.run([]string{"keys", "list", "--cached", "--keys-cache", path}); code != 0 || strings.Contains(out.String(), "见证") {
		t.Errorf("keys list --cached of a cache without a witness policy: exit %d\n%s", code, out)
	}
}
