package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/durable"
	"github.com/ruqi/ruqi/internal/store"
)

// compactTxBytes bounds one transaction of the copy, so that compacting a
// large file does not hold all of it in memory (etcd's defrag does the same).
const compactTxBytes = 64 << 20

type compaction struct {
	done chan compactResult
}

type compactResult struct {
	rep store.CompactReport
	err error
}

var _ store.Compacter = (*Store)(nil)

// Compact copies every record into a new file with full pages, then
// swaps it in place of the old one. The writer does it, so writes wait
// (queued, not lost) until it is done; reads go on from the old file until
// the swap. A ctx that ends before the writer takes the job withdraws it.
func (s *Store) Compact(ctx context.Context) (store.CompactReport, error) {
	if !s.maint.TryLock() {
		return store.CompactReport{}, store.ErrMaintenanceRunning
	}
	defer s.maint.Unlock()
	c := &compaction{done: make(chan compactResult, 1)}
	select {
	case s.compacts <- c:
	case <-s.closed:
		return store.CompactReport{}, errClosed
	case <-ctx.Done():
		return store.CompactReport{}, ctx.Err()
	}
	r := <-c.done
	return r.rep, r.err
}

// failWriteBack makes the rename that writes a deleted file back fail, for
// a test of what the store does then.
var failWriteBack atomic.Bool

func writeBackRename(from, to string) error {
	if failWriteBack.Load() {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: syscall.EIO}
	}
	return os.Rename(from, to)
}

// noSpace marks err as store.ErrNoSpace when the disk was full (or the
// file past its size limit), for the service's NO_SPACE answers.
func noSpace(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EFBIG) {
		return fmt.Errorf("%w: %w", store.ErrNoSpace, err)
	}
	return err
}

// compactHeadroom is what a compaction asks free beyond its copy's pages:
// their tree's few more. Not a log segment: the old ones are removed before
// a new one is made, and the swap frees the old file, so a nearly full disk,
// which compaction is for, was refused one that would have succeeded (a
// review, 2026-12-07). A var for tests.
var compactHeadroom int64 = 4 << 20

// roomToCompact refuses a compaction the disk has no room for before a
// byte of its copy is written. The copy fills its pages, so it takes about
// the pages in use: the file's pages less the free ones. Tried anyway, the
// copy failed cleanly (ErrNoSpace) but only after taking the disk's last
// bytes, which anything else writing there found gone meanwhile (an
// operator's trial, 2026-12-07).
func (s *Store) roomToCompact() error {
	var used int64
	err := s.db.View(func(tx *bbolt.Tx) error {
		st := s.db.Stats()
		used = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(s.db.Info().PageSize)
		return nil
	})
	if err != nil {
		return err
	}
	if free, ok := freeBytes(filepath.Dir(s.path)); ok && free < used+compactHeadroom {
		return fmt.Errorf("%w: %d bytes free, the copy needs about %d and %d more", store.ErrNoSpace, free, used, compactHeadroom)
	}
	return nil
}

