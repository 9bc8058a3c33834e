package bolt

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/durable"
)

// The store's side of the write-ahead log (wal.go): starting it on an open
// file, checkpoints, and leaving it. Everything here runs on the writer
// goroutine, except the fdatasync of a checkpoint.

// checkpoints is the writer's checkpoint state.
type checkpoints struct {
	// pin is a read transaction on the last durable checkpoint's state:
	// while it is open bbolt reuses none of that state's pages, which a
	// recovery may have to go back to.
	pin *bbolt.Tx
	// next is the state being synced, meta its meta page, done the sync's
	// result; next is nil when no checkpoint is under way.
	next *bbolt.Tx
	meta []byte
	done chan error
	at   time.Time // when the last checkpoint started
	// metaFile reads meta pages from the file (bbolt's own handle is not
	// exported); pageSize is the file's.
	metaFile *os.File
	pageSize int
	// unrecorded is why the log could not take the last checkpoint's
	// record (a full disk), nil once one is recorded.
	unrecorded error
}

// walMmap is the mapping bbolt is opened with when the log is on.
func walMmap(path string) int {
	size := int64(walMmapBytes)
	if fi, err := os.Stat(path); err == nil {
		size = max(size, 8*fi.Size())
	}
	return int(size)
}

// startWAL starts a new log for the open file, whose state is durable
// (recovery and migrations commit with bbolt's own syncs), and removes the
// segments of old, the log before it.
func (s *Store) startWAL(old []uint64) error {
	next := uint64(1)
	if len(old) > 0 {
		next = old[len(old)-1] + 1
	}
	dir := walDir(s.path)
	w, err := createWAL(dir, next, &s.stats.walBytes)
	if err != nil {
		return fmt.Errorf("start the write-ahead log: %w", err)
	}
	f, err := os.Open(s.path)
	if err != nil {
		w.close()
		return err
	}
	s.ckpt = checkpoints{metaFile: f, pageSize: s.db.Info().PageSize, done: make(chan error, 1), at: time.Now()}
	pin, meta, err := s.pinState()
	if err == nil {
		s.ckpt.meta = meta
		err = w.append(recStart, uint64(pin.ID()), meta)
		if err == nil {
			err = w.sync()
		}
		if err != nil {
			pin.Rollback()
		}
	}
	if err != nil {
		w.close()
		f.Close()
		return fmt.Errorf("start the write-ahead log: %w", err)
	}
	// A segment left behind, or brought back by a crash, comes before the
	// start just written, and recovery ignores it.
	for _, n := range old {
		os.Remove(segmentPath(dir, n))
	}
	_ = durable.SyncDir(dir)
	s.ckpt.pin, s.wal = pin, w
	s.db.NoSync, s.db.NoGrowSync = true, true
	return nil
}

// stopWAL ends the log on the writer's way out or before a compaction's
// swap: a last checkpoint, so that no group follows it and the file opens
// as it is, then the pins are let go (bbolt's Close waits for them).
func (s *Store) stopWAL() error {
	if s.wal == nil {
		return nil
	}
	err := s.checkpointNow()
	if err != nil {
		// Groups follow the last checkpoint in the log: nothing may be
		// committed the direct way now, or a recovery would put the
		// checkpoint's state back under it.
		s.broken = errors.Join(s.broken, err)
	}
	if s.ckpt.pin != nil {
		s.ckpt.pin.Rollback()
		s.ckpt.pin = nil
	}
	err = errors.Join(err, s.wal.close(), s.ckpt.metaFile.Close())
	s.wal = nil
	if s.db != nil {
		s.db.NoSync, s.db.NoGrowSync = s.opts.NoSync, false
	}
	return err
}

