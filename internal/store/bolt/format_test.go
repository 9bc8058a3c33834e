package bolt

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"
)

// A file in a newer layout than this version writes is refused at open,
// saying what to do, and left as it was: an older version once wrote into
// a migrated file before failing to parse it (an upgrade trial, 2026-12-05).
func TestOpen_NewerFileFormat_RefusedUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bRecordFormat).Put(formatKey, seqKey(fileFormat+1))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if s, err := Open(path, DefaultOptions()); err == nil || !strings.Contains(err.Error(), "newer version") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("opening a file of format %d: %v, want a refusal naming a newer version", fileFormat+1, err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Error("the refused file was written to")
	}
}
