package bolt_test

import (
	"context"
	"encoding/binary"
	"testing"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A file sealed in blocks of 256 before 2026-12-06 keeps them: sealing goes
// on with one block of 256 up to the next multiple of 512, then in blocks of
// 512, and every event reads back in place and in order, from any seq.
func TestSealedBlocks_Of256Kept_ThenOf512(t *testing.T) {
	path := t.TempDir() + "/ruqi.db"
	s, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const total = 1600
	if err := s.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < total; i++ {
			if err := tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED, Detail: "VERDICT_EXPIRED"}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Blocks of 256 at 1, 257 and 513, as the version before sealed them.
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket([]byte("events"))
		var prev []byte
		for first := uint64(1); first <= 513; first += 256 {
			var es []*ruqiv1.Event
			p := prev
			for seq := first; seq < first+256; seq++ {
				k := binary.BigEndian.AppendUint64(nil, seq)
				e, err := store.DecodeEvent(seq, p, b.Get(k))
				if err != nil {
					return err
				}
				es, p = append(es, e), e.GetHash()
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			blk, err := store.EncodeEventBlock(es, prev)
			if err != nil {
				return err
			}
			if err := b.Put(append(binary.BigEndian.AppendUint64(nil, first), 0xb1), blk); err != nil {
				return err
			}
			prev = p
		}
		return tx.Bucket([]byte("record_format")).Put([]byte("events.sealed_next"), binary.BigEndian.AppendUint64(nil, 769))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	s, err = bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.SealEvents(total) }); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// The blocks: 256 at 1, 257, 513 (kept) and 769 (to reach 1025), then
	// 512 at 1025; events 1537 to 1600 still single.
	db, err = bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var blocks []uint64
	singles := 0
	db.View(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("events")).ForEach(func(k, v []byte) error {
			if len(k) == 9 {
				n, _, err := store.EventBlockHeader(v)
				blocks = append(blocks, binary.BigEndian.Uint64(k[:8]), n)
				return err
			}
			singles++
			return nil
		})
	})
	db.Close()
	want := []uint64{1, 256, 257, 256, 513, 256, 769, 256, 1025, 512}
	if len(blocks) != len(want) || singles != total-1536 {
		t.Fatalf("blocks (first, events) %v and %d single events, want %v and %d", blocks, singles, want, total-1536)
	}
	for i := range want {
		if blocks[i] != want[i] {
			t.Fatalf("blocks (first, events) %v, want %v", blocks, want)
		}
	}

	if rep := verifyChain(t, path); !rep.Intact || rep.Events != total {
		t.Fatalf("chain over blocks of 256 and 512: %+v", rep)
	}
	s, err = bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// From any seq, the next event is the right one, with its predecessor's
	// hash: in a block of 256 at a multiple of 512, in the one after it, in
	// a block of 512, and among the single events.
	for _, after := range []uint64{0, 100, 255, 256, 300, 600, 768, 800, 1024, 1100, 1535, 1536, 1599} {
		err := s.View(ctx, func(r store.Reader) error {
			return r.Events(after, func(e *ruqiv1.Event) error {
				if e.GetSeq() != after+1 || (after > 0 && len(e.GetPrevHash()) == 0) {
					t.Errorf("after %d: event %d (prev %x)", after, e.GetSeq(), e.GetPrevHash())
				}
				return store.ErrStop
			})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
