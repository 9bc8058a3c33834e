package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/durable"
)

// The write-ahead log (预写日志).
//
// bbolt makes a commit durable by writing every page the commit dirtied,
// where the B-trees keep them, then fdatasync, then the meta page and a
// second fdatasync. A registered plan dirties about forty pages at random
// places, so the writer spent most of its time waiting for the disk. With
// the log, as etcd puts its raft WAL in front of bbolt, a group's commit is
// durable once its changes (the puts and deletes of the group's functions,
// a few KB) are appended to a preallocated segment and synced once; bbolt
// commits the same transaction without syncing, and its pages reach the
// disk in the background and at each checkpoint.
//
// A checkpoint makes one bbolt state, T, durable: the writer opens a read
// transaction on T (so that bbolt does not reuse T's pages until the next
// checkpoint: a commit never overwrites a page a reader may see), copies T's
// meta page, and a goroutine fdatasyncs the file. Then the writer appends a
// checkpoint record (T and its meta page) to the log and lets go of the
// previous checkpoint's state. Segments that hold only groups up to T are
// deleted.
//
// After a crash, bbolt's file holds T's pages intact; its meta pages may
// name a later state whose pages never reached the disk. Recovery reads the
// log, finds the last checkpoint T, and if any group after T was logged,
// writes T's meta page back in both slots and replays those groups, in
// order, before the file is used. A group is acknowledged only after its
// record is synced, and bbolt commits it only after that, so readers never
// see a change that a crash could take back.
//
// If no group follows the last checkpoint, the file is used as it is: its
// last commit was synced. That is what makes the direct mode (no log, every
// commit synced by bbolt) safe to switch to at any checkpoint, and a
// compaction's swap safe.

const (
	// walSegmentBytes is the size a segment is preallocated to. Writing
	// zeros ahead makes a record's fdatasync a data write only: appending
	// to a file that grows costs a journal commit for its size as well
	// (0.63 ms against 0.21 ms per 16 KiB synced write on this machine).
	walSegmentBytes = 64 << 20
	// walCheckpointBytes and walCheckpointEvery: a checkpoint is started
	// after this much log or this long, whichever comes first. Between
	// checkpoints bbolt cannot reuse the pages the commits free, so the file
	// grows by about what the commits write in that time; recovery replays
	// at most this much.
	walCheckpointBytes = 32 << 20
	// walMmapBytes is bbolt's initial mapping when the log is on. bbolt
	// remaps a growing file only after every read transaction has ended,
	// and a checkpoint keeps one open: the mapping is reserved large enough
	// that the file does not outgrow it (the writer falls back to direct
	// mode if it comes near, see Store.commit).
	walMmapBytes = 64 << 30
)

// walCheckpointEvery is a var so that tests can checkpoint often.
var walCheckpointEvery = 2 * time.Second

// Kinds of record.
const (
	recGroup      = 1 // one committed transaction's changes
	recCheckpoint = 2 // a state made durable in bbolt's file: its txid and meta page
	// recAbort says that the group logged just before with this txid was
	// not committed by bbolt (its commit failed after the record was
	// synced: a full disk when the file had to grow), so recovery skips it.
	recAbort = 3
	// recStart is a checkpoint that starts a log (after Open, after a
	// compaction): recovery ignores every record before the last one, so
	// that a segment deleted before it and brought back by a crash (an
	// unlink the file system had not yet made durable) is not replayed.
	recStart = 4
)

// Kinds of change in a group.
const (
	opPut    = 1
	opDelete = 2
)

// fullBuckets are written with FillPercent 1 (keys only grow); replay
// fills them the same way so that a recovered file is as compact.
var fullBuckets = [][]byte{bEvents, bTree, bCheckpoints}

// bucketW is a bucket written in a transaction. Its Put and Delete also
// record the change in ops, the group's log record, when the log is on.
// The bbolt bucket is not embedded: a change made through any other of its
// methods (CreateBucket, SetSequence, a cursor's Delete) would miss the log.
type bucketW struct {
	b    *bbolt.Bucket
	name []byte
	ops  *walOps
}

