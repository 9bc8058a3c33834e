package store_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// chainV3 is chain's events hashed as new events are (store.Chain, v3).
func chainV3(n int, first uint64, prev []byte) []*ruqiv1.Event {
	es := chain(n, prev)
	for i, e := range es {
		e.Seq, e.Salt, e.PrevHash = first+uint64(i), nil, prev
		store.Chain(prev, e)
		prev = e.GetHash()
	}
	return es
}

// intact is what verification asks of a run of events read back: each
// follows the one before, by seq and by hash, and each hash is its
// contents'.
func intact(first uint64, prev []byte, es []*ruqiv1.Event) error {
	for i, e := range es {
		if e.GetSeq() != first+uint64(i) || !bytes.Equal(e.GetPrevHash(), prev) || !bytes.Equal(store.EventHash(prev, e), e.GetHash()) {
			return fmt.Errorf("broken at event %d", e.GetSeq())
		}
		prev = e.GetHash()
	}
	return nil
}

// withLast returns block b with the stored hash of its last event replaced
// by last (of the same length): what someone who rewrote a block's fields
// and wants its reads to end at the hash that was signed would store.
func withLast(t *testing.T, b, last []byte) []byte {
	t.Helper()
	_, h, err := store.EventBlockHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, h)
	if i < 0 || len(h) != len(last) {
		t.Fatal("no last hash in the block's header")
	}
	out := bytes.Clone(b)
	copy(out[i:], last)
	return out
}

// A sealed block keeps only its last event's hash and recomputes the
// others when read. Whatever is changed in it, any field of any event, the
// order of the salts or the seq it is read from, the events read back no
// longer end at the stored hash: the change is seen where the chain is
// verified, and (for an event before the last) in the Merkle root.
func TestEventBlock_AnyChange_BreaksTheChainAtTheStoredHash(t *testing.T) {
	const first, n = 513, 16
	prev := bytes.Repeat([]byte{7}, 32)
	es := chainV3(n, first, prev)
	b, err := store.EncodeEventBlock(es, prev)
	if err != nil || b == nil {
		t.Fatalf("block %v %v", b, err)
	}
	back, err := store.DecodeEventBlock(first, prev, b)
	if err != nil || intact(first, prev, back) != nil {
		t.Fatalf("the block as sealed does not verify: %v %v", err, intact(first, prev, back))
	}
	last := es[n-1].GetHash()
	changes := map[string]func(*ruqiv1.Event){
		"time":       func(e *ruqiv1.Event) { e.Time = timestamppb.New(time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)) },
		"type":       func(e *ruqiv1.Event) { e.Type = ruqiv1.EventType_EVENT_TYPE_REFUSED },
		"actor":      func(e *ruqiv1.Event) { e.Actor = "system" },
		"inspection": func(e *ruqiv1.Event) { e.InspectionId = "INS-X" },
		"enterprise": func(e *ruqiv1.Event) { e.EnterpriseUscc = "91510104CY4C7RGWMS" },
		"officer":    func(e *ruqiv1.Event) { e.OfficerId = "O-0002" },
		"detail":     func(e *ruqiv1.Event) { e.Detail = "changed" },
		"salt":       func(e *ruqiv1.Event) { e.Salt[5] ^= 1 },
		"salt as v2": func(e *ruqiv1.Event) { e.Salt = e.Salt[1:] },
	}
	for _, at := range []int{0, 5, n - 1} {
		for name, change := range changes {
			t.Run(fmt.Sprintf("%s of event %d", name, at), func(t *testing.T) {
				ch := make([]*ruqiv1.Event, n)
				for i := range es {
					ch[i] = proto.Clone(es[i]).(*ruqiv1.Event)
				}
				change(ch[at])
				// Re-chain from the changed event on, so the block seals,
				// then put back the hash that was signed.
				p := prev
				for _, e := range ch {
					e.PrevHash = p
					e.Hash = store.EventHash(p, e)
					p = e.Hash
				}
				nb, err := store.EncodeEventBlock(ch, prev)
				if err != nil || nb == nil {
					t.Fatalf("rewritten block not sealed: %v", err)
				}
				got, err := store.DecodeEventBlock(first, prev, withLast(t, nb, last))
				if err != nil {
					return // unreadable: seen
				}
				if intact(first, prev, got) == nil {
					t.Fatalf("a block whose event %d's %s was changed reads as an intact chain", at, name)
				}
			})
		}
	}
	// The salts swapped in the header, or the block read from another seq
	// or after another hash.
	h0, h1 := es[3].GetSalt(), es[4].GetSalt()
	swapped := bytes.Clone(b)
	i, j := bytes.Index(swapped, h0), bytes.Index(swapped, h1)
	copy(swapped[i:], h1)
	copy(swapped[j:], h0)
	if got, err := store.DecodeEventBlock(first, prev, swapped); err == nil && intact(first, prev, got) == nil {
		t.Error("a block with two salts swapped reads as an intact chain")
	}
	if got, err := store.DecodeEventBlock(first+1, prev, b); err == nil && intact(first+1, prev, got) == nil {
		t.Error("a block read from the next seq reads as an intact chain")
	}
	if got, err := store.DecodeEventBlock(first, bytes.Repeat([]byte{8}, 32), b); err == nil && intact(first, bytes.Repeat([]byte{8}, 32), got) == nil {
		t.Error("a block read after another hash reads as an intact chain")
	}
}
