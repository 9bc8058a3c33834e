package bolt

import (
	"context"
	"fmt"
	"io"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
)

var _ store.Backuper = (*Store)(nil)

// Backup writes the file as one read transaction sees it (bbolt's
// Tx.WriteTo, as etcd's snapshot does): every record committed before it
// began, with meta pages naming that transaction, so that a server opens
// the copy as it stood. The pages come from the open file, through the page
// cache, so commits not yet synced by a checkpoint are in the copy too;
// the write-ahead log is not needed beside it. The free list is not copied
// (the log leaves it unsynced): the copy's first open rebuilds it.
//
// Reads and writes go on. A compaction waits for the backup to end, and
// so would every read behind the compaction's swap: the two exclude each
// other here (store.ErrMaintenanceRunning).
func (s *Store) Backup(ctx context.Context, begin func(store.BackupInfo) error, w io.Writer) error {
	if !s.maint.TryLock() {
		return store.ErrMaintenanceRunning
	}
	defer s.maint.Unlock()
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.view(func(tx *bbolt.Tx) error {
		seq, _, err := readHead(tx)
		if err != nil {
			return err
		}
		if err := begin(store.BackupInfo{Bytes: tx.Size(), LastEvent: seq}); err != nil {
			return err
		}
		n, err := tx.WriteTo(ctxWriter{ctx, w})
		if err != nil && ctx.Err() != nil {
			return ctx.Err() // bbolt's message keeps the text, not the error
		}
		if err == nil && n != tx.Size() {
			err = fmt.Errorf("backup of %s: wrote %d bytes of %d", s.path, n, tx.Size())
		}
		return err
	})
}

// ctxWriter stops a copy when its context ends: WriteTo has no context of
// its own, and a server shutting down must not wait for a slow client.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
