package cli

import (
	"os"
	"path/filepath"
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
