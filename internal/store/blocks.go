package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"fmt"
	"io"
	"sync"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Sealed event blocks (docs/ARCHITECTURE.md, "Records and storage"). Once
// a run of consecutive events is in the Merkle log, a store may keep it as
// one record: the events' fields compressed together (their ids, actors and
// details repeat from one event to the next), each salt as it is (random:
// it does not compress), and the hash of the last event only. The other
// hashes are recomputed when the block is read, each from its
// predecessor's, as they were made; the last is compared by whoever
// verifies the chain, so a change to any event of the block is seen there
// (at the block's last seq) and in the Merkle root of the signed
// checkpoint. The block's first predecessor hash is the previous record's,
// as for a single lean event.
//
// Compression is the standard library's DEFLATE, which adds no dependency:
// on the fields of a simulated log's events (100 B each) it keeps 41% of
// the bytes in blocks of 16 events, 21% in blocks of 128.
const leanEventBlockV1 = 0x04

// maxBlockBody bounds what a block's header may claim its fields take, so
// that a damaged record cannot make a reader allocate without limit.
const maxBlockBody = 1 << 24

var (
	flateWriters = sync.Pool{New: func() any {
		w, err := flate.NewWriter(nil, flate.BestCompression)
		if err != nil {
			panic(err) // only for an invalid level
		}
		return w
	}}
	flateReaders = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
)

// EncodeEventBlock returns the sealed block of the consecutive events es,
// the first of which follows an event whose hash is prev (nil for the
// first event of the log). It returns nil, and no error, when the events
// cannot be sealed without losing what they say: seqs not consecutive, a
// prev_hash or hash that is not the one the chain gives (a broken chain is
// kept as it is, for verification to find), or a block that would not read
// back as exactly these events. Such events stay single records.
func EncodeEventBlock(es []*ruqiv1.Event, prev []byte) ([]byte, error) {
	if len(es) == 0 {
		return nil, nil
	}
	p := prev
	for i, e := range es {
		if e.GetSeq() != es[0].GetSeq()+uint64(i) || !bytesEqual(e.GetPrevHash(), p) || !bytesEqual(EventHash(p, e), e.GetHash()) {
			return nil, nil
		}
		p = e.GetHash()
	}
	var body []byte
	var sec int64 // seconds as the difference from the previous event's: mostly 0
	for _, e := range es {
		body = appendEventFields(body, e, 0, sec)
		if e.GetTime() != nil {
			sec = e.GetTime().GetSeconds()
		}
	}
	b := []byte{leanMark, leanEventBlockV1}
	b = binary.AppendUvarint(b, uint64(len(es)))
	b = appendBytes(b, es[len(es)-1].GetHash())
	for _, e := range es {
		b = appendBytes(b, e.GetSalt())
	}
	b = binary.AppendUvarint(b, uint64(len(body)))
	var buf bytes.Buffer
	buf.Write(b)
	w := flateWriters.Get().(*flate.Writer)
	defer flateWriters.Put(w)
	w.Reset(&buf)
	if _, err := w.Write(body); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	b = buf.Bytes()
	back, err := DecodeEventBlock(es[0].GetSeq(), prev, b)
	if err != nil || len(back) != len(es) {
		return nil, nil
	}
	for i := range es {
		if !sameEvent(back[i], es[i]) {
			return nil, nil
		}
	}
	return b, nil
}

// IsEventBlock reports whether a stored record is a sealed event block.
func IsEventBlock(b []byte) bool { return IsLean(b) && b[1] == leanEventBlockV1 }

// EventBlockHeader reads a block's number of events and the stored hash of
// its last event without decompressing the rest.
func EventBlockHeader(b []byte) (n uint64, last []byte, err error) {
	if !IsEventBlock(b) {
		return 0, nil, fmt.Errorf("not an event block")
	}
	d := decoder{b: b[2:]}
	n, last = d.uvarint(), d.bytes()
	if d.err == nil && n == 0 {
		d.err = fmt.Errorf("empty event block")
	}
	return n, last, d.err
}

// DecodeEventBlock reads a sealed block whose first event has seq first
// and follows an event whose hash is prev. Every hash but the last is
// recomputed; the last is the stored one.
func DecodeEventBlock(first uint64, prev, b []byte) ([]*ruqiv1.Event, error) {
	var es []*ruqiv1.Event
	err := WalkEventBlock(first, prev, b, func(e *ruqiv1.Event) error {
		es = append(es, e)
		return nil
	})
	return es, err
}

// WalkEventBlock calls fn with the events of a block in order, as
// DecodeEventBlock reads them, and stops at fn's first error, which it
// returns: a reader that wants one event does not recompute the hashes
// after it.
func WalkEventBlock(first uint64, prev, b []byte, fn func(*ruqiv1.Event) error) error {
	n, last, err := EventBlockHeader(b)
	if err != nil {
		return fmt.Errorf("event block %d: %w", first, err)
	}
	d := decoder{b: b[2:]}
	d.uvarint()
	d.bytes()
	if n > uint64(len(b)) { // every event takes at least its salt's length byte
		return fmt.Errorf("event block %d: %d events in %d bytes", first, n, len(b))
	}
	es := make([]ruqiv1.Event, n)
	for i := range es {
		es[i].Seq, es[i].Salt = first+uint64(i), d.bytes()
	}
	size := d.uvarint()
	if d.err != nil {
		return fmt.Errorf("event block %d: %w", first, d.err)
	}
	if size > maxBlockBody {
		return fmt.Errorf("event block %d: %d bytes of fields", first, size)
	}
	r := flateReaders.Get().(io.ReadCloser)
	defer flateReaders.Put(r)
	if err := r.(flate.Resetter).Reset(bytes.NewReader(d.b), nil); err != nil {
		return err
	}
	body := make([]byte, size+1)
	if k, err := io.ReadFull(r, body); uint64(k) != size || err != io.ErrUnexpectedEOF {
		if err == nil {
			err = fmt.Errorf("fields longer than the %d bytes stated", size)
		}
		return fmt.Errorf("event block %d: %w", first, err)
	}
	d = decoder{b: body[:size]}
	var sec int64
	p := prev
	for i := range es {
		e := &es[i]
		d.eventFields(e, sec)
		if e.Time != nil {
			sec = e.Time.GetSeconds()
		}
		if i == len(es)-1 {
			if err := d.done(); err != nil {
				return fmt.Errorf("event block %d: %w", first, err)
			}
		} else if d.err != nil {
			return fmt.Errorf("event block %d: %w", first, d.err)
		}
		e.PrevHash = cloneOrNil(p)
		if i == len(es)-1 {
			e.Hash = last
		} else {
			e.Hash = EventHash(p, e)
		}
		p = e.Hash
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}
