package store

import (
	"context"
	"errors"
	"io"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// ErrUnusable is returned by a store whose file could not be opened again
// after a compaction: it answers nothing until the server is restarted.
var ErrUnusable = errors.New("store: the file could not be opened again after a compaction; restart the server")

// ErrMaintenanceRunning is returned by Compact or Backup while a compaction
// or a backup runs: one at a time.
var ErrMaintenanceRunning = errors.New("store: a compaction or a backup is running")

// ErrNoSpace is returned by a backup or a compaction that found the disk
// full: each needs as much free space as the store's file. Its text names
// neither: a compaction's was logged as "no space left for the backup's
// copy" (an operator's trial, 2026-12-06).
var ErrNoSpace = errors.New("store: no space left on the data directory's disk")

// Compacter is a store that can rewrite its file to give back the space
// that deleted and half-filled pages hold (bbolt). A store whose engine
// does this itself (PostgreSQL: VACUUM) does not implement it.
type Compacter interface {
	// Compact rewrites the store. Writes wait until it is done; reads go on.
	Compact(ctx context.Context) (CompactReport, error)
}

// Backuper is a store that can copy its file while it serves (bbolt): a
// consistent copy as of one committed transaction, from which a server
// starts as it was then. A store whose engine has its own backups
// (PostgreSQL: pg_basebackup, pg_dump) does not implement it.
type Backuper interface {
	// Backup calls begin with what the copy will be, then writes the copy
	// to w. Reads and writes go on meanwhile; a compaction waits for it.
	// An error from begin or w, or ctx ending, stops it.
	Backup(ctx context.Context, begin func(BackupInfo) error, w io.Writer) error
}

// BackupInfo describes a backup before its bytes.
type BackupInfo struct {
	// Bytes is the copy's length; LastEvent the sequence number of the
	// last event in it (0 if none).
	Bytes     int64
	LastEvent uint64
}

// CompactReport is what a compaction did.
type CompactReport struct {
	BytesBefore, BytesAfter int64
	Took                    time.Duration
}

// Stats are what a store's writer has done since it was opened, and its
// size now, for /metrics.
type Stats struct {
	// Commits are transactions committed; Writes the Update calls they
	// carried; Rollbacks transactions rolled back because a function
	// failed (its group is retried without it); Syncs the fsyncs.
	Commits, Writes, Rollbacks, Syncs uint64
	// FileBytes is the size of the file; Plans the inspections in it.
	FileBytes, Plans int64
	// WriterBusy is how long the one writer (bbolt) spent committing,
	// fsyncs included: near the elapsed time, every write waits for it.
	// Zero for stores without one writer.
	WriterBusy time.Duration
	// WriterCommit is the part of WriterBusy spent in the commit proper,
	// after the functions ran (bbolt: splitting nodes, writing the dirty
	// pages, two fdatasyncs): what the disk costs, beside what the rules
	// cost.
	WriterCommit time.Duration
	// PagesWritten counts the page writes of commits (bbolt: one per page
	// with its overflow pages, and one for the meta page): per write, what
	// a write costs the disk.
	PagesWritten uint64
	// Checkpoints are the write-ahead log's checkpoints (bbolt: the file
	// synced, the state recorded); WALBytes the bytes appended to the log.
	// Zero without a log.
	Checkpoints uint64
	WALBytes    int64
}

// Unwrapper is a store that wraps another, to watch it for instance.
type Unwrapper interface {
	Unwrap() Store
}

// Unsequenced is a store whose events are sequenced after they commit
// (PostgreSQL): UnsequencedEvents gives those not in the log yet.
type Unsequenced interface {
	UnsequencedEvents(ctx context.Context, fn func(*ruqiv1.Event) error) error
}

// As finds in s, or in the stores it wraps, the first that is a T: a
// Compacter, say, behind a store that watches writes.
func As[T any](s Store) (T, bool) {
	for s != nil {
		if t, ok := s.(T); ok {
			return t, true
		}
		u, ok := s.(Unwrapper)
		if !ok {
			break
		}
		s = u.Unwrap()
	}
	var zero T
	return zero, false
}

// Uncached gives the transaction under any read cache (store/cache). A
// record the transaction reads in order to write it back changed (an
// officer's certificate status) must be read from the transaction itself:
// a copy from memory may predate a write that committed a moment ago, here
// or on another replica, and writing it back would undo that write.
func Uncached(tx Tx) Tx {
	if u, ok := tx.(interface{ Uncached() Tx }); ok {
		return u.Uncached()
	}
	return tx
}
