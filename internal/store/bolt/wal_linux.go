package bolt

import (
	"errors"
	"os"
	"syscall"
	"time"
)

// fdatasync syncs a file's data and the metadata needed to read it (its
// size), not its times: what a log record needs, at one device flush.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }

// lockFile takes an exclusive lock on path (created if missing), waiting
// up to timeout. Recovery writes to the database file before bbolt locks
// it, so a second server started on the same data directory must stop at
// this lock, not after.
func lockFile(path string, timeout time.Duration) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) || time.Now().After(deadline) {
			f.Close()
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return nil, errLockedByPeer
			}
			return nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeBytes is the space left to unprivileged writers on dir's file
// system; ok is false if it cannot be told.
func freeBytes(dir string) (free int64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, false
	}
	return int64(st.Bavail) * int64(st.Bsize), true
}
