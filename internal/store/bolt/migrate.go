package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
)

// bRecordFormat says how far a file written before the lean record formats
// (store.EncodeEvent, EncodeCode, EncodeCheckIn) has been rewritten: per
// bucket the last key rewritten, and "lean" once all are.
var bRecordFormat = []byte("record_format")

// migrateBatch is how many records one transaction of the migration
// rewrites: the migration of a province's file must not hold all of it in
// one transaction's memory.
var migrateBatch = 20000

// leanDone marks a file whose steps are all done: "lean.v2" had the
// first four, "lean.v3" adds the enterprise index's chunks, lean
// inspections, lean access tokens and counters as varints.
var leanDone = []byte("lean.v3")

// migrateLean rewrites a file's events, codes and check-ins in the lean
// formats, and drops the Merkle tree nodes that tlog no longer keeps, a
// batch per transaction, resuming where it stopped if it was
// interrupted (readers take either format meanwhile). Every record is read
// back as it was: events keep their hash, salt and seq (and prev_hash where
// it was not the predecessor's hash), so the chain verifies as before and
// the Merkle log's leaves do not change. The pages freed go back to the
// file's free list; `ruqi admin compact` gives them back to the disk.
func migrateLean(db *bbolt.DB, log *slog.Logger) error {
	var done, empty bool
	if err := db.View(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bRecordFormat)
		done = b != nil && b.Get(leanDone) != nil
		ev := tx.Bucket(bEvents)
		empty = ev == nil || func() bool { k, _ := ev.Cursor().First(); return k == nil }()
		return nil
	}); err != nil || done {
		return err
	}
	if empty {
		// A new file (every record comes with an event): it is marked
		// upgraded without a word. It logged "upgrading the file's
		// records", which README ties to a file of an older version (a
		// new operator's trial, 2026-12-06).
		log = slog.New(slog.DiscardHandler)
	}
	steps := []struct {
		bucket []byte
		step   func(tx *bbolt.Tx, after []byte) ([]byte, error)
	}{
		{bEvents, migrateEvents},
		{bCodes, rewriteEach(bCodes, store.IsLean, func(_, v []byte) ([]byte, error) {
			c, err := store.DecodeCode(v)
			if err != nil {
				return nil, err
			}
			return store.EncodeCode(c)
		})},
		{bCheckIns, rewriteEach(bCheckIns, store.IsLean, func(k, v []byte) ([]byte, error) {
			c, err := store.DecodeCheckIn(k, v)
			if err != nil {
				return nil, err
			}
			return store.EncodeCheckIn(c)
		})},
		{bTree, dropLowTreeNodes},
		{bEventsByEnt, packEnterpriseEvents},
		{bInspections, rewriteEach(bInspections, store.IsLean, func(k, v []byte) ([]byte, error) {
			in, err := store.DecodeInspection(string(k), v)
			if err != nil {
				return nil, err
			}
			return store.EncodeInspection(string(k), in)
		})},
		{bTokens, rewriteEach(bTokens, store.IsLean, func(k, v []byte) ([]byte, error) {
			a, err := store.DecodeAccessToken(k, v)
			if err != nil {
				return nil, err
			}
			return store.EncodeAccessToken(k, a)
		})},
		{bCounts, rewriteEach(bCounts, func(v []byte) bool { return len(v) != 8 }, func(_, v []byte) ([]byte, error) {
			return encodeCount(int64(binary.BigEndian.Uint64(v))), nil
		})},
	}
	// A province's file takes minutes; a start that says nothing for that
	// long looks hung, and an operator who kills it loses nothing but
	// should know so.
	pr := startProgress(log, "store: upgrading the file's records to this version's formats, a batch per transaction; interrupted, it resumes where it stopped")
	for _, st := range steps {
		for {
			var more bool
			err := db.Update(func(tx *bbolt.Tx) error {
				meta, err := tx.CreateBucketIfNotExists(bRecordFormat)
				if err != nil {
					return err
				}
				afterKey, doneKey := append(bytes.Clone(st.bucket), ".after"...), append(bytes.Clone(st.bucket), ".done"...)
				if meta.Get(doneKey) != nil {
					return nil
				}
				last, err := st.step(tx, bytes.Clone(meta.Get(afterKey)))
				if err != nil {
					return fmt.Errorf("migrate %s to the lean format: %w", st.bucket, err)
				}
				if last == nil {
					return meta.Put(doneKey, []byte{1})
				}
				more = true
				return meta.Put(afterKey, last)
			})
			if err != nil {
				return err
			}
			if !more {
				break
			}
			pr.batch("bucket", string(st.bucket))
		}
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bRecordFormat).Put(leanDone, []byte{1})
	}); err != nil {
		return err
	}
	pr.done("store: the file's records are upgraded")
	return nil
}

