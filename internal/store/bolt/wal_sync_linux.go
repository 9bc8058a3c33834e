package bolt

import (
	"os"
	"syscall"
)

// fdatasync syncs a file's data and the metadata needed to read it (its
// size), not its times: what a log record needs, at one device flush.
func fdatasync(f *os.File) error { return syscall.Fdatasync(int(f.Fd())) }
