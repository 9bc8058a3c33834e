// Package bolt is the embedded store: one bbolt file, no other service.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/durable"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Buckets. Index buckets hold composite keys "<owner>\x00<id>" with empty
// values, so a prefix scan lists one owner's records in id order.
var (
	bAgencies     = []byte("agencies")
	bOfficers     = []byte("officers")
	bOfficersByAg = []byte("officers_by_agency")
	bEnterprises  = []byte("enterprises")
	bItems        = []byte("check_items")
	bItemsByAg    = []byte("check_items_by_agency")
	bInspections  = []byte("inspections")
	bInspByEnt    = []byte("inspections_by_enterprise")
	bCodes        = []byte("codes")
	bRequests     = []byte("requests")
	bCheckIns     = []byte("check_ins")
	bTokens       = []byte("access_tokens")
	bKeys         = []byte("signing_keys")
	bEvents       = []byte("events")
	bJoints       = []byte("joint_inspections")
	bJointOf      = []byte("joint_of")
	bCounts       = []byte("counts")
	bTokenIDs     = []byte("access_token_ids")
	bEvaluations  = []byte("evaluations")
	bEvalByAgency = []byte("evaluations_by_agency")
	bLeads        = []byte("leads")
	bTokensBySubj = []byte("access_tokens_by_subject")
	bTree         = []byte("tree_nodes")
	bCheckpoints  = []byte("checkpoints")
	bEventsByEnt  = []byte("events_by_enterprise")
	bEntCodes     = []byte("door_enterprise_codes")
	bArrivals     = []byte("door_arrivals")
	// bCheckInsByOff keys officer\x00<8-byte big-endian unix nanoseconds>
	// \x00<token id> with empty values: an officer's check-ins by time.
	bCheckInsByOff  = []byte("door_check_ins_by_officer")
	bDraws          = []byte("random_draws")
	bAccompaniments = []byte("accompaniments_by_inspection")
	bPlans          = []byte("inspection_plans")
	bPlansByAg      = []byte("inspection_plans_by_agency")
	bMatchCoverage  = []byte("matching_coverages")
	bMatchProposals = []byte("matching_proposals")
	bMatchByAgency  = []byte("matching_proposals_by_agency")
	allBuckets      = [][]byte{bEntCodes, bArrivals, bCheckInsByOff, bAgencies, bOfficers, bOfficersByAg, bEnterprises, bItems, bItemsByAg, bInspections, bInspByEnt, bCodes, bRequests, bCheckIns, bTokens, bKeys, bEvents, bJoints, bJointOf, bCounts, bTokenIDs, bEvaluations, bEvalByAgency, bLeads, bTokensBySubj, bTree, bCheckpoints, bEventsByEnt, bDraws, bAccompaniments, bPlans, bPlansByAg, bMatchCoverage, bMatchProposals, bMatchByAgency}
	errLockedByPeer = errors.New("another process holds the database file")
	errClosed       = errors.New("store closed")
)

// Options tune the bbolt file.
type Options struct {
	// LockTimeout bounds the wait for the file lock held by another process.
	LockTimeout time.Duration
	// NoSync skips fsync. Only for benchmarks that want to see the cost of it.
	NoSync bool
	// NoWAL commits the direct way, each commit synced by bbolt (its pages,
	// then its meta page), without the write-ahead log (wal.go). A log left
	// by an earlier run is still recovered.
	NoWAL bool
	// Logger says how a long upgrade of the file goes; nil is slog's
	// default logger.
	Logger *slog.Logger
}

func (o Options) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// DefaultOptions are the server's defaults.
func DefaultOptions() Options {
	return Options{LockTimeout: 2 * time.Second}
}

