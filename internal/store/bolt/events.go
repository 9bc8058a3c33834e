package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The events bucket holds two kinds of record, in seq order by key: a
// single event under its 8-byte big-endian seq (as AppendEvent writes it),
// and a sealed block of events (store.EncodeEventBlock; blockLen) under
// the 8-byte seq of its first event followed by blockMark. That key sorts
// after the first event's own key and before the next one's, so a cursor
// meets every event in seq order whichever form it is in.
//
// Blocks are aligned: a block of 512 holds events 512·b+1 to 512·b+512, the
// leaves under one Merkle node of level 9, so the 16 leaves under a node of
// level tlog.KeptLevel are always in one block. Files sealed before
// 2026-12-06 hold blocks of 256 (events 256·b+1 to 256·b+256), which stay as
// they are: sealing goes on with one block of 256 where needed to reach the
// next multiple of 512 (blockLen), and a reader looks for the block of 512
// and then that of 256 (blockAt). Measured on a simulated log (10,000
// plans, 98,407 events, after compaction): events take 151 B each as single
// lean records with bbolt's per-key bytes, 73 in blocks of 16, 65 in blocks
// of 64, 48 in blocks of 128, 40 in blocks of 256; on 100,000 plans whose
// events name what was decided (2026-12-06), 48.0 B of pages per event in
// blocks of 256 against 40.0 in blocks of 512 (docs/BENCHMARKS.md). Larger
// blocks compress better (the same ids and details recur), their key is
// shared by more events and a value of three to five pages wastes less of
// its last; the price is on reading one event: its block is decompressed
// (about 19 KB) and up to 511 hashes recomputed.
const (
	blockEvents       = 512
	legacyBlockEvents = 256 // the blocks of files sealed before 2026-12-06
	blockMark         = 0xb1
)

// blockLen is how many events the block sealed from first holds: 512 from
// a multiple of 512 on, and 256 from the middle of one (a file sealed in
// blocks of 256 before).
func blockLen(first uint64) uint64 {
	if (first-1)%blockEvents == 0 {
		return blockEvents
	}
	return legacyBlockEvents
}

// alignedBlock reports whether a block from first of n events is one a
// reader finds (blockAt).
func alignedBlock(first, n uint64) bool {
	return (n == blockEvents || n == legacyBlockEvents) && (first-1)%n == 0
}

// sealedNext keeps, in bRecordFormat, the seq of the first event of the
// next block to seal: blocks are sealed in order and a run that cannot be
// sealed is passed over for good.
var sealedNext = []byte("events.sealed_next")

func blockKey(first uint64) []byte { return append(seqKey(first), blockMark) }

// span returns the first seq of a record of the events bucket and how many
// events it holds.
func span(k, v []byte) (first, n uint64, err error) {
	switch {
	case len(k) == 8:
		return binary.BigEndian.Uint64(k), 1, nil
	case len(k) == 9 && k[8] == blockMark:
		n, _, err := store.EventBlockHeader(v)
		return binary.BigEndian.Uint64(k[:8]), n, err
	}
	return 0, 0, fmt.Errorf("events: unexpected key %x", k)
}

// lastHash returns the stored hash of a record's last event.
func lastHash(k, v []byte) ([]byte, error) {
	if len(k) == 9 {
		_, h, err := store.EventBlockHeader(v)
		return h, err
	}
	return store.EventHashOf(v)
}

// blockAt returns the key and value of the sealed block that holds seq,
// if it is sealed: blocks are aligned, so only one can, of 512 or of 256.
// (A bbolt cursor's Prev after a Seek that crossed a page boundary can
// return nil, so the block is looked up rather than stepped back to.)
func blockAt(b *bbolt.Bucket, seq uint64) ([]byte, []byte) {
	if seq == 0 {
		return nil, nil
	}
	for _, n := range []uint64{blockEvents, legacyBlockEvents} {
		k := blockKey((seq-1)/n*n + 1)
		v := b.Get(k)
		if v == nil {
			continue
		}
		if first, size, err := span(k, v); err != nil || seq <= first+size-1 {
			// A block that cannot be read is the caller's to report.
			return k, v
		}
	}
	return nil, nil
}

// seekRecord positions c at the record that holds seq, or else at the
// first record after it.
func seekRecord(b *bbolt.Bucket, c *bbolt.Cursor, seq uint64) ([]byte, []byte) {
	if k, _ := blockAt(b, seq); k != nil {
		return c.Seek(k)
	}
	return c.Seek(seqKey(seq))
}

