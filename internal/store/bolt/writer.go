package bolt

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
)

// Group commit.
//
// bbolt's own Batch closes a batch a fixed delay after its first caller,
// whether or not the writer is free: at 16 clients a commit carried fewer
// than two writes. Here one goroutine owns writing. Each time it is free it
// takes every write queued meanwhile (up to maxGroup) and commits them in
// one transaction, so the group grows with the load and an idle server
// waits for nothing.
//
// Retry is bbolt's: if a function fails, the transaction rolls back, that
// function is retried alone (its own error, or its own commit if it
// succeeds then), and the others are retried together without it.

// maxGroup bounds one transaction, so that the rollback and re-run that a
// failing function costs its group stay bounded too.
const maxGroup = 256

type write struct {
	fn   func(store.Tx) error
	done chan writeResult
}

type writeResult struct {
	err error
	// panicked is a panic of fn, raised again in the caller's goroutine,
	// where the server's recovery turns it into Internal.
	panicked any
}

// counters are what the writer has done since Open, for /metrics.
type counters struct {
	commits   atomic.Uint64 // transactions committed
	writes    atomic.Uint64 // Update calls committed
	rollbacks atomic.Uint64 // transactions rolled back because a function failed
	syncs     atomic.Uint64 // fdatasyncs of the file
	fileBytes atomic.Int64
	plans     atomic.Int64
	busy      atomic.Int64 // nanoseconds the writer spent committing
	// committing is the part of busy spent in bbolt's commit, after the
	// group's functions ran: splitting nodes, writing pages, fsyncs.
	committing atomic.Int64
	pages      atomic.Uint64
	// checkpoints and walBytes: the write-ahead log's checkpoints, and the
	// bytes appended to it.
	checkpoints atomic.Uint64
	walBytes    atomic.Int64
	// dbWrites is bbolt's own count of page writes of the open file, as
	// last read; the writer alone reads and writes it (a compaction opens
	// a new file, whose count starts again).
	dbWrites int64
}

// Stats reads the counters; safe for concurrent use.
func (s *Store) Stats() store.Stats {
	return store.Stats{
		Commits:   s.stats.commits.Load(),
		Writes:    s.stats.writes.Load(),
		Rollbacks: s.stats.rollbacks.Load(),
		Syncs:     s.stats.syncs.Load(),
		FileBytes: s.stats.fileBytes.Load(),
		Plans:     s.stats.plans.Load(),

		WriterBusy:   time.Duration(s.stats.busy.Load()),
		WriterCommit: time.Duration(s.stats.committing.Load()),
		PagesWritten: s.stats.pages.Load(),
		Checkpoints:  s.stats.checkpoints.Load(),
		WALBytes:     s.stats.walBytes.Load(),
	}
}

func (s *Store) writeLoop() {
	defer close(s.writerDone)
	group := make([]*write, 0, maxGroup)
	for {
		var checkpointed chan error // nil, never ready, unless a checkpoint is under way
		if s.ckpt.next != nil {
			checkpointed = s.ckpt.done
		}
		select {
		case w := <-s.writes:
			group = append(group[:0], w)
		case c := <-s.compacts:
			c.done <- s.compact(c)
			continue
		case fn := <-s.onWriter:
			fn()
			continue
		case err := <-checkpointed:
			// If the log could not record it, the next one is tried later.
			if s.finishCheckpoint(err) {
				s.keepFile()
			}
			// Also when the log could not record it: its open segment full
			// and deleted to free space, it never would (restartWAL).
			if s.wal != nil && s.broken == nil && unlinked(s.wal.f) {
				s.restartWAL()
			}
			continue
		case <-s.closed:
			// A last checkpoint, so that the next Open replays nothing,
			// then the free list. A file deleted since the last checkpoint
			// is written back first, or Close says what is lost.
			if s.wal != nil {
				s.keepFile()
			}
			if err := errors.Join(s.lost, s.stopWAL()); err != nil {
				// Close says so: the next Open replays the log.
				s.closeErr = fmt.Errorf("close the write-ahead log (the next start replays it): %w", err)
			} else {
				s.writeFreelist()
			}
			return
		}
		// Callers blocked in Update are waiting senders: take them all.
	drain:
		for len(group) < maxGroup {
			select {
			case w := <-s.writes:
				group = append(group, w)
			default:
				break drain
			}
		}
		s.commitGroup(group)
		clear(group)
		s.maybeCheckpoint()
	}
}

// commitGroup commits group, retrying as bbolt's Batch does, and answers
// every caller.
func (s *Store) commitGroup(group []*write) {
	start := time.Now()
	defer func() { s.stats.busy.Add(int64(time.Since(start))) }()
	var alone []*write
	for len(group) > 0 {
		failed, res := s.commit(group)
		if failed >= 0 && len(group) > 1 {
			alone = append(alone, group[failed])
			group = slices.Delete(slices.Clone(group), failed, failed+1)
			continue
		}
		for _, w := range group {
			w.done <- res
		}
		break
	}
	for _, w := range alone {
		_, res := s.commit([]*write{w})
		w.done <- res
	}
}

// errNothingChanged rolls back a group that wrote nothing, with the log on.
var errNothingChanged = errors.New("nothing changed")

