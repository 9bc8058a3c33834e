package bolt_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A file written by 4a01bc0 or ba6b454 (on main's history, before 3442dc0
// made blocks 256 events long) holds sealed blocks of 16 events under
// seq(first)‖0xb1 and events.sealed_next at 16·k+1; a later version opening
// it sealed blocks of 256 from there (mainSealed). Every event must read as
// written from any starting point: they read with wrong hashes, and
// listings skipped events (an upgrade trial, 2026-12-05).
func TestOpen_FileWithBlocksOf16_ReadsEveryEventFromAnywhere(t *testing.T) {
	for _, mainSealed := range []bool{false, true} {
		t.Run(fmt.Sprintf("then_256_from_801=%v", mainSealed), func(t *testing.T) { blocksOf16(t, mainSealed) })
	}
}

func blocksOf16(t *testing.T, mainSealed bool) {
	const old = 16
	path := filepath.Join(t.TempDir(), "ruqi.db")
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	var events []*ruqiv1.Event
	var prev []byte
	// 1320 events: 50 blocks of 16 sealed (1–800) and 520 single events
	// under the checkpoint, which Open seals from sealed_next (801).
	n := 5*bolt.BlockEvents + 40
	for i := 1; i <= n; i++ {
		e := &ruqiv1.Event{Seq: uint64(i), Time: timestamppb.New(at.Add(time.Duration(i) * time.Second)),
			Type: ruqiv1.EventType(1 + i%5), Actor: "officer:O-0001", InspectionId: fmt.Sprintf("INS-20261202-A%07d", i),
			EnterpriseUscc: "91510104CY4C7RGWMR", Detail: "x"}
		store.Salt(e)
		e.PrevHash = prev
		e.Hash = store.EventHash(prev, e)
		prev = e.Hash
		events = append(events, e)
	}
	sealedTo := 800
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		ev, _ := tx.CreateBucket([]byte("events"))
		var p []byte
		for first := 1; first <= n; {
			if mainSealed && first == sealedTo+1 {
				blk, err := store.EncodeEventBlock(events[first-1:first-1+bolt.BlockEvents], p)
				if err != nil || blk == nil {
					return fmt.Errorf("block at %d: %v", first, err)
				}
				if err := ev.Put(append(binary.BigEndian.AppendUint64(nil, uint64(first)), 0xb1), blk); err != nil {
					return err
				}
				p = events[first+bolt.BlockEvents-2].GetHash()
				first += bolt.BlockEvents
				continue
			}
			if first+old-1 <= sealedTo {
				blk, err := store.EncodeEventBlock(events[first-1:first-1+old], p)
				if err != nil || blk == nil {
					return fmt.Errorf("block at %d: %v", first, err)
				}
				if err := ev.Put(append(binary.BigEndian.AppendUint64(nil, uint64(first)), 0xb1), blk); err != nil {
					return err
				}
				p = events[first+old-2].GetHash()
				first += old
				continue
			}
			v, err := store.EncodeEvent(events[first-1], p)
			if err != nil {
				return err
			}
			if err := ev.Put(binary.BigEndian.AppendUint64(nil, uint64(first)), v); err != nil {
				return err
			}
			p = events[first-1].GetHash()
			first++
		}
		cp, _ := tx.CreateBucket([]byte("checkpoints"))
		if err := cp.Put(binary.BigEndian.AppendUint64(nil, uint64(n)), []byte("cp")); err != nil {
			return err
		}
		rf, _ := tx.CreateBucket([]byte("record_format"))
		for _, k := range []string{"events.done", "codes.done", "check_ins.done", "tree_nodes.done", "lean.v2"} {
			if err := rf.Put([]byte(k), []byte{1}); err != nil {
				return err
			}
		}
		return rf.Put([]byte("events.sealed_next"), binary.BigEndian.AppendUint64(nil, uint64(sealedTo+1)))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var bad []string
	err = s.View(context.Background(), func(r store.Reader) error {
		if rep, err := store.VerifyChain(r); err != nil || !rep.Intact {
			bad = append(bad, fmt.Sprintf("chain: %+v %v", rep, err))
		}
		for after := 0; after < n; after++ {
			var got *ruqiv1.Event
			err := r.Events(uint64(after), func(e *ruqiv1.Event) error { got = e; return store.ErrStop })
			switch {
			case err != nil:
				bad = append(bad, fmt.Sprintf("after %d: %v", after, err))
			case got == nil || got.GetSeq() != uint64(after+1):
				bad = append(bad, fmt.Sprintf("after %d: got seq %d, want %d", after, got.GetSeq(), after+1))
			case !proto.Equal(got, events[after]):
				bad = append(bad, fmt.Sprintf("after %d: event %d reads with hash %x, want %x", after, after+1, got.GetHash()[:4], events[after].GetHash()[:4]))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bad) > 0 {
		var skipped []string
		for _, b := range bad {
			if len(skipped) < 3 && strings.Contains(b, "got seq") {
				skipped = append(skipped, b)
			}
		}
		t.Errorf("%d of %d starting points read wrong; first: %v; skipping events: %v", len(bad), n, bad[:min(len(bad), 3)], skipped)
	}
}