// compact runs on the writer goroutine.
func (s *Store) compact(*compaction) compactResult {
	if s.db == nil {
		return compactResult{err: store.ErrUnusable}
	}
	if s.replaced() {
		// keepFile leaves a file moved in at the path alone, for the next
		// start to open: the swap renamed the open file's copy over it, the
		// file moved in was gone, and writes were taken again (a review,
		// 2026-12-06).
		return compactResult{err: fmt.Errorf("compact %s: another file stands at the path (replaced while the server ran); it is not overwritten: stop the server", s.path)}
	}
	start := time.Now()
	// A checkpoint first, so that no logged group follows it: whichever
	// file is at path after a crash during the swap, the log asks for no
	// replay onto it.
	if err := s.checkpointNow(); err != nil {
		if s.broken == nil {
			// The log could not take the checkpoint's record (a full
			// disk): nothing has changed, and the store writes again once
			// there is room. It answered ErrUnusable, and the service kept
			// health NOT_SERVING until a restart (an operator's trial,
			// 2026-12-06).
			return compactResult{err: fmt.Errorf("compact %s: %w", s.path, noSpace(err))}
		}
		return compactResult{err: errors.Join(store.ErrUnusable, err)}
	}
	rep := store.CompactReport{BytesBefore: fileSize(s.db)}
	if err := s.roomToCompact(); err != nil {
		return compactResult{err: fmt.Errorf("compact %s: %w", s.path, err)}
	}
	tmp := s.path + ".compact"
	_ = os.Remove(tmp) // left by a compaction that was interrupted
	dst, err := openDB(tmp, s.opts, 0)
	if err != nil {
		// bbolt writes the new file's first pages as it makes it: on a
		// full disk that failed here, answered INTERNAL (an operator's
		// trial, 2026-12-06).
		os.Remove(tmp)
		return compactResult{err: fmt.Errorf("compact %s: %w", s.path, noSpace(err))}
	}
	// The copy's file ends at its last page: it is not given the slack of
	// growBy up front (the server's file takes it when it next grows).
	dst.AllocSize = 0
	if err := bbolt.Compact(dst, s.db, compactTxBytes); err != nil {
		dst.Close()
		os.Remove(tmp)
		return compactResult{err: fmt.Errorf("compact %s: %w", s.path, noSpace(err))}
	}
	// The copy must end where the original does before it replaces it.
	var seq uint64
	var hash []byte
	err = dst.View(func(tx *bbolt.Tx) error {
		var err error
		seq, hash, err = readHead(tx)
		return err
	})
	if err == nil && (seq != s.head.seq || !bytes.Equal(hash, s.head.hash)) {
		err = fmt.Errorf("the copy's event log ends at %d, the original's at %d", seq, s.head.seq)
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return compactResult{err: fmt.Errorf("compact %s: %w", s.path, err)}
	}

	// Swap: wait for the readers of the old file, then replace it. The
	// log's checkpoint pins the old file (bbolt's Close waits for it); a
	// new log starts on whichever file is open afterwards.
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	// A file deleted while the server ran (keepFile writes it back): the
	// copy takes the free path before the open file is closed, so that a
	// rename that fails leaves the open file serving. Renamed after the
	// close, as below, a failure opened the empty path: a new, empty store
	// took the writes (a review, 2026-12-06).
	swapped := false
	if _, err := os.Stat(s.path); errors.Is(err, fs.ErrNotExist) {
		if err := writeBackRename(tmp, s.path); err != nil {
			os.Remove(tmp)
			return compactResult{err: fmt.Errorf("compact %s: %w", s.path, err)}
		}
		swapped = true
	}
	useWAL := s.wal != nil
	var oldSegs []uint64
	if useWAL {
		for _, sg := range s.wal.segs {
			oldSegs = append(oldSegs, sg.n)
		}
	}
	if err := s.stopWAL(); err != nil {
		return compactResult{err: errors.Join(store.ErrUnusable, err)}
	}
	if err := s.db.Close(); err != nil {
		return compactResult{err: fmt.Errorf("compact %s: close: %w", s.path, err)}
	}
	var swapErr error
	if !swapped {
		swapErr = os.Rename(tmp, s.path)
	}
	if swapErr == nil {
		swapErr = durable.SyncDir(filepath.Dir(s.path))
	}
	// Open whichever file is now at path: the compacted one, or the
	// original if the rename failed.
	mmap := 0
	if useWAL {
		mmap = walMmap(s.path)
	}
	db, err := openDB(s.path, s.opts, mmap)
	if err != nil {
		s.db = nil
		return compactResult{err: errors.Join(store.ErrUnusable, swapErr, fmt.Errorf("compact: reopen: %w", err))}
	}
	s.db, s.mmap = db, mmap
	if useWAL {
		// The old log holds nothing after its last checkpoint (stopWAL):
		// it goes before a new segment is made, so that a disk with room
		// for the compacted file but not for a second segment beside the
		// old ones keeps the store writing (a trial of the operator's year,
		// 2026-12-06: the store refused every write until a restart).
		for _, n := range oldSegs {
			os.Remove(segmentPath(walDir(s.path), n))
		}
		_ = durable.SyncDir(walDir(s.path))
		if err := s.startWAL(oldSegs); err != nil {
			// No room for a log: commit the direct way, each commit synced
			// by bbolt, as near the end of the mapping, until the next
			// start makes a log again.
			slog.Warn("compaction: no write-ahead log until the server restarts; commits are synced one by one", "err", err)
		}
	}
	if swapErr != nil {
		os.Remove(tmp)
		return compactResult{err: fmt.Errorf("compact %s: %w", s.path, swapErr)}
	}
	rep.BytesAfter = fileSize(db)
	rep.Took = time.Since(start)
	s.stats.fileBytes.Store(rep.BytesAfter)
	return compactResult{rep: rep}
}