// progressEvery is how often a long upgrade of the file says how far it
// has come.
var progressEvery = 10 * time.Second

// progress logs a long upgrade of the file: when it starts, every
// progressEvery while it runs, and when it ends.
type progress struct {
	log         *slog.Logger
	start, last time.Time
	batches     int
}

func startProgress(log *slog.Logger, msg string) *progress {
	log.Info(msg, "batch", migrateBatch)
	now := time.Now()
	return &progress{log: log, start: now, last: now}
}

// batch counts a transaction done; attrs say where the upgrade is.
func (p *progress) batch(attrs ...any) {
	p.batches++
	if now := time.Now(); now.Sub(p.last) >= progressEvery {
		p.last = now
		p.log.Info("store: upgrading the file", append(attrs, "transactions", p.batches, "elapsed", now.Sub(p.start).Round(time.Second))...)
	}
}

func (p *progress) done(msg string) {
	p.log.Info(msg, "transactions", p.batches, "elapsed", time.Since(p.start).Round(time.Millisecond))
}

// fileFormat is the newest layout of the file this version writes, kept
// in bRecordFormat under formatKey. A version that changes the layout in a
// way an older one would misread raises it: the older one then refuses the
// file instead of reading it wrong or writing into it (an upgrade trial,
// 2026-12-05, found a version from before the lean formats writing into a
// migrated file before it failed to parse it).
// Format 2 (2026-12-06): blocks of 512 events, which a version reading
// only blocks of 256 would misread. Format 3 (2026-12-06): events of hash
// version 3 (store.EventHash), whose hashes a version before it computes
// wrong where it recomputes them (inside a sealed block), and would call
// the chain broken.
const fileFormat = 3

// FileFormat is the layout of the file this version writes (fileFormat),
// named in the server's ready line.
const FileFormat = fileFormat

// Format names the file's layout, for the server's ready line: a file
// this version opened is in its format (checkFileFormat).
func (s *Store) Format() string { return fmt.Sprintf("bbolt format %d", fileFormat) }

var formatKey = []byte("format")

// checkFileFormat refuses a file of a newer layout than this version's,
// and records this version's in one that names an older or none. It runs
// after the write-ahead log's recovery: a file left by a crash has had the
// log's groups replayed into it first.
func checkFileFormat(meta *bbolt.Bucket) error {
	if v := meta.Get(formatKey); len(v) == 8 {
		if n := binary.BigEndian.Uint64(v); n > fileFormat {
			return fmt.Errorf("the file is in the layout of a newer version of ruqi (format %d; this version reads up to %d): run that version or a newer one, or restore a backup this version wrote", n, fileFormat)
		} else if n == fileFormat {
			return nil
		}
	}
	return meta.Put(formatKey, seqKey(fileFormat))
}

// blocksAligned marks, in bRecordFormat, a file whose sealed blocks have
// been checked to be aligned (alignBlocks).
var blocksAligned = []byte("events.aligned")

