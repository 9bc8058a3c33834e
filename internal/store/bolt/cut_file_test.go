package bolt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Found by an operator's trial of a bad week (2026-12-06): a ruqi.db cut
// short (a copy that stopped when its disk filled) killed the server at
// start with SIGBUS and a Go stack trace ("fatal error: fault", bbolt
// reading its free list past the end of the mapped file); one cut to
// nothing, or missing, beside its write-ahead log was taken for a new
// store: the server started empty and healthy, every record gone.

// closedWithData is a store written and closed cleanly; its path.
func closedWithData(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 300)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestOpen_FileCutShort_Refused(t *testing.T) {
	path := closedWithData(t)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, DefaultOptions())
	if err == nil {
		s.Close()
		t.Fatal("a file cut to half its size was opened")
	}
	if !strings.Contains(err.Error(), "cut short") {
		t.Fatalf("refused without saying the file was cut: %v", err)
	}
}

func TestOpen_EmptyOrMissingFileBesideItsLog_Refused(t *testing.T) {
	for _, tc := range []struct {
		name string
		lose func(path string) error
	}{
		{"empty", func(path string) error { return os.Truncate(path, 0) }},
		{"missing", os.Remove},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := closedWithData(t)
			if err := tc.lose(path); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path, DefaultOptions())
			if err == nil {
				s.Close()
				t.Fatalf("a file %s beside its write-ahead log was opened as a new store", tc.name)
			}
			if !strings.Contains(err.Error(), walDir(path)) {
				t.Fatalf("refused without naming the log: %v", err)
			}
		})
	}
	// A new data directory, without a log, still makes a new store.
	s, err := Open(filepath.Join(t.TempDir(), "ruqi.db"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}
