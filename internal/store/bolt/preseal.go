package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Sealed blocks made ahead of the writer.
//
// Sealing (sealEvents) runs in the integrator's write: the one writer
// goroutine decoded 512 single events, compressed them and read the block
// back before it could delete the singles (2.5 of its 28.9 CPU-seconds in a
// 40-s profile of the province-year), while every registration and scan
// waited behind it: p99.9 of a scan at 32 clients was 82 ms with it, 32–37
// without (docs/BENCHMARKS.md, 2026-12-07). A committed event never changes, so its block
// can be made as soon as the log's head passes the block's last event: a
// goroutine of the store (presealLoop) makes each complete block in a read
// transaction and keeps it with the exact records it read. sealBlock takes a
// kept block only when every record it finds is, byte for byte, one it was
// made from, and the predecessor's hash is the same: the block is then the
// one it would have made itself, since a block is a function of those
// bytes. Otherwise (a block made from records since rewritten, or none made
// yet) it makes the block as before. Nothing is written ahead: a kept block
// is memory only, lost at a restart.

// presealAhead bounds the blocks kept, about 100 KB each (the records and
// the block): some 6 MB, five seconds of a province's log at full load
// against the two seconds between integrations.
const presealAhead = 64

// preparedBlock is a block made from the records vals (seq first, first+1,
// …) whose predecessor's hash is prev. blk is nil if they make no block
// (EncodeEventBlock found one that does not read back as they do). Without
// vals it is a mark: no block could be made of the run (not all single
// records, or one that does not decode), and none matches.
type preparedBlock struct {
	prev []byte
	vals [][]byte
	blk  []byte
}

type presealer struct {
	wake chan struct{} // buffered 1: the head passed a block's end
	done chan struct{} // closed when presealLoop returns

	mu     sync.Mutex
	blocks map[uint64]*preparedBlock // by first seq
	made   uint64                    // blocks made, for tests
	taken  uint64                    // blocks sealBlock took, for tests
}

func newPresealer() *presealer {
	return &presealer{wake: make(chan struct{}, 1), done: make(chan struct{}), blocks: map[uint64]*preparedBlock{}}
}

// headMoved tells the presealer, from the writer, that the committed head
// went from old to seq: it wakes if a block's end was passed.
func (p *presealer) headMoved(old, seq uint64) {
	if p == nil || old/legacyBlockEvents == seq/legacyBlockEvents {
		return
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// kept returns the block kept for first, if any. It stays kept: a group
// that rolls back seals again with it, and the presealer drops it once the
// sealing position has passed it.
func (p *presealer) kept(first uint64) *preparedBlock {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.blocks[first]
}

// tookBlocks counts the kept blocks a committed write sealed with.
func (p *presealer) tookBlocks(n int) {
	if p == nil || n == 0 {
		return
	}
	p.mu.Lock()
	p.taken += uint64(n)
	p.mu.Unlock()
}

// presealLoop makes blocks once at the start (events left unsealed before
// it) and then each time the writer says the head passed a block's end,
// until the store closes or a read panics.
func (s *Store) presealLoop() {
	p := s.preseal
	defer close(p.done)
	for {
		for {
			made, err := s.presealNext()
			if err != nil {
				// A damaged page makes bbolt panic. The writer's own
				// sealing meets it in a write, which fails with the
				// error; here it would have ended the server. Blocks
				// are made by the writer from now on.
				s.opts.logger().Error("sealed blocks are no longer made ahead of the writer", "err", err)
				return
			}
			if !made {
				break
			}
			select {
			case <-s.closed:
				return
			default:
			}
		}
		select {
		case <-p.wake:
		case <-s.closed:
			return
		}
	}
}

// presealNext drops the blocks behind the sealing position and makes the
// first complete block from there on that is not kept yet, within
// presealAhead of that position. It reports whether it kept one (then
// there may be more); a run it cannot make a block of is kept as a mark
// (no records), which sealing passes over as it does any block that does
// not match. It returns an error only for a panic of bbolt's.
func (s *Store) presealNext() (made bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			made, err = false, fmt.Errorf("reading the events: %v", r)
		}
	}()
	p := s.preseal
	var first uint64
	var pb *preparedBlock
	verr := s.view(func(tx *bbolt.Tx) error {
		next := uint64(1)
		if v := tx.Bucket(bRecordFormat).Get(sealedNext); len(v) == 8 {
			next = binary.BigEndian.Uint64(v)
		}
		head, _, err := readHead(tx)
		if err != nil {
			return err
		}
		p.mu.Lock()
		for f := range p.blocks {
			if f < next {
				delete(p.blocks, f)
			}
		}
		for n := 0; n < presealAhead && next+blockLen(next)-1 <= head; n, next = n+1, next+blockLen(next) {
			if p.blocks[next] == nil {
				first = next
				break
			}
		}
		p.mu.Unlock()
		if first == 0 {
			return nil
		}
		// An error here (a record that does not decode) leaves pb nil:
		// the mark below, and the writer says what is wrong if sealing
		// meets it.
		pb, _ = presealRead(tx.Bucket(bEvents), first, blockLen(first))
		return nil
	})
	if verr != nil || first == 0 {
		// Nothing to make, or no file to read (closed, swapped out): the
		// next wake tries again.
		return false, nil
	}
	if pb == nil {
		pb = &preparedBlock{}
	}
	p.mu.Lock()
	p.blocks[first], p.made = pb, p.made+1
	p.mu.Unlock()
	return true, nil
}