func (t *txn) bucket(name []byte) bucketW {
	return bucketW{b: t.tx.Bucket(name), name: name, ops: t.ops}
}

func (b bucketW) Get(k []byte) []byte   { return b.b.Get(k) }
func (b bucketW) Cursor() *bbolt.Cursor { return b.b.Cursor() }

// fill has the bucket's pages split full (FillPercent 1): for buckets
// whose keys only grow (fullBuckets).
func (b bucketW) fill() { b.b.FillPercent = 1 }

func (b bucketW) Put(k, v []byte) error {
	if err := b.b.Put(k, v); err != nil {
		return err
	}
	b.ops.add(opPut, b.name, k, v)
	return nil
}

// Delete of a key that is not there changes nothing and logs nothing: a
// group of such deletes is empty, and rolled back (commit), where a logged
// one would have committed a state its file's two meta pages both name,
// which recovery takes for a copy (a read-only review, 2026-12-04).
func (b bucketW) Delete(k []byte) error {
	// One seek, as bbolt's own Delete makes, and the key compared here.
	c := b.b.Cursor()
	if found, _ := c.Seek(k); !bytes.Equal(found, k) {
		return nil
	}
	if err := c.Delete(); err != nil {
		return err
	}
	b.ops.add(opDelete, b.name, k, nil)
	return nil
}

// walOps is one transaction's changes, in the order they were made:
// op, bucket, key and (for a put) value, each length-prefixed.
type walOps struct {
	buf []byte
	n   int
}

func (o *walOps) reset() { o.buf, o.n = o.buf[:0], 0 }

func (o *walOps) add(op byte, bucket, k, v []byte) {
	if o == nil {
		return
	}
	o.buf = append(o.buf, op)
	o.buf = appendBytes(o.buf, bucket)
	o.buf = appendBytes(o.buf, k)
	if op == opPut {
		o.buf = appendBytes(o.buf, v)
	}
	o.n++
}

func appendBytes(b, p []byte) []byte {
	return append(binary.AppendUvarint(b, uint64(len(p))), p...)
}

func readBytes(b []byte) (p, rest []byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return nil, nil, errors.New("truncated change")
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}

// applyOps replays a group's changes in tx.
func applyOps(tx *bbolt.Tx, ops []byte) error {
	for len(ops) > 0 {
		op := ops[0]
		name, rest, err := readBytes(ops[1:])
		if err != nil {
			return err
		}
		k, rest, err := readBytes(rest)
		if err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		for _, f := range fullBuckets {
			if bytes.Equal(f, name) {
				b.FillPercent = 1
			}
		}
		switch op {
		case opPut:
			var v []byte
			if v, rest, err = readBytes(rest); err == nil {
				err = b.Put(k, v)
			}
		case opDelete:
			err = b.Delete(k)
		default:
			err = fmt.Errorf("unknown change %d", op)
		}
		if err != nil {
			return err
		}
		ops = rest
	}
	return nil
}

// A record is its body's length and CRC-32C (little-endian, 4 bytes each),
// then the body: kind, txid (8 bytes, little-endian), payload. A length of
// zero is the end of a segment's records (the rest is preallocated zeros);
// a record whose CRC does not match is a write the crash tore, and ends
// the segment too.
const recHeader = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

type walRecord struct {
	kind    byte
	txid    uint64
	payload []byte
	seg     uint64 // the segment it was read from
}

// wal is the log's open segment and what is known of the older ones.
type wal struct {
	dir  string
	f    *os.File
	off  int64 // where the next record goes
	size int64 // the segment's preallocated size
	// segs are the segments on disk, oldest first, the last one open.
	segs []walSegment
	// sinceCheckpoint counts the bytes appended since the last checkpoint
	// record.
	sinceCheckpoint int64
	// appended counts every byte appended, for /metrics (the store's
	// counter: it outlives a log that a compaction replaces).
	appended *atomic.Int64
	buf      []byte
	// torn is set when a write failed (a full disk): what it left after
	// the last good record may be part of a record, so the next record goes
	// to a new segment, and recovery reads the old one up to the tear.
	torn bool
	// short is set when a record needed a new segment and none could be
	// made (a full disk): until one is, no group can be logged (ready).
	short bool
}

