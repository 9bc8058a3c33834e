package durable

import (
	"errors"
	"os"
	"syscall"
)

// ErrLocked is a lock another process holds.
var ErrLocked = errors.New("locked by another process")

// Lock takes an exclusive lock on path (created if missing) without
// waiting: ErrLocked if another process holds it. Closing the file lets it
// go, as does the process's end.
func Lock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, ErrLocked
		}
		return nil, err
	}
	return f, nil
}