// alignBlocks unseals every block of events that is not one a reader finds
// (alignedBlock: 512 events from 512·k+1, or 256 from 256·k+1), once per file:
// readers find a block by its aligned key alone. Two versions of
// 2026-12-02 (4a01bc0, ba6b454) sealed blocks of 16 events and left
// events.sealed_next unaligned, and a later version went on sealing blocks
// of 256 from there: events were read with wrong hashes, receipts failed
// to verify, and listings skipped events (an upgrade trial, 2026-12-05).
// Each such block's events go back to single records, as they read before
// sealing, and events.sealed_next back to the first aligned run, from
// which Open seals them again.
func alignBlocks(db *bbolt.DB) error {
	return db.Update(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bRecordFormat)
		if meta.Get(blocksAligned) != nil {
			return nil
		}
		b := tx.Bucket(bEvents)
		type unaligned struct {
			first   uint64
			v, prev []byte
		}
		var bad []unaligned
		var prevK, prevV []byte
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(k) == 9 && k[8] == blockMark {
				first, n, err := span(k, v)
				if err != nil {
					return err
				}
				if !alignedBlock(first, n) {
					u := unaligned{first: first, v: bytes.Clone(v)}
					if prevK != nil {
						pf, pn, err := span(prevK, prevV)
						if err != nil {
							return err
						}
						if pf+pn == first { // the record just before it
							if u.prev, err = lastHash(prevK, prevV); err != nil {
								return err
							}
						}
					}
					bad = append(bad, u)
				}
			}
			prevK, prevV = k, v
		}
		if len(bad) > 0 {
			for _, u := range bad {
				es, err := store.DecodeEventBlock(u.first, u.prev, u.v)
				if err != nil {
					return fmt.Errorf("unseal the block at event %d: %w", u.first, err)
				}
				p := u.prev
				for _, e := range es {
					v, err := store.EncodeEvent(e, p)
					if err != nil {
						return err
					}
					if err := b.Put(seqKey(e.GetSeq()), v); err != nil {
						return err
					}
					p = e.GetHash()
				}
				if err := b.Delete(blockKey(u.first)); err != nil {
					return err
				}
			}
			next := (bad[0].first-1)/legacyBlockEvents*legacyBlockEvents + 1
			if v := meta.Get(sealedNext); len(v) != 8 || binary.BigEndian.Uint64(v) > next {
				if err := meta.Put(sealedNext, seqKey(next)); err != nil {
					return err
				}
			}
		}
		return meta.Put(blocksAligned, []byte{1})
	})
}