type walSegment struct {
	n     uint64
	maxTx uint64 // the highest txid of the groups it holds
}

func walDir(dbPath string) string { return dbPath + ".wal" }

func segmentPath(dir string, n uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%016x.wal", n))
}

// segmentsIn lists the segment numbers in dir, oldest first.
func segmentsIn(dir string) ([]uint64, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var ns []uint64
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".wal")
		if !ok || len(name) != 16 {
			continue
		}
		n, err := strconv.ParseUint(name, 16, 64)
		if err != nil {
			continue
		}
		ns = append(ns, n)
	}
	slices.Sort(ns)
	return ns, nil
}

// readSegment returns the segment's records up to its end or the first
// record a crash tore.
func readSegment(path string) ([]walRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	// A segment is zero-filled to at least walSegmentBytes and synced
	// before its first record is written, so a crash leaves a shorter one
	// only while it is being filled, empty. A shorter one that holds a
	// record was cut at rest (a copy of the data directory that stopped
	// when its disk filled, a file system repaired): its end looks like
	// the log's, and the acknowledged groups after the cut were lost
	// without a word (an operator's trial, 2026-12-06).
	if len(data) < walSegmentBytes && len(data) >= 4 && binary.LittleEndian.Uint32(data) != 0 {
		return nil, fmt.Errorf("write-ahead log segment %s is cut short: %d bytes, where it was made with %d; acknowledged groups after the cut may be gone (a copy that did not finish?); copy the whole log in again, or restore a backup (copy the log aside for inspection before moving it away)", path, len(data), walSegmentBytes)
	}
	var recs []walRecord
	for off := 0; off+recHeader <= len(data); {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		sum := binary.LittleEndian.Uint32(data[off+4:])
		if n == 0 || n < 9 || off+recHeader+n > len(data) {
			return recs, damagedAfter(path, data, off, recs)
		}
		body := data[off+recHeader : off+recHeader+n]
		if crc32.Checksum(body, castagnoli) != sum {
			return recs, damagedAfter(path, data, off, recs)
		}
		recs = append(recs, walRecord{kind: body[0], txid: binary.LittleEndian.Uint64(body[1:9]), payload: body[9:]})
		off += recHeader + n
	}
	return recs, nil
}

// damagedAfter tells a torn tail from damage, for a record at off that does
// not read, recs being the records before it in the segment. A crash tears
// at most the record being written, and the writer never appends after a
// failed write in the same segment (it opens a new one): a whole record
// that reads, after it, was written later, and was acknowledged. The record
// was damaged at rest (a bad sector, a flipped bit), and replaying up to it
// would drop what follows without a word (a trial of the operator's year,
// 2026-12-06). Bytes that are no record (a torn write whose sectors reached
// the disk out of order) are a tear.
//
// A candidate must look like a record before its checksum is computed: a
// length that fits, a kind the writer writes, and a txid not before the
// last record's and not far past it. Without those checks a torn import
// group of a few MB (protobuf, full of small numbers that read as lengths)
// cost a checksum over megabytes at most of its bytes: 74.5 s to open after
// a crash (a review, 2026-12-06).
func damagedAfter(path string, data []byte, off int, recs []walRecord) error {
	var lastTx uint64
	if len(recs) > 0 {
		lastTx = recs[len(recs)-1].txid
	}
	for p := off + 1; p+recHeader+9 <= len(data); p++ {
		n := int(binary.LittleEndian.Uint32(data[p:]))
		if n < 9 || p+recHeader+n > len(data) {
			continue
		}
		if k := data[p+recHeader]; k < recGroup || k > recStart {
			continue
		}
		if tx := binary.LittleEndian.Uint64(data[p+recHeader+1:]); len(recs) > 0 && (tx < lastTx || tx > lastTx+1<<20) {
			continue
		}
		if crc32.Checksum(data[p+recHeader:p+recHeader+n], castagnoli) == binary.LittleEndian.Uint32(data[p+4:]) {
			return fmt.Errorf("write-ahead log segment %s is damaged: the record at byte %d does not read, and a record written after it does (at byte %d; acknowledged groups may follow); restore a backup, or copy the log aside for inspection before moving it away", path, off, p)
		}
	}
	return nil
}

