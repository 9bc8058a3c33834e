//go:build !linux

package bolt

import (
	"os"
	"time"
)

func fdatasync(f *os.File) error { return f.Sync() }

// lockFile only creates the file: ruqi's servers run on Linux, where the
// lock is taken (wal_linux.go); elsewhere bbolt's own lock is the only one.
func lockFile(path string, _ time.Duration) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}

// freeBytes cannot tell here; the copy then finds out by writing.
func freeBytes(string) (int64, bool) { return 0, false }
