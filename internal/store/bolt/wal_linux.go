package bolt

import (
	"os"
	"syscall"
)

// fdatasync syncs a file's data and the metadata needed to read it (its
// size), not its times: what a log record needs, at one device flush.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// freeBytes is the space left to unprivileged writers on dir's file
// system; ok is false if it cannot be told.
func freeBytes(dir string) (free int64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}

// unlinked says whether f's file has no name left (deleted while open).
func unlinked(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && st.Nlink == 0
}