// walReplay is what recovery found in the log: the last checkpoint, and the
// groups logged after it, in order.
type walReplay struct {
	segs       []uint64
	checkpoint *walRecord
	groups     []walRecord
}

func readWAL(dir string) (walReplay, error) {
	var r walReplay
	ns, err := segmentsIn(dir)
	if err != nil {
		return r, err
	}
	r.segs = ns
	var all []walRecord
	for _, n := range ns {
		recs, err := readSegment(segmentPath(dir, n))
		if err != nil {
			return r, err
		}
		for i := range recs {
			recs[i].seg = n
		}
		all = append(all, recs...)
	}
	for i := len(all) - 1; i >= 0; i-- {
		if all[i].kind == recStart {
			all = all[i:]
			break
		}
	}
	// The groups bbolt committed, in order. A group followed by its abort
	// is dropped; so are groups a later one logs again under a txid not
	// above theirs: the writer reuses a txid only when the commit that had
	// it failed (bbolt does not advance it), whether or not the abort
	// record could be written.
	var groups []walRecord
	for i, rec := range all {
		switch rec.kind {
		case recCheckpoint, recStart:
			r.checkpoint = &all[i]
		case recGroup:
			for len(groups) > 0 && groups[len(groups)-1].txid >= rec.txid {
				groups = groups[:len(groups)-1]
			}
			groups = append(groups, rec)
		case recAbort:
			if n := len(groups); n > 0 && groups[n-1].txid == rec.txid {
				groups = groups[:n-1]
			}
		}
	}
	if r.checkpoint == nil {
		if len(groups) > 0 {
			return r, fmt.Errorf("the write-ahead log in %s has groups but no checkpoint", dir)
		}
		return r, nil
	}
	for _, rec := range groups {
		if rec.txid > r.checkpoint.txid {
			r.groups = append(r.groups, rec)
		}
	}
	// Every commit since the checkpoint is a group, one transaction after
	// the other. A transaction missing among them is a segment missing (an
	// operator freeing space, a file system's loss): replaying the groups
	// around it would lose acknowledged writes and break the event chain
	// without a word (found by read-only reviews, 2026-12-03 and, once a
	// checkpoint had dropped the segment that starts the log, 2026-12-05).
	// Segments that hold only what the checkpoint made durable may be
	// missing: a crash can bring back some of those a checkpoint deleted.
	//
	// Within one segment, nothing can be missing between two records: it
	// is written in order and read up to its first bad record. There a
	// transaction skipped is one committed without a group: versions
	// from 0a51bf6 to d466a98 committed a group that changed nothing
	// (the store's health probe) without logging it, and recovered around
	// it; a crash image of theirs is recovered so here too (an upgrade
	// trial, 2026-12-05).
	want, seg := r.checkpoint.txid+1, r.checkpoint.seg
	for _, g := range r.groups {
		if g.txid != want && (g.txid < want || g.seg != seg) {
			return r, fmt.Errorf("the write-ahead log in %s lacks the changes of transactions %d to %d%s: they cannot be replayed; restore the log, or the file from a backup", dir, want, g.txid-1, missingSegments(ns))
		}
		want, seg = g.txid+1, g.seg
	}
	return r, nil
}

// missingSegments names the segments missing among ns, for a message.
func missingSegments(ns []uint64) string {
	for i := 1; i < len(ns); i++ {
		if ns[i] != ns[i-1]+1 {
			return fmt.Sprintf(" (segment %016x is missing: found %016x, then %016x)", ns[i-1]+1, ns[i-1], ns[i])
		}
	}
	return ""
}

