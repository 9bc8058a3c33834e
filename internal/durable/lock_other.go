//go:build !linux

package durable

import (
	"errors"
	"os"
)

// ErrLocked is a lock another process holds.
var ErrLocked = errors.New("locked by another process")

// Lock only creates the file: ruqi runs on Linux, where the lock is taken
// (lock_linux.go).
func Lock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
}
