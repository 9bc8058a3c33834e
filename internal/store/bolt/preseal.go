package bolt

import (
	"bytes"
	"encoding/binary"
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
// (EncodeEventBlock found one that does not read back as they do).
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

// take removes and returns the block kept for first, if any.
func (p *presealer) take(first uint64) *preparedBlock {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	pb := p.blocks[first]
	delete(p.blocks, first)
	return pb
}

// tookOne counts a block sealBlock took.
func (p *presealer) tookOne() {
	p.mu.Lock()
	p.taken++
	p.mu.Unlock()
}

// presealLoop makes blocks each time the writer says the head passed one,
// until the store closes.
func (s *Store) presealLoop() {
	p := s.preseal
	defer close(p.done)
	for {
		select {
		case <-p.wake:
		case <-s.closed:
			return
		}
		for s.presealNext() {
			select {
			case <-s.closed:
				return
			default:
			}
		}
	}
}

// presealNext makes the first complete block from the sealing position on
// that is not kept yet, within presealAhead of that position, and drops
// those behind it. It reports whether it made one (then there may be more).
func (s *Store) presealNext() bool {
	p := s.preseal
	var first uint64
	var pb *preparedBlock
	err := s.view(func(tx *bbolt.Tx) error {
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
		pb, err = prepareBlock(tx.Bucket(bEvents), first, blockLen(first))
		return err
	})
	if err != nil || pb == nil {
		// The writer seals what was not made here, and says why if it
		// cannot either.
		return false
	}
	p.mu.Lock()
	p.blocks[first], p.made = pb, p.made+1
	p.mu.Unlock()
	return true
}

// prepareBlock makes the block of the n single events from first, or
// returns nil if they are not all single records.
func prepareBlock(b *bbolt.Bucket, first, n uint64) (*preparedBlock, error) {
	prev, err := prevHash(b, first)
	if err != nil {
		return nil, err
	}
	pb := &preparedBlock{prev: bytes.Clone(prev), vals: make([][]byte, 0, n)}
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