// presealRead is prepareBlock, but in tests of a read that panics.
var presealRead = prepareBlock

// prepareBlock makes the block of the n single events from first, or
// returns nil if they are not all single records.
func prepareBlock(b *bbolt.Bucket, first, n uint64) (*preparedBlock, error) {
	prev, err := prevHash(b, first)
	if err != nil {
		return nil, err
	}
	return blockOf(b, first, n, prev)
}

// blockOf is prepareBlock, the predecessor's hash prev read: the block, or
// nil if the events are not all single records. Sealing calls it too, for
// a block not made ahead.
func blockOf(b *bbolt.Bucket, first, n uint64, prev []byte) (pb *preparedBlock, err error) {
	pb = &preparedBlock{prev: bytes.Clone(prev), vals: make([][]byte, 0, n)}
	es := make([]*ruqiv1.Event, 0, n)
	p := prev
	c := b.Cursor()
	for k, v := c.Seek(seqKey(first)); k != nil && uint64(len(es)) < n; k, v = c.Next() {
		if len(k) != 8 || binary.BigEndian.Uint64(k) != first+uint64(len(es)) {
			return nil, nil
		}
		e, err := store.DecodeEvent(first+uint64(len(es)), p, v)
		if err != nil {
			return nil, err
		}
		pb.vals, es, p = append(pb.vals, bytes.Clone(v)), append(es, e), e.GetHash()
	}
	if uint64(len(es)) < n {
		return nil, nil
	}
	if pb.blk, err = store.EncodeEventBlock(es, prev); err != nil {
		return nil, err
	}
	return pb, nil
}

// matches reports whether the n records from first in b, and the hash
// before them, are those pb was made from.
func (pb *preparedBlock) matches(b bucketW, first, n uint64, prev []byte) bool {
	if uint64(len(pb.vals)) != n || !bytes.Equal(pb.prev, prev) {
		return false
	}
	c := b.Cursor()
	i := uint64(0)
	for k, v := c.Seek(seqKey(first)); k != nil && i < n; k, v = c.Next() {
		if len(k) != 8 || binary.BigEndian.Uint64(k) != first+i || !bytes.Equal(v, pb.vals[i]) {
			return false
		}
		i++
	}
	return i == n
}
