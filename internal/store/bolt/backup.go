package bolt

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
// The copy is made first into a temporary file beside the store, unlinked
// at once (nothing is left if the server dies), and only then written to
// w: the read transaction lasts as long as the local copy, not as long as
// a slow client takes. While it is open no page freed by a commit can be
// reused, so a stalled client would have made the file grow until the
// backup ended (a read-only review, 2026-12-04). The temporary file needs
// as much free space as the store's file.
//
// Reads and writes go on. A compaction waits for the read transaction, and
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
	tmp, err := os.CreateTemp(filepath.Dir(s.path), ".ruqi-backup-*")
	if err != nil {
		return fmt.Errorf("backup of %s: %w", s.path, err)
	}
	defer tmp.Close()
	if err := os.Remove(tmp.Name()); err != nil {
		return fmt.Errorf("backup of %s: %w", s.path, err)
	}
	var info store.BackupInfo
	err = s.view(func(tx *bbolt.Tx) error {
		seq, _, err := readHead(tx)
		if err != nil {
			return err
		}
		info = store.BackupInfo{Bytes: tx.Size(), LastEvent: seq}
		// Room for the copy and for the writes that go on meanwhile: a
		// copy that filled the disk would fail the log's next segment or
		// the file's growth, and the store with it, until a restart.
		if free, ok := freeBytes(filepath.Dir(s.path)); ok && free < info.Bytes+backupHeadroom {
			return fmt.Errorf("%w: %d bytes free, the copy needs %d and the store keeps %d for its writes", store.ErrNoSpace, free, info.Bytes, backupHeadroom)
		}
		cw := &ctxWriter{ctx: ctx, w: tmp}
		n, err := tx.WriteTo(cw)
		if err != nil && cw.err != nil {
			err = cw.err // bbolt's message keeps the text, not the error
		}
		if err != nil {
			return noSpace(err)
		}
		if n != tx.Size() {
			return fmt.Errorf("wrote %d bytes of %d", n, tx.Size())
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("backup of %s: %w", s.path, err)
	}
	if err := begin(info); err != nil {
		return err
	}
	_, err = io.Copy(&ctxWriter{ctx: ctx, w: w}, io.NewSectionReader(tmp, 0, info.Bytes))
	return err
}

// backupHeadroom is the space a backup leaves free beside its copy for the
// store's own writes meanwhile: four of the log's segments. A var for
// tests.
var backupHeadroom int64 = 4 * walSegmentBytes

// ctxWriter stops a copy when its context ends: WriteTo has no context of
// its own, and a server shutting down must not wait for a slow client.
// It keeps the error it returned, which bbolt's WriteTo hands on only as
// text.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
	err error
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if c.err = c.ctx.Err(); c.err != nil {
		return 0, c.err
	}
	var n int
	n, c.err = c.w.Write(p)
	return n, c.err
}
