//go:build !linux

package bolt

import (
	"os"
)

func fdatasync(f *os.File) error { return f.Sync() }

// freeBytes cannot tell here; the copy then finds out by writing.
func freeBytes(string) (int64, bool) { return 0, false }

// unlinked cannot tell here.
func unlinked(*os.File) bool { return false }