// prevHash returns the stored hash of event seq−1, the predecessor of a
// record that starts at seq, or nil if there is none (seq 1, or a gap).
func prevHash(b *bbolt.Bucket, seq uint64) ([]byte, error) {
	if seq <= 1 {
		return nil, nil
	}
	if k, v := blockAt(b, seq-1); k != nil {
		first, n, err := span(k, v)
		if err != nil || first+n-1 != seq-1 {
			return nil, err
		}
		return lastHash(k, v)
	}
	if v := b.Get(seqKey(seq - 1)); v != nil {
		return store.EventHashOf(v)
	}
	return nil, nil
}

// walkRecord calls fn with the events of one record, whose predecessor's
// hash is prev, until fn returns an error.
func walkRecord(k, v, prev []byte, fn func(*ruqiv1.Event) error) error {
	first, _, err := span(k, v)
	if err != nil {
		return err
	}
	if len(k) == 9 {
		return store.WalkEventBlock(first, prev, v, fn)
	}
	e, err := store.DecodeEvent(first, prev, v)
	if err != nil {
		return fmt.Errorf("event %d: %w", first, err)
	}
	return fn(e)
}

// walkEvents calls fn for each event with seq > afterSeq in order, each
// with prev_hash from its predecessor's stored hash.
func walkEvents(b *bbolt.Bucket, afterSeq uint64, fn func(*ruqiv1.Event) error) error {
	c := b.Cursor()
	k, v := seekRecord(b, c, afterSeq+1)
	if k == nil {
		return nil
	}
	first, _, err := span(k, v)
	if err != nil {
		return err
	}
	prev, err := prevHash(b, first)
	if err != nil {
		return err
	}
	for ; k != nil; k, v = c.Next() {
		err := walkRecord(k, v, prev, func(e *ruqiv1.Event) error {
			prev = e.GetHash()
			if e.GetSeq() <= afterSeq {
				return nil
			}
			return fn(e)
		})
		if errors.Is(err, store.ErrStop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// headOf returns the last seq of the log and its stored hash.
func headOf(b *bbolt.Bucket) (uint64, []byte, error) {
	k, v := b.Cursor().Last()
	if k == nil {
		return 0, nil, nil
	}
	first, n, err := span(k, v)
	if err != nil {
		return 0, nil, err
	}
	h, err := lastHash(k, v)
	return first + n - 1, h, err
}

// sealEvents packs the complete, aligned runs of single events up to seq
// size into blocks, at most maxBlocks of them, and reports whether it
// stopped for that limit.
func sealEvents(t *txn, size uint64, maxBlocks int) (more bool, err error) {
	meta := t.bucket(bRecordFormat) // made by Open
	next := uint64(1)
	if v := meta.Get(sealedNext); len(v) == 8 {
		next = binary.BigEndian.Uint64(v)
	}
	b := t.bucket(bEvents)
	b.fill()
	start := next
	for sealed := 0; next+blockLen(next)-1 <= size; next += blockLen(next) {
		if sealed == maxBlocks {
			more = true
			break
		}
		took, err := sealBlock(b, next, blockLen(next), t.preseal)
		if err != nil {
			return false, err
		}
		if took {
			t.presealTaken++
		}
		sealed++
	}
	if next == start {
		return more, nil
	}
	return more, meta.Put(sealedNext, seqKey(next))
}

// sealBlock replaces events first to first+n−1 by their block if all are
// single records and make a block that reads back as they do; otherwise it
// leaves them as they are. A block the presealer made from these very
// records is taken as it is (preseal.go), and took says so.
func sealBlock(b bucketW, first, n uint64, pre *presealer) (took bool, err error) {
	prev, err := prevHash(b.b, first)
	if err != nil {
		return false, err
	}
	if pb := pre.kept(first); pb != nil && pb.matches(b, first, n, prev) {
		if pb.blk == nil {
			return true, nil
		}
		return true, replaceByBlock(b, first, n, pb.blk)
	}
	pb, err := blockOf(b.b, first, n, prev)
	if pb == nil || pb.blk == nil {
		return false, err
	}
	return false, replaceByBlock(b, first, n, pb.blk)
}

// replaceByBlock deletes the single events first to first+n−1 and puts
// their block.
func replaceByBlock(b bucketW, first, n uint64, blk []byte) error {
	for seq := first; seq < first+n; seq++ {
		if err := b.Delete(seqKey(seq)); err != nil {
			return err
		}
	}
	return b.Put(blockKey(first), blk)
}