// restartWAL starts a new log when the open segment was deleted while the
// server ran (an operator freeing space on a full disk): the writer went on
// appending to and syncing the deleted file, acknowledging every write as
// durable with no log on disk, and a power cut would have lost what
// followed the file's last sync (an operator's trial, 2026-12-06). The file
// is synced, the segments left are removed (a recovery would replay their
// groups onto a file that holds later ones), and the log starts again
// beside the file, numbered after them. With no room for a segment, commits
// go the direct way, each synced by bbolt, until the next start.
//
// It records no last checkpoint: the deleted segment takes its records
// with it, and on a full disk, where the log is deleted to free space, the
// open segment was full and no record could be appended (the next
// segment's directory gone, or no room for it), so no checkpoint could be
// recorded and every write was refused until a restart (a review,
// 2026-12-06).
func (s *Store) restartWAL() {
	dir := walDir(s.path)
	s.opts.logger().Error("store: the write-ahead log's open segment was deleted while the server ran; starting a new one", "dir", dir)
	if s.ckpt.next != nil {
		s.finishCheckpoint(<-s.ckpt.done)
	}
	if s.broken != nil {
		return
	}
	if err := s.db.Sync(); err != nil {
		// As a checkpoint's failed sync: which pages reached the disk is
		// not known (finishCheckpoint).
		s.broken = fmt.Errorf("sync the file after its write-ahead log was deleted: %w", err)
		return
	}
	s.stats.syncs.Add(1)
	old, _ := segmentsIn(dir)
	last := s.wal.segs[len(s.wal.segs)-1].n
	if s.ckpt.pin != nil {
		s.ckpt.pin.Rollback()
		s.ckpt.pin = nil
	}
	_ = s.wal.close()
	_ = s.ckpt.metaFile.Close()
	s.wal = nil
	s.db.NoSync, s.db.NoGrowSync = s.opts.NoSync, false
	for _, n := range old {
		os.Remove(segmentPath(dir, n))
	}
	_ = durable.SyncDir(dir)
	if len(old) == 0 || old[len(old)-1] < last {
		old = append(old, last) // numbered after the deleted one, which is not removed again
	}
	if err := s.startWAL(old); err != nil {
		s.opts.logger().Warn("store: no write-ahead log until the server restarts; commits are synced one by one", "err", err)
	}
}

// keepFile checks, after a checkpoint, that the file open is the one at
// its path. ruqi.db deleted while the server ran (an operator freeing
// space, a wrong rm) took every record with it at the next stop, while
// the writer went on committing into the deleted file and /healthz said
// ok (an operator's trial, 2026-12-06). A deleted file is written back
// from the open one, as a compaction writes its copy and swaps it in;
// until that succeeds (a full disk), and while another file stands at the
// path (replaced: it is not overwritten), commits are refused, so that
// nothing is acknowledged that the next start would not find.
func (s *Store) keepFile() {
	missing, same, err := s.atPath()
	switch {
	case missing:
		if !s.maint.TryLock() {
			return // a backup or a compaction runs: at the next checkpoint
		}
		defer s.maint.Unlock()
		log := s.opts.logger()
		log.Error("store: the data file was deleted while the server ran; writing the open file back", "file", s.path)
		if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
			s.lost = fmt.Errorf("store: %s was deleted while the server ran and cannot be written back: %w; writes are refused: take a backup now (ruqi admin backup), the open file still holds every record", s.path, err)
			return
		}
		if r := s.compact(nil); r.err != nil {
			s.lost = fmt.Errorf("store: %s was deleted while the server ran and cannot be written back: %w; writes are refused until it is (free space); do not stop the server before that or a backup (ruqi admin backup): the open file holds every record", s.path, r.err)
			log.Error("store: the data file cannot be written back", "err", r.err)
			return
		}
		s.lost = nil
		log.Warn("store: the data file is written back", "file", s.path)
	case err != nil:
		return // not known: as it was
	case same:
		s.lost = nil
	default:
		if s.lost == nil {
			s.opts.logger().Error("store: the data file was replaced while the server ran; writes are refused (the next start opens the new file): stop the server", "file", s.path)
		}
		s.lost = fmt.Errorf("store: %s was replaced while the server ran: writes are refused, since the next start opens the new file; stop the server", s.path)
	}
}

// replaced says whether a file other than the open one stands at the
// path (keepFile). Only the log's handle on the file can tell: without the
// log it says no.
func (s *Store) replaced() bool {
	if s.wal == nil {
		return false
	}
	missing, same, err := s.atPath()
	return err == nil && !missing && !same
}

// atPath compares what stands at the file's path with the file open,
// through the log's handle on it: nothing (missing), the same file, or
// another; err when it cannot be told.
func (s *Store) atPath() (missing, same bool, err error) {
	fi, err := os.Stat(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return true, false, nil
	}
	if err != nil {
		return false, false, err
	}
	if s.ckpt.metaFile == nil {
		return false, false, errors.New("no handle on the open file")
	}
	open, err := s.ckpt.metaFile.Stat()
	if err != nil {
		return false, false, err
	}
	return false, os.SameFile(fi, open), nil
}

