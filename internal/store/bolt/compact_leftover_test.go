package bolt_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/ruqi/ruqi/internal/store/bolt"
)

// The copy a compaction leaves when a crash interrupts it, as large as the
// file, is removed when the store next opens, not kept until the next
// compaction (the kill -9 test on a loaded machine, 2026-12-06).
func TestOpen_RemovesAnInterruptedCompactionsCopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	if err := os.WriteFile(path+".compact", []byte("half a copy"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := os.Stat(path + ".compact"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the interrupted compaction's copy is still there: %v", err)
	}
}