// Store is the bbolt implementation of store.Store.
//
// Every write goes through one writer goroutine (see writer.go), which
// commits all the writes queued while it was busy in one transaction and
// one fsync, and keeps the event log's head and the number of plans in
// memory.
type Store struct {
	path string
	opts Options

	// dbMu guards db against the swap at the end of a compaction: readers
	// hold it shared; the writer goroutine, the only one that swaps, takes
	// it exclusively for the swap.
	dbMu sync.RWMutex
	db   *bbolt.DB
	// maint is held by a compaction or a backup: one at a time, since a
	// compaction's swap waits for a backup's read transaction, and every
	// read waits behind the swap.
	maint sync.Mutex

	writes   chan *write
	compacts chan *compaction
	// onWriter runs a function on the writer goroutine, between groups:
	// for tests that drive the writer's own steps (a checkpoint).
	onWriter   chan func()
	closed     chan struct{}
	writerDone chan struct{}
	closeOnce  sync.Once

	// Owned by the writer goroutine: the committed head of the event log
	// and the number of inspections (plans) committed.
	head  chainHead
	plans int64

	// Owned by the writer goroutine: the write-ahead log (nil in the direct
	// mode), the group's changes being logged, the checkpoints, and what
	// broke the store if a log write or sync failed: then the log and the
	// file may disagree until a restart recovers, so every later write is
	// refused.
	wal    *wal
	ops    walOps
	ckpt   checkpoints
	mmap   int
	broken error
	// recovered is the number of logged transactions Open replayed.
	recovered int
	// closeErr is why the writer could not end the log cleanly (its last
	// checkpoint not recorded), for Close.
	closeErr error
	// lost is set while the file open is not the one at its path (deleted
	// and not yet written back, or replaced): commits are refused, since
	// the next start would not find them (keepFile).
	lost error
	// lock is held from before recovery until Close (lockFile).
	lock *os.File

	stats counters
	// preseal makes sealed blocks ahead of the writer (preseal.go).
	preseal *presealer
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the database file at path.
func Open(path string, o Options) (*Store, error) {
	lock, err := lockFile(path+".lock", o.LockTimeout)
	if errors.Is(err, errLockedByPeer) {
		return nil, fmt.Errorf("open %s: %w (waited %s; is another ruqi server running on this data directory?)", path, errLockedByPeer, o.LockTimeout)
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	// A compaction a crash interrupted leaves its copy, as large as the
	// file, until the next compaction: removed here, under the lock. The
	// file at path is whole either way (the swap is a rename). Found by the
	// kill -9 test on a loaded machine, where the kill came before the swap.
	if err := os.Remove(path + ".compact"); err == nil {
		o.logger().Info("store: removed the copy an interrupted compaction left", "file", path+".compact")
	} else if !errors.Is(err, fs.ErrNotExist) {
		o.logger().Warn("store: could not remove the copy an interrupted compaction left", "file", path+".compact", "err", err)
	}
	s, err := openRecovering(path, o)
	if err != nil {
		lock.Close()
		return nil, err
	}
	s.lock = lock
	return s, nil
}

// openRecovering is open, with bbolt's panics on a damaged page (its
// assertions: "Page expected to be …") made an error that names the file
// and says what to do, as the server prints it and exits; it panicked with
// a Go stack trace (a trial of the operator's year, 2026-12-06).
func openRecovering(path string, o Options) (s *Store, err error) {
	defer func() {
		if p := recover(); p != nil {
			s, err = nil, fmt.Errorf("open %s: the file is damaged (%v); it was left as it is: restore the latest backup (README, \"Backup and restore\") and keep this file for inspection", path, p)
		}
	}()
	return open(path, o)
}

// lockFile takes an exclusive lock on path (durable.Lock), waiting up to
// timeout. Recovery writes to the database file before bbolt locks it, so
// a second server started on the same data directory must stop at this
// lock, not after.
func lockFile(path string, timeout time.Duration) (*os.File, error) {
	deadline := time.Now().Add(timeout)
	for {
		f, err := durable.Lock(path)
		if !errors.Is(err, durable.ErrLocked) {
			return f, err
		}
		if time.Now().After(deadline) {
			return nil, errLockedByPeer
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func open(path string, o Options) (*Store, error) {
	if err := checkNotLost(path); err != nil {
		return nil, err
	}
	replay, err := recoverWAL(path)
	if err != nil {
		return nil, err
	}
	if err := checkNotCut(path); err != nil {
		return nil, err
	}
	useWAL := !o.NoWAL && !o.NoSync
	mmap := 0
	if useWAL {
		mmap = walMmap(path)
	}
	db, err := openDB(path, o, mmap)
	if err != nil {
		return nil, err
	}
	if err := replayWAL(db, replay.groups); err != nil {
		db.Close()
		return nil, err
	}
	// The replay is synced: the old log must be gone, durably, before the
	// next write here reuses the pages of its checkpoint's state, or a
	// crash would have recovery put that state back under the new ones.
	if len(replay.segs) > 0 {
		err := os.RemoveAll(walDir(path))
		if err == nil {
			err = durable.SyncDir(filepath.Dir(path))
		}
		if err != nil {
			db.Close()
			// Also after a clean stop, when nothing was replayed: said as
			// recovered, with a data directory the user may not write, it
			// read as a crash (an operator's trial, 2026-12-07).
			if errors.Is(err, fs.ErrPermission) {
				return nil, fmt.Errorf("remove the write-ahead log of the last run: %w (the server's user must be able to write the data directory)", err)
			}
			return nil, fmt.Errorf("remove the write-ahead log of the last run: %w", err)
		}
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range append(allBuckets, bRecordFormat) {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return checkFileFormat(tx.Bucket(bRecordFormat))
	})
	if err == nil {
		err = migrateLean(db, o.logger())
	}
	if err == nil {
		err = alignBlocks(db)
	}
	if err == nil {
		err = sealIntegrated(db, o.logger())
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("init %s: %w", path, err)
	}
	s := &Store{path: path, opts: o, db: db, mmap: mmap,
		writes: make(chan *write), compacts: make(chan *compaction), onWriter: make(chan func()),
		closed: make(chan struct{}), writerDone: make(chan struct{}), preseal: newPresealer()}
	err = db.View(func(tx *bbolt.Tx) error {
		var err error
		s.head.seq, s.head.hash, err = readHead(tx)
		// KeyN walks the bucket once; from then on the writer counts.
		s.plans = int64(tx.Bucket(bInspections).Stats().KeyN)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	s.recovered = len(replay.groups)
	if useWAL {
		// Numbered after the old log's segments, so that one brought
		// back by a crash sorts before the new start.
		err = s.startWAL(replay.segs)
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	s.stats.fileBytes.Store(fileSize(db))
	s.stats.plans.Store(s.plans)
	go s.writeLoop()
	go s.presealLoop()
	return s, nil
}

// checkNotLost refuses a file that is missing or empty while its
// write-ahead log holds records: bbolt takes such a file for a new store,
// and the server started empty and healthy, every record gone (an
// operator's trial, 2026-12-06). A new data directory has no log; one
// whose store is to be started anew on purpose has its log moved away with
// the file (README, "Backup and restore").
func checkNotLost(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.Size() > 0:
		return nil
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return err
	}
	dir := walDir(path)
	ns, err := segmentsIn(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	for _, n := range ns {
		f, err := os.Open(segmentPath(dir, n))
		if err != nil {
			return err
		}
		var head [4]byte
		_, rerr := io.ReadFull(f, head[:])
		f.Close()
		if rerr == nil && head != [4]byte{} { // a record's length: the segment was written to
			what := "missing"
			if fi != nil {
				what = "empty"
			}
			return fmt.Errorf("%s is %s, but its write-ahead log %s holds records of it: the file was lost or cut (a copy that did not finish?), and opening it would start a new, empty store; "+
				"restore the latest backup (README, \"Backup and restore\"); to start a new store on purpose, move %s away too", path, what, dir, dir)
		}
	}
	return nil
}

// checkNotCut refuses a file shorter than the pages its current meta page
// names (the valid one with the higher transaction, which bbolt opens):
// bbolt maps the file and read past its end, and the process died of
// SIGBUS with a Go stack trace (an operator's trial, 2026-12-06). It runs
// after recovery, which has put the checkpoint's meta page back if a crash
// left a later one (whose growth of the file may not have reached the
// disk); a file opened as it is was synced by its last commit. A file
// whose meta pages are both invalid is left to bbolt, which refuses it.
func checkNotCut(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a new store
		}
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	// Slot 1 is a page after slot 0, whose page size it says; if slot 0
	// is damaged, bbolt assumes the system's page size, as here.
	pageSize := int64(os.Getpagesize())
	var high, txid uint64
	found := false
	for slot := range 2 {
		page := make([]byte, metaOffChecksum+8)
		if _, err := f.ReadAt(page, int64(slot)*pageSize); err != nil || !validMeta(page) {
			continue
		}
		if slot == 0 {
			pageSize = int64(binary.LittleEndian.Uint32(page[metaOffPgSize:]))
		}
		if t := binary.LittleEndian.Uint64(page[metaOffTxid:]); !found || t > txid {
			txid, high = t, binary.LittleEndian.Uint64(page[metaOffHighPg:])
		}
		found = true
	}
	if !found {
		return nil
	}
	if need := int64(high) * pageSize; fi.Size() < need {
		return fmt.Errorf("open %s: the file is cut short: %d bytes, where its state (transaction %d) uses %d pages of %d bytes (%d bytes; a copy that did not finish?); it was left as it is: restore the latest backup (README, \"Backup and restore\") and keep this file for inspection",
			path, fi.Size(), txid, high, pageSize, need)
	}
	return nil
}

// openDB opens the file; mmap, when not zero, is the mapping to reserve
// (walMmap).
func openDB(path string, o Options, mmap int) (*bbolt.DB, error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout:         o.LockTimeout,
		FreelistType:    bbolt.FreelistMapType,
		NoSync:          o.NoSync,
		InitialMmapSize: mmap,
		// With the log on, no free list is written per commit: between
		// checkpoints every page freed is pending (the checkpoint pins the
		// state that uses it), and bbolt writes free and pending pages
		// alike, a list that grows all the way to the next checkpoint
		// (10% of the server's CPU in the province-year). bbolt rebuilds
		// the list when it opens the file, as etcd has it do.
		NoFreelistSync: mmap != 0,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (waited %s; is another ruqi server running on this data directory?)", path, errLockedByPeer, o.LockTimeout)
	}
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
		// os names the file already: "open x: open x: permission denied"
		// (an operator's trial, 2026-12-07).
		if errors.Is(err, fs.ErrPermission) {
			return nil, fmt.Errorf("%w (the server's user must be able to read and write the data directory and its files)", err)
		}
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.AllocSize = growBy
	return db, nil
}

// growBy is how far beyond what a commit needs the file grows when it must
// (bbolt's default is 16 MiB: 178 bytes per plan of a 100,000-plan file,
// more than the index of events by enterprise). Each growth costs a
// truncate and an fsync; at 1 MiB a simulation writing 0.2 MB/s grows the
// file every 5 s, beside about 80 commit fsyncs a second.
const growBy = 1 << 20

// Close finishes the writes already taken by the writer, refuses later
// ones, and closes the file.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	<-s.writerDone
	<-s.preseal.done
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	defer func() {
		if s.lock != nil {
			s.lock.Close()
			s.lock = nil
		}
	}()
	if s.db == nil {
		// A compaction's reopen failed: nothing open to close, but why
		// the log did not end cleanly is still said (a review).
		err := s.closeErr
		s.closeErr = nil
		return err
	}
	err := errors.Join(s.closeErr, s.db.Close())
	s.db, s.closeErr = nil, nil
	return err
}

// Recovered is the number of transactions Open replayed from the
// write-ahead log: not zero after a crash that bbolt's file alone would
// not have survived.
func (s *Store) Recovered() int { return s.recovered }

// Path is the file's path, as opened.
func (s *Store) Path() string { return s.path }

// WaitSequenced returns at once: bbolt sequences events at commit.
func (s *Store) WaitSequenced(ctx context.Context) error { return ctx.Err() }

// Watch has nothing to report: the file is locked by this process, whose
// own writes the cache sees as it makes them.
func (s *Store) Watch(ctx context.Context, ready func(), _ func(store.Change)) error {
	ready()
	<-ctx.Done()
	return nil
}

// View runs fn in a read-only transaction.
func (s *Store) View(ctx context.Context, fn func(store.Reader) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.view(func(tx *bbolt.Tx) error { return fn(&txn{tx: tx}) })
}

// view runs fn in a read transaction of the file open now, which a
// compaction's swap waits for.
func (s *Store) view(fn func(*bbolt.Tx) error) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.db == nil {
		select {
		case <-s.closed:
			return errClosed
		default:
			return store.ErrUnusable
		}
	}
	return s.db.View(fn)
}

// Update hands fn to the writer goroutine, which runs it in a transaction
// shared with every other write queued meanwhile, so that they pay for one
// commit and its fsync. A context that ends while fn waits for the writer
// withdraws it; once taken, fn runs to its end.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	w := &write{fn: fn, done: make(chan writeResult, 1)}
	select {
	case s.writes <- w:
	case <-s.closed:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	r := <-w.done
	if r.panicked != nil {
		panic(r.panicked)
	}
	return r.err
}

// chainHead is the event log's last seq and hash (0, nil when empty).
type chainHead struct {
	seq  uint64
	hash []byte
}

// txn is a transaction. In a write, head and plans are what this
// transaction has made of the writer's committed ones; the writer keeps
// them only if it commits. In a read, head is nil and Head reads the file.
type txn struct {
	tx    *bbolt.Tx
	head  *chainHead
	plans int64
	// ops, in a write with the log on, records the changes for the log.
	ops *walOps
	// preseal, in a write, has the sealed blocks made ahead (preseal.go);
	// presealTaken counts those this write sealed with.
	preseal      *presealer
	presealTaken int
}

func key(parts ...string) []byte {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	b := make([]byte, 0, n)
	for i, p := range parts {
		if i > 0 {
			b = append(b, 0)
		}
		b = append(b, p...)
	}
	return b
}

func getProto(b *bbolt.Bucket, k []byte, m proto.Message) error {
	v := b.Get(k)
	if v == nil {
		return store.ErrNotFound
	}
	return proto.Unmarshal(v, m)
}

func putProto(b bucketW, k []byte, m proto.Message) error {
	v, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return err
	}
	return b.Put(k, v)
}

func getJSON(b *bbolt.Bucket, k []byte, v any) error {
	raw := b.Get(k)
	if raw == nil {
		return store.ErrNotFound
	}
	return json.Unmarshal(raw, v)
}

func putJSON(b bucketW, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(k, raw)
}

// listByPrefix loads a page of the protobuf records named by the index
// entries "<owner>\x00<id>".
func listByPrefix[T proto.Message](t *txn, index, records []byte, owner string, p store.Page, mk func() T) ([]T, error) {
	return listIndexed(t, index, owner, p, func(id []byte) (T, error) {
		m := mk()
		return m, getProto(t.tx.Bucket(records), id, m)
	})
}

// listIndexed loads a page of the records named by the index entries
// "<owner>\x00<id>", each read by get.
func listIndexed[T any](t *txn, index []byte, owner string, p store.Page, get func(id []byte) (T, error)) ([]T, error) {
	prefix := key(owner, "")
	var out []T
	c := t.tx.Bucket(index).Cursor()
	for k, _ := c.Seek(key(owner, p.After)); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		if p.Limit > 0 && len(out) == p.Limit {
			break
		}
		if p.After != "" && string(k[len(prefix):]) == p.After {
			continue
		}
		m, err := get(k[len(prefix):])
		if err != nil {
			return nil, fmt.Errorf("index %s names missing %q: %w", index, k[len(prefix):], err)
		}
		out = append(out, m)
	}
	return out, nil
}

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }

func (t *txn) Agency(id string) (*ruqiv1.Agency, error) {
	m := &ruqiv1.Agency{}
	return m, getProto(t.tx.Bucket(bAgencies), []byte(id), m)
}

func (t *txn) Officer(id string) (*ruqiv1.Officer, error) {
	m := &ruqiv1.Officer{}
	return m, getProto(t.tx.Bucket(bOfficers), []byte(id), m)
}

func (t *txn) Enterprise(uscc string) (*ruqiv1.Enterprise, error) {
	m := &ruqiv1.Enterprise{}
	return m, getProto(t.tx.Bucket(bEnterprises), []byte(uscc), m)
}

func (t *txn) Enterprises(p store.Page) ([]*ruqiv1.Enterprise, error) {
	return listAll(t.tx.Bucket(bEnterprises), p, func() *ruqiv1.Enterprise { return &ruqiv1.Enterprise{} })
}

func (t *txn) UnknownEnterprises(usccs []string) ([]string, error) {
	b := t.tx.Bucket(bEnterprises)
	var unknown []string
	for _, u := range usccs {
		if b.Get([]byte(u)) == nil {
			unknown = append(unknown, u)
		}
	}
	return unknown, nil
}

func (t *txn) EnterprisesOf(usccs []string) ([]*ruqiv1.Enterprise, error) {
	var out []*ruqiv1.Enterprise
	for _, u := range usccs {
		e, err := t.Enterprise(u)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// heldOf reads the records of keys that are there, by key: bbolt answers
// the batch reads (InspectionsOf, EvaluationsOf) from memory a key at a
// time.
func heldOf[T any](keys []string, get func(string) (T, error)) (map[string]T, error) {
	out := map[string]T{}
	for _, k := range keys {
		m, err := get(k)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[k] = m
	}
	return out, nil
}

func (t *txn) CheckItem(id string) (*ruqiv1.CheckItem, error) {
	m := &ruqiv1.CheckItem{}
	return m, getProto(t.tx.Bucket(bItems), []byte(id), m)
}

func (t *txn) CheckItems(agencyID string) ([]*ruqiv1.CheckItem, error) {
	return listByPrefix(t, bItemsByAg, bItems, agencyID, store.Page{}, func() *ruqiv1.CheckItem { return &ruqiv1.CheckItem{} })
}

func (t *txn) Officers(agencyID string) ([]*ruqiv1.Officer, error) {
	return listByPrefix(t, bOfficersByAg, bOfficers, agencyID, store.Page{}, func() *ruqiv1.Officer { return &ruqiv1.Officer{} })
}

func (t *txn) Inspection(id string) (*ruqiv1.Inspection, error) {
	v := t.tx.Bucket(bInspections).Get([]byte(id))
	if v == nil {
		return &ruqiv1.Inspection{}, store.ErrNotFound
	}
	return store.DecodeInspection(id, v)
}

func (t *txn) InspectionsOf(ids []string) (map[string]*ruqiv1.Inspection, error) {
	return heldOf(ids, t.Inspection)
}

func (t *txn) InspectionsOfEnterprise(uscc string, p store.Page) ([]*ruqiv1.Inspection, error) {
	return listIndexed(t, bInspByEnt, uscc, p, func(id []byte) (*ruqiv1.Inspection, error) { return t.Inspection(string(id)) })
}

func (t *txn) Codes(inspectionID string) ([]*ruqiv1.InspectionCode, error) {
	prefix := key(inspectionID, "")
	var out []*ruqiv1.InspectionCode
	c := t.tx.Bucket(bCodes).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		m, err := store.DecodeCode(v)
		if err != nil {
			return nil, fmt.Errorf("code %q: %w", k, err)
		}
		out = append(out, m)
	}
	return out, nil
}

func (t *txn) InspectionForRequest(requestID string) (string, error) {
	v := t.tx.Bucket(bRequests).Get([]byte(requestID))
	if v == nil {
		return "", store.ErrNotFound
	}
	return string(v), nil
}

func (t *txn) CheckIn(tokenID []byte) (*store.CheckIn, error) {
	v := t.tx.Bucket(bCheckIns).Get(tokenID)
	if v == nil {
		return nil, store.ErrNotFound
	}
	return store.DecodeCheckIn(tokenID, v)
}

func (t *txn) AccessToken(hash []byte) (*store.AccessToken, error) {
	v := t.tx.Bucket(bTokens).Get(hash)
	if v == nil {
		return nil, store.ErrNotFound
	}
	return store.DecodeAccessToken(hash, v)
}

func (t *txn) SigningKeys() ([]store.SigningKey, error) {
	var out []store.SigningKey
	err := t.tx.Bucket(bKeys).ForEach(func(_, v []byte) error {
		var k store.SigningKey
		if err := json.Unmarshal(v, &k); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	return out, err
}

func seqKey(seq uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seq)
	return b[:]
}

// Events re-reads each event's prev_hash from its predecessor's stored hash
// (lean events do not repeat it), and reads sealed blocks (events.go).
func (t *txn) Events(afterSeq uint64, fn func(*ruqiv1.Event) error) error {
	return walkEvents(t.tx.Bucket(bEvents), afterSeq, fn)
}

func (t *txn) Head() (uint64, []byte, error) {
	if t.head != nil {
		return t.head.seq, t.head.hash, nil
	}
	return readHead(t.tx)
}

func readHead(tx *bbolt.Tx) (uint64, []byte, error) {
	return headOf(tx.Bucket(bEvents))
}

func (t *txn) PutAgency(a *ruqiv1.Agency) error {
	return putProto(t.bucket(bAgencies), []byte(a.GetId()), a)
}

func (t *txn) PutOfficer(o *ruqiv1.Officer) error {
	if old, err := t.Officer(o.GetId()); err == nil && old.GetAgencyId() != o.GetAgencyId() {
		if err := t.bucket(bOfficersByAg).Delete(key(old.GetAgencyId(), old.GetId())); err != nil {
			return err
		}
	}
	if err := t.bucket(bOfficersByAg).Put(key(o.GetAgencyId(), o.GetId()), nil); err != nil {
		return err
	}
	return putProto(t.bucket(bOfficers), []byte(o.GetId()), o)
}

func (t *txn) PutEnterprise(e *ruqiv1.Enterprise) error {
	return putProto(t.bucket(bEnterprises), []byte(e.GetUscc()), e)
}

func (t *txn) PutCheckItem(ci *ruqiv1.CheckItem) error {
	if old, err := t.CheckItem(ci.GetId()); err == nil && old.GetAgencyId() != ci.GetAgencyId() {
		if err := t.bucket(bItemsByAg).Delete(key(old.GetAgencyId(), old.GetId())); err != nil {
			return err
		}
	}
	if err := t.bucket(bItemsByAg).Put(key(ci.GetAgencyId(), ci.GetId()), nil); err != nil {
		return err
	}
	return putProto(t.bucket(bItems), []byte(ci.GetId()), ci)
}

func (t *txn) PutInspection(in *ruqiv1.Inspection) error {
	if err := t.bucket(bInspByEnt).Put(key(in.GetEnterpriseUscc(), in.GetId()), nil); err != nil {
		return err
	}
	b := t.bucket(bInspections)
	isNew := b.Get([]byte(in.GetId())) == nil
	v, err := store.EncodeInspection(in.GetId(), in)
	if err != nil {
		return err
	}
	if err := b.Put([]byte(in.GetId()), v); err != nil {
		return err
	}
	if isNew {
		t.plans++
	}
	return nil
}

func (t *txn) PutCode(c *ruqiv1.InspectionCode) error {
	v, err := store.EncodeCode(c) // without the QR image: drawn on demand
	if err != nil {
		return err
	}
	return t.bucket(bCodes).Put(key(c.GetInspectionId(), c.GetOfficerId()), v)
}

func (t *txn) PutRequest(requestID, inspectionID string) error {
	return t.bucket(bRequests).Put([]byte(requestID), []byte(inspectionID))
}

func (t *txn) PutCheckIn(c *store.CheckIn) error {
	if c.OfficerID != "" && !c.At.IsZero() {
		if err := t.bucket(bCheckInsByOff).Put(officerCheckInKey(c.OfficerID, c.At, c.TokenID), nil); err != nil {
			return err
		}
	}
	v, err := store.EncodeCheckIn(c)
	if err != nil {
		return err
	}
	return t.bucket(bCheckIns).Put(c.TokenID, v)
}

func officerCheckInKey(officerID string, at time.Time, tokenID []byte) []byte {
	k := append([]byte(officerID), 0)
	k = binary.BigEndian.AppendUint64(k, uint64(at.UnixNano()))
	if tokenID != nil {
		k = append(append(k, 0), tokenID...)
	}
	return k
}

func (t *txn) CheckInsOfOfficer(officerID string, from, to time.Time, fn func(*store.CheckIn) error) error {
	prefix := append([]byte(officerID), 0)
	end := officerCheckInKey(officerID, to, nil)
	c := t.tx.Bucket(bCheckInsByOff).Cursor()
	for k, _ := c.Seek(officerCheckInKey(officerID, from, nil)); k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, end) < 0; k, _ = c.Next() {
		ci, err := t.CheckIn(k[len(prefix)+9:])
		if err == nil {
			err = fn(ci)
		}
		if errors.Is(err, store.ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) PutAccessToken(a *store.AccessToken) error {
	ids := t.bucket(bTokenIDs)
	// An id names one token, as PostgreSQL's UNIQUE holds it: written over,
	// the id of a token would name another (48 bits of the hash, among
	// millions of tokens), and revoking the first by its id revoked the
	// second.
	if had := ids.Get([]byte(a.ID)); had != nil && !bytes.Equal(had, a.Hash) {
		return fmt.Errorf("access token id %s names another token already", a.ID)
	}
	if err := ids.Put([]byte(a.ID), a.Hash); err != nil {
		return err
	}
	if err := t.bucket(bTokensBySubj).Put(key(strconv.Itoa(int(a.Role)), a.Subject, a.ID), nil); err != nil {
		return err
	}
	v, err := store.EncodeAccessToken(a.Hash, a)
	if err != nil {
		return err
	}
	return t.bucket(bTokens).Put(a.Hash, v)
}

func (t *txn) DeleteAccessToken(hash []byte) error {
	a, err := t.AccessToken(hash)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	// The id's entry goes only if it names this token: a file written
	// before ids were held to one token may have it name another.
	if ids := t.bucket(bTokenIDs); bytes.Equal(ids.Get([]byte(a.ID)), hash) {
		if err := ids.Delete([]byte(a.ID)); err != nil {
			return err
		}
	}
	if err := t.bucket(bTokensBySubj).Delete(key(strconv.Itoa(int(a.Role)), a.Subject, a.ID)); err != nil {
		return err
	}
	return t.bucket(bTokens).Delete(hash)
}

func (t *txn) PutSigningKey(k store.SigningKey) error {
	return putJSON(t.bucket(bKeys), []byte(k.ID), k)
}

func (t *txn) AppendEvent(e *ruqiv1.Event) error {
	seq, prev, err := t.Head()
	if err != nil {
		return err
	}
	e.Seq = seq + 1
	e.PrevHash = prev
	store.Chain(prev, e)
	b := t.bucket(bEvents)
	// Keys only grow: full pages stay full, where the default 0.5 would
	// leave every page of the log half empty.
	b.fill()
	v, err := store.EncodeEvent(e, prev)
	if err != nil {
		return err
	}
	if err := b.Put(seqKey(e.Seq), v); err != nil {
		return err
	}
	if t.head != nil {
		t.head.seq, t.head.hash = e.Seq, bytes.Clone(e.Hash)
	}
	return nil
}

func (t *txn) JointInspection(id string) (*ruqiv1.JointInspection, error) {
	m := &ruqiv1.JointInspection{}
	return m, getProto(t.tx.Bucket(bJoints), []byte(id), m)
}

func (t *txn) PutJointInspection(j *ruqiv1.JointInspection) error {
	return putProto(t.bucket(bJoints), []byte(j.GetId()), j)
}

// joint_of values are an 8-byte big-endian version followed by the joint id.
func (t *txn) JointOf(inspectionID string) (string, int64, error) {
	v := t.tx.Bucket(bJointOf).Get([]byte(inspectionID))
	if len(v) < 8 {
		return "", 0, store.ErrNotFound
	}
	return string(v[8:]), int64(binary.BigEndian.Uint64(v[:8])), nil
}

func (t *txn) PutJointOf(inspectionID, joint string, version int64) error {
	v := append(seqKey(uint64(version)), joint...)
	return t.bucket(bJointOf).Put([]byte(inspectionID), v)
}

// A counter's value is a zigzag varint, one or two bytes for most; files
// written before kept 8 bytes big-endian, which a varint of 8 bytes (values
// from 2^48 on) is written as too, so the length tells them apart.
func encodeCount(n int64) []byte {
	if b := binary.AppendVarint(nil, n); len(b) != 8 {
		return b
	}
	return seqKey(uint64(n))
}

func decodeCount(v []byte) (int64, bool) {
	if len(v) == 8 {
		return int64(binary.BigEndian.Uint64(v)), true
	}
	n, k := binary.Varint(v)
	return n, k > 0 && k == len(v)
}

func (t *txn) Count(key string) (int64, error) {
	n, _ := decodeCount(t.tx.Bucket(bCounts).Get([]byte(key)))
	return n, nil
}

func (t *txn) Counts(prefix string, fn func(string, int64) error) error {
	c := t.tx.Bucket(bCounts).Cursor()
	p := []byte(prefix)
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		n, ok := decodeCount(v)
		if !ok {
			continue
		}
		if err := fn(string(k), n); err != nil {
			return err
		}
	}
	return nil
}

func (t *txn) AddCount(key string, delta int64) error {
	n, err := t.Count(key)
	if err != nil {
		return err
	}
	if n+delta == 0 {
		// A counter back at zero reads as none (Count, Counts): no key
		// kept for it, so that counters taken back (a cancellation, the
		// start counts of hours gone by) cost nothing.
		return t.bucket(bCounts).Delete([]byte(key))
	}
	return t.bucket(bCounts).Put([]byte(key), encodeCount(n+delta))
}

func (t *txn) AccessTokenByID(id string) (*store.AccessToken, error) {
	hash := t.tx.Bucket(bTokenIDs).Get([]byte(id))
	if hash == nil {
		return nil, store.ErrNotFound
	}
	return t.AccessToken(hash)
}

func (t *txn) AccessTokensOf(role ruqiv1.Role, subject string) ([]*store.AccessToken, error) {
	prefix := key(strconv.Itoa(int(role)), subject, "")
	var out []*store.AccessToken
	c := t.tx.Bucket(bTokensBySubj).Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Next() {
		a, err := t.AccessTokenByID(string(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("index %s names missing %q: %w", bTokensBySubj, k[len(prefix):], err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (t *txn) AccessTokens(p store.Page) ([]*store.AccessToken, error) {
	var out []*store.AccessToken
	c := t.tx.Bucket(bTokenIDs).Cursor()
	for k, hash := c.Seek([]byte(p.After)); k != nil; k, hash = c.Next() {
		if p.Limit > 0 && len(out) == p.Limit {
			break
		}
		if p.After != "" && string(k) == p.After {
			continue
		}
		a, err := t.AccessToken(hash)
		if err != nil {
			return nil, fmt.Errorf("index %s names missing %q: %w", bTokenIDs, k, err)
		}
		out = append(out, a)
	}
	return out, nil
}

func (t *txn) Evaluation(inspectionID string) (*ruqiv1.Evaluation, error) {
	m := &ruqiv1.Evaluation{}
	return m, getProto(t.tx.Bucket(bEvaluations), []byte(inspectionID), m)
}

func (t *txn) EvaluationsOf(inspectionIDs []string) (map[string]*ruqiv1.Evaluation, error) {
	return heldOf(inspectionIDs, t.Evaluation)
}

func (t *txn) Evaluations(agencyID string, p store.Page) ([]*ruqiv1.Evaluation, error) {
	if agencyID != "" {
		return listByPrefix(t, bEvalByAgency, bEvaluations, agencyID, p, func() *ruqiv1.Evaluation { return &ruqiv1.Evaluation{} })
	}
	return listAll(t.tx.Bucket(bEvaluations), p, func() *ruqiv1.Evaluation { return &ruqiv1.Evaluation{} })
}

func (t *txn) PutEvaluation(e *ruqiv1.Evaluation) error {
	if err := t.bucket(bEvalByAgency).Put(key(e.GetAgencyId(), e.GetInspectionId()), nil); err != nil {
		return err
	}
	return putProto(t.bucket(bEvaluations), []byte(e.GetInspectionId()), e)
}

func (t *txn) Lead(id string) (*ruqiv1.Lead, error) {
	m := &ruqiv1.Lead{}
	return m, getProto(t.tx.Bucket(bLeads), []byte(id), m)
}

func (t *txn) Leads(p store.Page) ([]*ruqiv1.Lead, error) {
	return listAll(t.tx.Bucket(bLeads), p, func() *ruqiv1.Lead { return &ruqiv1.Lead{} })
}

func (t *txn) PutLead(l *ruqiv1.Lead) error {
	return putProto(t.bucket(bLeads), []byte(l.GetId()), l)
}

func (t *txn) Plan(id string) (*ruqiv1.Plan, error) {
	m := &ruqiv1.Plan{}
	return m, getProto(t.tx.Bucket(bPlans), []byte(id), m)
}

func (t *txn) Plans(agencyID string, p store.Page) ([]*ruqiv1.Plan, error) {
	mk := func() *ruqiv1.Plan { return &ruqiv1.Plan{} }
	if agencyID != "" {
		return listByPrefix(t, bPlansByAg, bPlans, agencyID, p, mk)
	}
	return listAll(t.tx.Bucket(bPlans), p, mk)
}

func (t *txn) PutPlan(pl *ruqiv1.Plan) error {
	if err := t.bucket(bPlansByAg).Put(key(pl.GetAgencyId(), pl.GetId()), nil); err != nil {
		return err
	}
	return putProto(t.bucket(bPlans), []byte(pl.GetId()), pl)
}

func listAll[T proto.Message](b *bbolt.Bucket, p store.Page, mk func() T) ([]T, error) {
	var out []T
	c := b.Cursor()
	for k, v := c.Seek([]byte(p.After)); k != nil; k, v = c.Next() {
		if p.Limit > 0 && len(out) == p.Limit {
			break
		}
		if p.After != "" && string(k) == p.After {
			continue
		}
		m := mk()
		if err := proto.Unmarshal(v, m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Merkle log. Tree nodes are keyed level‖index (big-endian), so each level's
// nodes are appended in key order and the bucket can be packed full.

func treeKey(level uint, index uint64) []byte {
	var k [9]byte
	k[0] = byte(level)
	binary.BigEndian.PutUint64(k[1:], index)
	return k[:]
}

func (t *txn) TreeNode(level uint, index uint64) ([]byte, error) {
	v := t.tx.Bucket(bTree).Get(treeKey(level, index))
	if v == nil {
		return nil, store.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

func (t *txn) PutTreeNode(level uint, index uint64, hash []byte) error {
	b := t.bucket(bTree)
	b.fill()
	return b.Put(treeKey(level, index), hash)
}

func (t *txn) Checkpoint(size uint64) ([]byte, error) {
	v := t.tx.Bucket(bCheckpoints).Get(seqKey(size))
	if v == nil {
		return nil, store.ErrNotFound
	}
	return append([]byte(nil), v...), nil
}

func (t *txn) LatestCheckpoint() (uint64, []byte, error) {
	k, v := t.tx.Bucket(bCheckpoints).Cursor().Last()
	if k == nil {
		return 0, nil, nil
	}
	return binary.BigEndian.Uint64(k), append([]byte(nil), v...), nil
}

func (t *txn) PutCheckpoint(size uint64, note []byte) error {
	b := t.bucket(bCheckpoints)
	b.fill()
	return b.Put(seqKey(size), note)
}

// SealEvents packs the integrated events into blocks (events.go), in the
// integrator's transaction: it has just read them, and registration's
// appends stay single records.
func (t *txn) SealEvents(size uint64) error {
	_, err := sealEvents(t, size, -1)
	return err
}

// The enterprise index keeps an enterprise's integrated events in chunks:
// the key is "<uscc>\x00" and the 8-byte seq of the chunk's first event, the
// value the differences from each seq to the next as uvarints (a byte or two
// each), up to chunkSeqs seqs. An empty value is a chunk of one, which is
// also how files written before the chunks keep every event (one key per
// event, 43 bytes each with bbolt's own); migrate.go repacks those.
const chunkSeqs = 64

func (t *txn) PutEnterpriseEvent(uscc string, seq uint64) error {
	return putEnterpriseEvent(t.bucket(bEventsByEnt), uscc, seq)
}

func putEnterpriseEvent(b bucketW, uscc string, seq uint64) error {
	prefix := []byte(uscc + "\x00")
	at := append(bytes.Clone(prefix), seqKey(seq)...)
	// The chunk that takes seq is the last one that starts at or before
	// it, found walking forwards (a cursor's Prev after a Seek is not to be
	// trusted in bbolt): an enterprise has one chunk per 64 events.
	var pk, pv []byte
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix) && bytes.Compare(k, at) <= 0; k, v = c.Next() {
		if len(k) == len(at) {
			pk, pv = k, v
		}
	}
	if bytes.Equal(pk, at) {
		return nil
	}
	if pk != nil {
		seqs, err := chunkSeqsOf(pk, pv)
		if err != nil {
			return err
		}
		i, found := slices.BinarySearch(seqs, seq)
		if found {
			return nil
		}
		// A full chunk takes a seq that is not its last (never written in
		// that order by the integrator) rather than overlap the next.
		if len(seqs) < chunkSeqs || i < len(seqs) {
			return b.Put(bytes.Clone(pk), encodeChunk(slices.Insert(seqs, i, seq)))
		}
	}
	return b.Put(at, nil)
}

// chunkSeqsOf decodes a chunk of the enterprise index.
func chunkSeqsOf(k, v []byte) ([]uint64, error) {
	seqs := []uint64{binary.BigEndian.Uint64(k[len(k)-8:])}
	for len(v) > 0 {
		d, n := binary.Uvarint(v)
		if n <= 0 || d == 0 {
			return nil, fmt.Errorf("events_by_enterprise %q: damaged chunk", k)
		}
		seqs = append(seqs, seqs[len(seqs)-1]+d)
		v = v[n:]
	}
	return seqs, nil
}

// encodeChunk is the value of the chunk of seqs (sorted, the first in the
// key).
func encodeChunk(seqs []uint64) []byte {
	var v []byte
	for i := 1; i < len(seqs); i++ {
		v = binary.AppendUvarint(v, seqs[i]-seqs[i-1])
	}
	return v
}

func (t *txn) EnterpriseEvents(uscc string, afterSeq uint64, fn func(uint64) error) error {
	prefix := []byte(uscc + "\x00")
	c := t.tx.Bucket(bEventsByEnt).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		if len(k) != len(prefix)+8 {
			continue // not a key of this index
		}
		seqs, err := chunkSeqsOf(k, v)
		if err != nil {
			return err
		}
		for _, seq := range seqs {
			if seq <= afterSeq {
				continue
			}
			if err := fn(seq); err != nil {
				if errors.Is(err, store.ErrStop) {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

func (t *txn) EnterpriseCode(uscc string) (*store.EnterpriseCode, error) {
	c := &store.EnterpriseCode{}
	if err := getJSON(t.tx.Bucket(bEntCodes), []byte(uscc), c); err != nil {
		return nil, err
	}
	return c, nil
}

func (t *txn) PutEnterpriseCode(c *store.EnterpriseCode) error {
	return putJSON(t.bucket(bEntCodes), []byte(c.USCC), c)
}

func (t *txn) Arrival(inspectionID, officerID string) (*store.Arrival, error) {
	a := &store.Arrival{}
	if err := getJSON(t.tx.Bucket(bArrivals), key(inspectionID, officerID), a); err != nil {
		return nil, err
	}
	return a, nil
}

func (t *txn) PutArrival(a *store.Arrival) error {
	return putJSON(t.bucket(bArrivals), key(a.InspectionID, a.OfficerID), a)
}

func (t *txn) CheckpointAtLeast(size uint64) (uint64, []byte, error) {
	k, v := t.tx.Bucket(bCheckpoints).Cursor().Seek(seqKey(size))
	if k == nil {
		return 0, nil, store.ErrNotFound
	}
	return binary.BigEndian.Uint64(k), append([]byte(nil), v...), nil
}

// 双随机 draws, by id.

func (t *txn) Draw(id string) (*ruqiv1.Draw, error) {
	m := &ruqiv1.Draw{}
	return m, getProto(t.tx.Bucket(bDraws), []byte(id), m)
}

func (t *txn) Draws(p store.Page) ([]*ruqiv1.Draw, error) {
	return listAll(t.tx.Bucket(bDraws), p, func() *ruqiv1.Draw { return &ruqiv1.Draw{} })
}

func (t *txn) PutDraw(d *ruqiv1.Draw) error {
	return putProto(t.bucket(bDraws), []byte(d.GetId()), d)
}

// Accompaniments are keyed "<inspection>\x00<id>": one prefix scan lists an
// inspection's.

func (t *txn) Accompaniments(inspectionID string) ([]*ruqiv1.Accompaniment, error) {
	prefix := key(inspectionID, "")
	var out []*ruqiv1.Accompaniment
	c := t.tx.Bucket(bAccompaniments).Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		m := &ruqiv1.Accompaniment{}
		if err := proto.Unmarshal(v, m); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (t *txn) PutAccompaniment(a *ruqiv1.Accompaniment) error {
	return putProto(t.bucket(bAccompaniments), key(a.GetInspectionId(), a.GetId()), a)
}

func (t *txn) PlanCoverage(key string) (*ruqiv1.PlanCoverage, error) {
	m := &ruqiv1.PlanCoverage{}
	return m, getProto(t.tx.Bucket(bMatchCoverage), []byte(key), m)
}

func (t *txn) PlanCoverages(p store.Page) ([]*ruqiv1.PlanCoverage, error) {
	return listAll(t.tx.Bucket(bMatchCoverage), p, func() *ruqiv1.PlanCoverage { return &ruqiv1.PlanCoverage{} })
}

func (t *txn) PutPlanCoverage(c *ruqiv1.PlanCoverage) error {
	return putProto(t.bucket(bMatchCoverage), []byte(store.CoverageKey(c.GetAgencyId(), c.GetPlanId())), c)
}

func (t *txn) Proposal(id string) (*ruqiv1.JointVisitProposal, error) {
	m := &ruqiv1.JointVisitProposal{}
	return m, getProto(t.tx.Bucket(bMatchProposals), []byte(id), m)
}

func (t *txn) ProposalsOf(ids []string) (map[string]*ruqiv1.JointVisitProposal, error) {
	return heldOf(ids, t.Proposal)
}

func (t *txn) Proposals(p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	return listAll(t.tx.Bucket(bMatchProposals), p, func() *ruqiv1.JointVisitProposal { return &ruqiv1.JointVisitProposal{} })
}

func (t *txn) ProposalsOfAgency(agencyID string, p store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	return listByPrefix(t, bMatchByAgency, bMatchProposals, agencyID, p, func() *ruqiv1.JointVisitProposal { return &ruqiv1.JointVisitProposal{} })
}

func (t *txn) PutProposal(pr *ruqiv1.JointVisitProposal) error {
	for _, m := range pr.GetMembers() {
		if err := t.bucket(bMatchByAgency).Put(key(m.GetAgencyId(), pr.GetId()), nil); err != nil {
			return err
		}
	}
	return putProto(t.bucket(bMatchProposals), []byte(pr.GetId()), pr)
}