// writeFreelist commits once more, the direct way, with bbolt's free list:
// with the log on no commit writes it (openDB), so an Open after a clean
// Close would otherwise rebuild it by reading every page of the file (7 s
// for a 419 MB file with a cold page cache; 0.4 s warm). The next commit
// frees the list's pages again. If this fails, the file is as the last
// checkpoint left it, and the next Open rebuilds the list.
func (s *Store) writeFreelist() {
	if s.db == nil || s.broken != nil || !s.db.NoFreelistSync {
		return
	}
	s.db.NoFreelistSync = false
	_ = s.db.Update(func(*bbolt.Tx) error { return nil })
	s.db.NoFreelistSync = true
}

// maybeCheckpoint starts a checkpoint when enough log or time has passed
// since the last one and none is under way.
func (s *Store) maybeCheckpoint() {
	if s.wal == nil || s.ckpt.next != nil || s.broken != nil {
		return
	}
	if s.wal.sinceCheckpoint < walCheckpointBytes && time.Since(s.ckpt.at) < walCheckpointEvery {
		return
	}
	s.startCheckpoint()
}

// pinState opens a read transaction on the current state, which keeps its
// pages from reuse, and copies the state's meta page.
func (s *Store) pinState() (*bbolt.Tx, []byte, error) {
	pin, err := s.db.Begin(false)
	if err != nil {
		return nil, nil, err
	}
	meta, err := readMeta(s.ckpt.metaFile, s.ckpt.pageSize, uint64(pin.ID()))
	if err != nil {
		pin.Rollback()
		return nil, nil, err
	}
	return pin, meta, nil
}

// startCheckpoint pins the current state and syncs the file in the
// background; the writer goes on committing meanwhile.
func (s *Store) startCheckpoint() {
	pin, meta, err := s.pinState()
	if err != nil {
		s.broken = fmt.Errorf("checkpoint: %w", err)
		return
	}
	s.ckpt.next, s.ckpt.meta, s.ckpt.at = pin, meta, time.Now()
	db := s.db
	go func() { s.ckpt.done <- db.Sync() }()
}

// finishCheckpoint records the synced state in the log and lets go of the
// previous one. A failed fdatasync of the file leaves the store unusable:
// which of its pages reached the disk is not known (PostgreSQL's lesson,
// 2018), and the log alone can no longer be trusted to complete it.
func (s *Store) finishCheckpoint(err error) (done bool) {
	next := s.ckpt.next
	s.ckpt.next = nil
	txid := uint64(next.ID())
	if err == nil && s.broken != nil {
		next.Rollback()
		return false
	}
	if err == nil {
		if werr := s.wal.append(recCheckpoint, txid, s.ckpt.meta); werr != nil {
			// Not written (a full disk): the previous checkpoint stands,
			// and the next one is tried after the next commit.
			next.Rollback()
			s.ckpt.unrecorded = werr
			return false
		}
		s.ckpt.unrecorded = nil
		err = s.wal.sync()
	}
	if err != nil {
		next.Rollback()
		s.broken = fmt.Errorf("checkpoint: %w", err)
		return false
	}
	s.ckpt.pin.Rollback()
	s.ckpt.pin = next
	s.wal.sinceCheckpoint = 0
	s.stats.checkpoints.Add(1)
	s.stats.syncs.Add(2)
	_ = s.wal.dropThrough(txid) // a segment not removed is read and skipped by recovery
	return true
}

// checkpointNow waits for the checkpoint under way, if any, then makes one
// of the current state.
func (s *Store) checkpointNow() error {
	if s.wal == nil || s.db == nil {
		return nil
	}
	if s.ckpt.next != nil {
		s.finishCheckpoint(<-s.ckpt.done)
	}
	if s.broken != nil {
		return s.broken
	}
	s.startCheckpoint()
	if s.ckpt.next == nil {
		return s.broken
	}
	if !s.finishCheckpoint(<-s.ckpt.done) {
		if s.broken != nil {
			return s.broken
		}
		return fmt.Errorf("checkpoint: the log could not record it: %w", s.ckpt.unrecorded)
	}
	return nil
}