// commit runs group's functions in one transaction. It returns the index
// of the function that failed (-1 if none) and the result for the group:
// that function's error or panic, or the commit's error.
func (s *Store) commit(group []*write) (failed int, res writeResult) {
	failed = -1
	if s.db == nil {
		return -1, writeResult{err: store.ErrUnusable}
	}
	if s.broken != nil {
		return -1, writeResult{err: errors.Join(store.ErrUnusable, s.broken)}
	}
	if s.lost != nil {
		return -1, writeResult{err: s.lost}
	}
	if s.wal != nil && s.stats.fileBytes.Load() > int64(s.mmap)/4*3 {
		// Near the end of the mapping bbolt would remap, which waits for
		// the checkpoint's pin: commit the direct way from here on.
		if err := s.stopWAL(); err != nil {
			s.broken = err
			return -1, writeResult{err: errors.Join(store.ErrUnusable, err)}
		}
	}
	head := s.head
	t := &txn{head: &head, preseal: s.preseal}
	var ran time.Time // when the functions were done and bbolt's commit began
	logged := false   // the group's record is in the log, synced
	var txid uint64
	err := s.db.Update(func(tx *bbolt.Tx) error {
		t.tx = tx
		if s.wal != nil {
			s.ops.reset()
			t.ops = &s.ops
		}
		for i, w := range group {
			if r := call(w.fn, t); r.err != nil || r.panicked != nil {
				failed, res = i, r
				if r.err == nil {
					return fmt.Errorf("panic: %v", r.panicked)
				}
				return r.err
			}
		}
		ran = time.Now() // the log's append and sync count as the commit's
		if s.wal == nil {
			return nil
		}
		if s.ops.n == 0 {
			// Nothing changed (the health probe's empty write): rolled
			// back, not committed. An empty commit would take a txid the
			// log never holds, and leave the file's two meta pages naming
			// one state, as a copy's do; recovery refuses both
			// (restoreMeta; a read-only review, 2026-12-04). But it
			// fails while the log cannot take a record (wal.ready).
			if err := s.wal.ready(); err != nil {
				return fmt.Errorf("write-ahead log: %w", err)
			}
			return errNothingChanged
		}
		// Durable before bbolt commits, so that no reader sees what a
		// crash could take back. A write that fails (a full disk) fails
		// the group, which callers may retry; a sync that fails leaves
		// the log's state unknown.
		txid = uint64(tx.ID())
		if err := s.wal.append(recGroup, txid, s.ops.buf); err != nil {
			return fmt.Errorf("write-ahead log: %w", err)
		}
		if err := s.wal.sync(); err != nil {
			s.broken = fmt.Errorf("write-ahead log: %w", err)
			return err
		}
		logged = true
		return nil
	})
	if failed >= 0 {
		s.stats.rollbacks.Add(1)
		return failed, res
	}
	if errors.Is(err, errNothingChanged) {
		return -1, writeResult{}
	}
	if err != nil {
		if logged {
			// The log has the group and the file does not: the log must
			// say so before anything else is written, or a restart
			// would replay it.
			aerr := s.wal.append(recAbort, txid, nil)
			if aerr == nil {
				aerr = s.wal.sync()
			}
			if aerr != nil {
				s.broken = fmt.Errorf("commit after the write-ahead log: %w; and recording its abort: %w", err, aerr)
			}
		}
		// The commit itself failed (disk full, I/O error): nothing was
		// written, and the head stays as it was.
		return -1, writeResult{err: err}
	}
	s.preseal.tookBlocks(t.presealTaken)
	s.preseal.headMoved(s.head.seq, head.seq)
	s.head, s.plans = head, s.plans+t.plans
	s.stats.committing.Add(int64(time.Since(ran)))
	s.stats.commits.Add(1)
	s.stats.writes.Add(uint64(len(group)))
	switch {
	case logged:
		s.stats.syncs.Add(1) // the log's; bbolt's commit does not sync
	case s.wal == nil && !s.opts.NoSync:
		// bbolt syncs twice per commit: the dirty pages, then the meta
		// page that makes them current.
		s.stats.syncs.Add(2)
	}
	if n := fileSize(s.db); n != s.stats.fileBytes.Load() {
		if s.wal == nil && !s.opts.NoSync {
			s.stats.syncs.Add(1) // a file that grows is synced once more
		}
		s.stats.fileBytes.Store(n)
	}
	s.stats.plans.Store(s.plans)
	st := s.db.Stats()
	n := st.TxStats.GetWrite()
	if n < s.stats.dbWrites {
		s.stats.dbWrites = 0
	}
	s.stats.pages.Add(uint64(n - s.stats.dbWrites))
	s.stats.dbWrites = n
	return -1, writeResult{}
}

func call(fn func(store.Tx) error, t *txn) (r writeResult) {
	defer func() {
		if p := recover(); p != nil {
			r = writeResult{panicked: p}
		}
	}()
	return writeResult{err: fn(t)}
}

func fileSize(db *bbolt.DB) int64 {
	fi, err := os.Stat(db.Path())
	if err != nil {
		return 0
	}
	return fi.Size()
}