// createWAL starts a new log in dir whose first segment is numbered n;
// appended counts the bytes written to it.
func createWAL(dir string, n uint64, appended *atomic.Int64) (*wal, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	if err := durable.SyncDir(filepath.Dir(dir)); err != nil {
		return nil, err
	}
	w := &wal{dir: dir, appended: appended}
	if err := w.openSegment(n, walSegmentBytes); err != nil {
		return nil, err
	}
	return w, nil
}

// openSegment creates segment n, zero-filled to size and synced, with its
// directory entry, and makes it the one appended to.
func (w *wal) openSegment(n uint64, size int64) error {
	path := segmentPath(w.dir, n)
	// A disk without room for the segment is found before writing it: the
	// writer and the health probe try again each second, and each try
	// filled the disk with zeros and deleted them, 8 GiB written in 10 s
	// and no byte left for anything else on the filesystem (an operator's
	// trial, 2026-12-07). The error is ENOSPC, as the write's would be.
	if free, ok := freeBytes(w.dir); ok && free < size {
		return fmt.Errorf("make a write-ahead log segment (%d MiB, written in full before use; %d MiB free): %w",
			(size+1<<20-1)>>20, free>>20, syscall.ENOSPC)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	zeros := make([]byte, 1<<20)
	for off := int64(0); off < size; off += int64(len(zeros)) {
		if _, err := f.WriteAt(zeros[:min(int64(len(zeros)), size-off)], off); err != nil {
			f.Close()
			os.Remove(path)
			// With less free than a segment, every write fails while df
			// shows room for thousands (an operator's trial, 2026-12-06):
			// say what it takes.
			return fmt.Errorf("make a write-ahead log segment (%d MiB, written in full before use): %w", (size+1<<20-1)>>20, err)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := durable.SyncDir(w.dir); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if w.f != nil {
		w.f.Close()
	}
	w.f, w.off, w.size = f, 0, size
	w.segs = append(w.segs, walSegment{n: n})
	return nil
}

// append writes a record after the last one; sync makes it durable.
func (w *wal) append(kind byte, txid uint64, payload []byte) error {
	n := 9 + len(payload)
	w.buf = binary.LittleEndian.AppendUint32(w.buf[:0], uint32(n))
	w.buf = append(w.buf, 0, 0, 0, 0, kind)
	w.buf = binary.LittleEndian.AppendUint64(w.buf, txid)
	w.buf = append(w.buf, payload...)
	binary.LittleEndian.PutUint32(w.buf[4:], crc32.Checksum(w.buf[recHeader:], castagnoli))
	if w.torn || w.off+int64(len(w.buf)) > w.size {
		if err := w.openSegment(w.segs[len(w.segs)-1].n+1, max(walSegmentBytes, int64(len(w.buf)))); err != nil {
			w.short = true
			return err
		}
		w.torn, w.short = false, false
	}
	if _, err := w.f.WriteAt(w.buf, w.off); err != nil {
		w.torn = true
		return err
	}
	w.off += int64(len(w.buf))
	w.sinceCheckpoint += int64(len(w.buf))
	w.appended.Add(int64(len(w.buf)))
	if kind == recGroup {
		w.segs[len(w.segs)-1].maxTx = txid
	}
	return nil
}

func (w *wal) sync() error { return fdatasync(w.f) }

// ready makes the segment the next record needs when the last append could
// not: a group that changes nothing is not logged, but it is the storage
// health probe's, which must fail while no group can be logged (it set
// /healthz back to 200 once a second while every write was refused for want
// of a segment: an operator's trial, 2026-12-06).
func (w *wal) ready() error {
	if !w.short && !w.torn {
		return nil
	}
	if err := w.openSegment(w.segs[len(w.segs)-1].n+1, walSegmentBytes); err != nil {
		w.short = true
		return err
	}
	w.torn, w.short = false, false
	return nil
}

// dropThrough deletes the segments, other than the open one, that hold no
// group after txid: a checkpoint at txid has made them useless.
func (w *wal) dropThrough(txid uint64) error {
	keep := w.segs[:0]
	var err error
	dropped := false
	for i, sg := range w.segs {
		if i < len(w.segs)-1 && sg.maxTx <= txid {
			err = errors.Join(err, os.Remove(segmentPath(w.dir, sg.n)))
			dropped = true
			continue
		}
		keep = append(keep, sg)
	}
	w.segs = keep
	if dropped {
		err = errors.Join(err, durable.SyncDir(w.dir))
	}
	return err
}

func (w *wal) close() error {
	if w == nil || w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// Meta pages. bbolt keeps two, at pages 0 and 1, and writes a commit's meta
// to page txid%2. Offsets within a page: the page header (id 8 bytes,
// flags, count, overflow) is 16 bytes; the meta follows: magic, version,
// page size (4 bytes each), flags, root bucket (16), freelist page, high
// water page, txid, checksum (8 each).
const (
	metaMagic       = 0xED0CDAED
	metaOffMagic    = 16
	metaOffPgSize   = 24
	metaOffRoot     = 32
	metaOffFreelist = 48
	metaOffHighPg   = 56
	metaOffTxid     = 64
	metaOffChecksum = 72
	metaPageHeader  = 16
)

// noFreelist is the free list page a meta names when no list is written
// (bbolt's PgidNoFreelist).
const noFreelist = 0xffffffffffffffff

// readMeta copies the meta page of state txid from the file.
func readMeta(f *os.File, pageSize int, txid uint64) ([]byte, error) {
	page := make([]byte, pageSize)
	if _, err := f.ReadAt(page, int64(txid%2)*int64(pageSize)); err != nil {
		return nil, err
	}
	if binary.LittleEndian.Uint32(page[metaOffMagic:]) != metaMagic || binary.LittleEndian.Uint64(page[metaOffTxid:]) != txid {
		return nil, fmt.Errorf("meta page of transaction %d not found where bbolt writes it", txid)
	}
	return page, nil
}

// restoreMeta writes a checkpoint's meta page into both of the file's meta
// slots, so that bbolt opens the checkpoint's state, whatever later meta a
// crash left behind. It first checks that the file is the one the log was
// kept for, and changes nothing if not:
//   - one of its meta pages names the checkpoint's state or one just before
//     or after it, and the file holds every page the state uses;
//   - none names a transaction past the last one the log holds (every
//     commit is logged before bbolt makes it): a backup restored beside the
//     log of the file it was copied from, compacted since (a compaction
//     numbers transactions from one again), passed the first check, and the
//     log was replayed onto it (an operator's trial, 2026-12-04);
//   - a meta page naming the checkpoint's transaction is the checkpoint's;
//   - its two meta pages do not name one state (the same root, free list
//     and size), as a copy's do (bbolt's Tx.WriteTo, which backups use,
//     writes one meta page twice, the second a txid lower), unless one of
//     them is the checkpoint's: a live file's two name its last two
//     commits, which differ (the writer commits no empty transaction
//     under the log). A backup taken a commit before the checkpoint, or
//     after it, was accepted, and the log replayed onto it panicked bbolt
//     or undid the restore (a read-only review, 2026-12-04).
//
// A backup taken at the checkpoint's own state passes: the replay rolls it
// forward to the log's end, a consistent file. So would a crashed file of
// another server whose transactions fall between the checkpoint and the
// log's end: nothing in the file names the log it belongs to.
//
// Meta pages whose checksum fails (torn by the crash) are not counted.
func restoreMeta(path string, meta []byte, lastLogged uint64) error {
	if len(meta) < metaOffTxid+16 || binary.LittleEndian.Uint32(meta[metaOffMagic:]) != metaMagic {
		return errors.New("the checkpoint's meta page is not a bbolt meta page")
	}
	pageSize := int(binary.LittleEndian.Uint32(meta[metaOffPgSize:]))
	txid := binary.LittleEndian.Uint64(meta[metaOffTxid:])
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	notThis := func(why string, args ...any) error {
		return fmt.Errorf("%s: the write-ahead log %s was not kept for this file (a file restored from a backup or copied in?), or a record of the log was damaged; "+
			"if %s is the file to use, copy %s aside for inspection, move it away and start again", fmt.Sprintf(why, args...), walDir(path), path, walDir(path))
	}
	if high := binary.LittleEndian.Uint64(meta[metaOffHighPg:]); fi.Size() < int64(high)*int64(pageSize) {
		return notThis("%s is shorter (%d bytes) than the checkpoint's state needs (%d pages)", path, fi.Size(), high)
	}
	mine, isCheckpoint := false, false
	var states [][]byte // each valid slot's root, free list and size
	for slot := range 2 {
		page := make([]byte, metaOffChecksum+8)
		if _, err := f.ReadAt(page, int64(slot*pageSize)); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		if !validMeta(page) {
			continue
		}
		states = append(states, page[metaOffRoot:metaOffTxid])
		same := bytes.Equal(page[metaOffMagic:metaOffChecksum], meta[metaOffMagic:metaOffChecksum]) // the checkpoint's page
		isCheckpoint = isCheckpoint || same
		t := binary.LittleEndian.Uint64(page[metaOffTxid:])
		if t > lastLogged {
			return notThis("a meta page of %s names transaction %d, past the last the log holds (%d)", path, t, lastLogged)
		}
		if t == txid && !same {
			return notThis("the meta page of %s for transaction %d is not the checkpoint's", path, t)
		}
		if t+1 >= txid {
			mine = true
		}
	}
	if !mine {
		return notThis("neither meta page of %s is at or after the checkpoint (transaction %d)", path, txid)
	}
	if len(states) == 2 && bytes.Equal(states[0], states[1]) && !isCheckpoint {
		return notThis("both meta pages of %s name one state, as a copy's do, and it is not the checkpoint's (transaction %d)", path, txid)
	}
	for slot := range 2 {
		page := bytes.Clone(meta[:pageSize])
		binary.LittleEndian.PutUint64(page, uint64(slot))
		if _, err := f.WriteAt(page, int64(slot*pageSize)); err != nil {
			return err
		}
	}
	return fdatasync(f)
}

// validMeta says whether a page read from a meta slot is a bbolt meta page
// whose checksum holds (FNV-1a 64 over the fields before it).
func validMeta(page []byte) bool {
	if len(page) < metaOffChecksum+8 || binary.LittleEndian.Uint32(page[metaOffMagic:]) != metaMagic {
		return false
	}
	h := fnv.New64a()
	h.Write(page[metaOffMagic:metaOffChecksum])
	return h.Sum64() == binary.LittleEndian.Uint64(page[metaOffChecksum:])
}

// recoverWAL runs before bbolt opens the file: it restores the last
// checkpoint's meta page if any group follows it, and returns those groups
// for replay.
func recoverWAL(dbPath string) (walReplay, error) {
	r, err := readWAL(walDir(dbPath))
	if err != nil || r.checkpoint == nil || len(r.groups) == 0 {
		return r, err
	}
	var last uint64
	for _, g := range r.groups {
		last = max(last, g.txid)
	}
	if err := restoreMeta(dbPath, r.checkpoint.payload, last); err != nil {
		return r, fmt.Errorf("recover from the write-ahead log: %w", err)
	}
	return r, nil
}

// replayWAL applies the groups recovery found, in one transaction synced
// by bbolt.
func replayWAL(db *bbolt.DB, groups []walRecord) error {
	if len(groups) == 0 {
		return nil
	}
	return db.Update(func(tx *bbolt.Tx) error {
		for _, g := range groups {
			if err := applyOps(tx, g.payload); err != nil {
				return fmt.Errorf("replay transaction %d from the write-ahead log: %w", g.txid, err)
			}
		}
		return nil
	})
}
