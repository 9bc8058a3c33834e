package bolt

import (
	"os"
	"syscall"
)

// fdatasync syncs a file's data and the metadata needed to read it (its
// size), not its times: what a log record needs, at one device flush.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// freeBytes is the space this process may still write on dir's file
// system: what is left to unprivileged writers, or to root, who may write
// the blocks reserved for it (ext4's 5%), all that is free. A server run
// as root (as in many containers) made its log segments in those blocks,
// and the check before making one refused them (a review, 2026-12-07).
// ok is false if it cannot be told.
func freeBytes(dir string) (free int64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	if os.Geteuid() == 0 {
		return int64(st.Bfree) * int64(st.Bsize), true
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