// sealIntegrated packs the events of a file written before sealed blocks
// (or whose integrator stopped before sealing) into blocks, up to the
// latest signed checkpoint, migrateBatch events per transaction; it
// resumes from where it stopped (sealedNext) and costs one read when
// there is nothing to seal. Every event reads back as it was: a block is
// only written if it decodes to exactly its events (store.EncodeEventBlock).
func sealIntegrated(db *bbolt.DB, log *slog.Logger) error {
	var pr *progress // a start with one transaction to seal says nothing
	for {
		var size uint64
		err := db.View(func(tx *bbolt.Tx) error {
			k, _ := tx.Bucket(bCheckpoints).Cursor().Last()
			next := uint64(1)
			if m := tx.Bucket(bRecordFormat); m != nil && len(m.Get(sealedNext)) == 8 {
				next = binary.BigEndian.Uint64(m.Get(sealedNext))
			}
			if len(k) == 8 && next+blockLen(next)-1 <= binary.BigEndian.Uint64(k) {
				size = binary.BigEndian.Uint64(k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if size == 0 {
			if pr != nil {
				pr.done("store: events sealed into blocks")
			}
			return nil
		}
		var more bool
		err = db.Update(func(tx *bbolt.Tx) error {
			var err error
			more, err = sealEvents(&txn{tx: tx}, size, max(1, migrateBatch/blockEvents))
			return err
		})
		if err != nil {
			return fmt.Errorf("seal events into blocks: %w", err)
		}
		if !more {
			if pr != nil {
				pr.done("store: events sealed into blocks")
			}
			return nil
		}
		if pr == nil {
			pr = startProgress(log, "store: sealing the integrated events into blocks, a batch per transaction; interrupted, it resumes where it stopped")
		}
		pr.batch("through_event", size)
	}
}

// rewriteEach returns a migration step that rewrites up to migrateBatch
// records after the key after (those not current already), and returns the last key rewritten (nil at
// the end of the bucket).
func rewriteEach(bucket []byte, current func(v []byte) bool, conv func(k, v []byte) ([]byte, error)) func(*bbolt.Tx, []byte) ([]byte, error) {
	return func(tx *bbolt.Tx, after []byte) ([]byte, error) {
		type kv struct{ k, v []byte }
		var out []kv
		c := tx.Bucket(bucket).Cursor()
		var k, v []byte
		if after == nil {
			k, v = c.First()
		} else if k, v = c.Seek(after); bytes.Equal(k, after) {
			k, v = c.Next()
		}
		var last []byte
		for ; k != nil && len(out) < migrateBatch; k, v = c.Next() {
			last = k
			if current(v) {
				continue
			}
			nv, err := conv(k, v)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
			out = append(out, kv{bytes.Clone(k), nv})
		}
		last = bytes.Clone(last)
		for _, r := range out {
			if err := tx.Bucket(bucket).Put(r.k, r.v); err != nil {
				return nil, err
			}
		}
		if k == nil {
			return nil, nil
		}
		return last, nil
	}
}

// dropLowTreeNodes deletes up to migrateBatch Merkle tree nodes below
// tlog.KeptLevel, which tlog computes from the events under them now. Keys
// are level‖index, so they are the first keys of the bucket.
func dropLowTreeNodes(tx *bbolt.Tx, _ []byte) ([]byte, error) {
	b := tx.Bucket(bTree)
	var del [][]byte
	c := b.Cursor()
	k, _ := c.First()
	for ; k != nil && k[0] < tlog.KeptLevel && len(del) < migrateBatch; k, _ = c.Next() {
		del = append(del, bytes.Clone(k))
	}
	for _, k := range del {
		if err := b.Delete(k); err != nil {
			return nil, err
		}
	}
	if k == nil || k[0] >= tlog.KeptLevel {
		return nil, nil
	}
	return []byte{1}, nil
}

// packEnterpriseEvents rewrites the enterprise index of the enterprises
// after the key after, whole enterprises and about migrateBatch keys per
// call, in chunks of chunkSeqs seqs (bolt.go); it returns a key that sorts
// after the last enterprise it packed, or nil at the end. The seqs are the
// same ones: only how many keys hold them changes.
func packEnterpriseEvents(tx *bbolt.Tx, after []byte) ([]byte, error) {
	b := tx.Bucket(bEventsByEnt)
	type group struct {
		uscc string
		keys [][]byte
		seqs []uint64
	}
	var groups []*group
	read := 0
	c := b.Cursor()
	var k, v []byte
	if after == nil {
		k, v = c.First()
	} else {
		k, v = c.Seek(after)
	}
	for ; k != nil; k, v = c.Next() {
		if len(k) < 9 || k[len(k)-9] != 0 {
			return nil, fmt.Errorf("events_by_enterprise: unexpected key %q", k)
		}
		uscc := string(k[:len(k)-9])
		if len(groups) == 0 || groups[len(groups)-1].uscc != uscc {
			if read >= migrateBatch {
				break
			}
			groups = append(groups, &group{uscc: uscc})
		}
		g := groups[len(groups)-1]
		seqs, err := chunkSeqsOf(k, v)
		if err != nil {
			return nil, err
		}
		g.keys, g.seqs = append(g.keys, bytes.Clone(k)), append(g.seqs, seqs...)
		read++
	}
	for _, g := range groups {
		if len(g.keys) <= (len(g.seqs)+chunkSeqs-1)/chunkSeqs {
			continue // already packed
		}
		for _, k := range g.keys {
			if err := b.Delete(k); err != nil {
				return nil, err
			}
		}
		for i := 0; i < len(g.seqs); i += chunkSeqs {
			chunk := g.seqs[i:min(i+chunkSeqs, len(g.seqs))]
			if err := b.Put(append([]byte(g.uscc+"\x00"), seqKey(chunk[0])...), encodeChunk(chunk)); err != nil {
				return nil, err
			}
		}
	}
	if k == nil {
		return nil, nil
	}
	// After every key of the last enterprise packed.
	return append([]byte(groups[len(groups)-1].uscc+"\x00"), bytes.Repeat([]byte{0xff}, 9)...), nil
}

// migrateEvents rewrites up to migrateBatch events after the seq in after
// (8 bytes, or nil for the start), each with its predecessor's stored hash.
func migrateEvents(tx *bbolt.Tx, after []byte) ([]byte, error) {
	b := tx.Bucket(bEvents)
	b.FillPercent = 1.0
	var from uint64
	var prev []byte
	if len(after) == 8 {
		from = binary.BigEndian.Uint64(after)
		if v := b.Get(after); v != nil {
			h, err := store.EventHashOf(v)
			if err != nil {
				return nil, err
			}
			prev = h
		}
	}
	type kv struct{ k, v []byte }
	var out []kv
	c := b.Cursor()
	k, v := c.Seek(seqKey(from + 1))
	for ; k != nil && len(out) < migrateBatch; k, v = c.Next() {
		seq := binary.BigEndian.Uint64(k)
		e, err := store.DecodeEvent(seq, prev, v)
		if err != nil {
			return nil, err
		}
		if !store.IsLean(v) {
			nv, err := store.EncodeEvent(e, prev)
			if err != nil {
				return nil, err
			}
			out = append(out, kv{bytes.Clone(k), nv})
		}
		prev = e.GetHash()
		from = seq
	}
	for _, r := range out {
		if err := b.Put(r.k, r.v); err != nil {
			return nil, err
		}
	}
	if k == nil {
		return nil, nil
	}
	return seqKey(from), nil
}
