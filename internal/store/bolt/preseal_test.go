package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// appendEvents appends n events, each in its own write as registrations
// and scans do, so that the head passes block ends between commits.
func appendEvents(t *testing.T, s *Store, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := s.Update(context.Background(), func(tx store.Tx) error {
			return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED,
				EnterpriseUscc: fmt.Sprintf("91510100MA%08d", i%37), Detail: "VERDICT_EXPIRED"})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// waitMade waits until the presealer has made n blocks.
func waitMade(t *testing.T, s *Store, n uint64) {
	t.Helper()
	for range 2000 {
		s.preseal.mu.Lock()
		made := s.preseal.made
		s.preseal.mu.Unlock()
		if made >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("the presealer made fewer than %d blocks", n)
}

func seal(t *testing.T, s *Store, size uint64) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx store.Tx) error { return tx.SealEvents(size) }); err != nil {
		t.Fatal(err)
	}
}

// wantBlocks checks that each block from 1 is the one the events it
// replaced encode to, as sealing makes it without the presealer: the
// events read back through the store, encoded again here.
func wantBlocks(t *testing.T, s *Store, blocks int) {
	t.Helper()
	var es []*ruqiv1.Event
	if err := s.View(context.Background(), func(r store.Reader) error {
		return r.Events(0, func(e *ruqiv1.Event) error { es = append(es, e); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	err := s.view(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bEvents)
		var prev []byte
		for i := range blocks {
			first := uint64(i*blockEvents + 1)
			run := es[i*blockEvents : (i+1)*blockEvents]
			want, err := store.EncodeEventBlock(run, prev)
			if err != nil {
				return err
			}
			if got := b.Get(blockKey(first)); !bytes.Equal(got, want) {
				return fmt.Errorf("block from %d: %d bytes stored, want the %d its events encode to", first, len(got), len(want))
			}
			if b.Get(seqKey(first)) != nil {
				return fmt.Errorf("event %d is still a single record beside its block", first)
			}
			prev = run[len(run)-1].GetHash()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Blocks made ahead are the ones the writer would have made: after the
// presealer made them, sealing takes them and stores the same bytes the
// events encode to.
func TestPreseal_WriterTakesBlocksMadeAhead(t *testing.T) {
	s := openAt(t, t.TempDir()+"/ruqi.db")
	defer s.Close()
	appendEvents(t, s, 3*blockEvents+10)
	waitMade(t, s, 3)
	seal(t, s, 3*blockEvents+10)
	wantBlocks(t, s, 3)
	if taken := presealTaken(s); taken != 3 {
		t.Fatalf("sealing took %d blocks made ahead, want 3", taken)
	}
}

// sealWant seals the blocks up to n·512, checks them (wantBlocks) and that
// taken of them were made ahead.
func sealWant(t *testing.T, s *Store, n int, taken uint64) {
	t.Helper()
	seal(t, s, uint64(n*blockEvents))
	wantBlocks(t, s, n)
	if got := presealTaken(s); got != taken {
		t.Fatalf("sealing took %d blocks made ahead, want %d", got, taken)
	}
}

func presealTaken(s *Store) uint64 {
	s.preseal.mu.Lock()
	defer s.preseal.mu.Unlock()
	return s.preseal.taken
}

// A write that seals with blocks made ahead and then rolls back leaves
// them kept: the write that seals next takes them, where it made them
// again in the writer; and only a committed write counts them.
func TestPreseal_RolledBackWrite_BlocksStillKept(t *testing.T) {
	s := openAt(t, t.TempDir()+"/ruqi.db")
	defer s.Close()
	appendEvents(t, s, 2*blockEvents)
	waitMade(t, s, 2)
	failed := errors.New("a later function of the group failed")
	if err := s.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.SealEvents(2 * blockEvents); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("the write returned %v", err)
	}
	if taken := presealTaken(s); taken != 0 {
		t.Fatalf("a write rolled back counted %d blocks taken", taken)
	}
	sealWant(t, s, 2, 2)
}

// A read that panics (bbolt does on a damaged page) ends the presealer,
// not the server: the writer seals as before.
func TestPreseal_ReadPanics_WriterSealsAlone(t *testing.T) {
	restore := presealRead
	presealRead = func(*bbolt.Bucket, uint64, uint64) (*preparedBlock, error) {
		panic("assertion failed: Page expected to be: 20, but self identifies as 0")
	}
	defer func() { presealRead = restore }()
	s := openAt(t, t.TempDir()+"/ruqi.db")
	defer s.Close()
	appendEvents(t, s, 2*blockEvents)
	select {
	case <-s.preseal.done:
	case <-time.After(20 * time.Second):
		t.Fatal("the presealer did not end after its read panicked")
	}
	appendEvents(t, s, blockEvents)
	sealWant(t, s, 3, 0)
}

// A block made from records that are not those the writer finds is not
// taken: the writer makes the block from what the file holds.
func TestPreseal_BlockFromOtherRecords_NotTaken(t *testing.T) {
	s := openAt(t, t.TempDir()+"/ruqi.db")
	defer s.Close()
	appendEvents(t, s, 2*blockEvents)
	waitMade(t, s, 2)
	// As if the presealer had read other records: one event's bytes in
	// the first block, the predecessor's hash of the second, each with a
	// block that is not theirs.
	s.preseal.mu.Lock()
	for first, pb := range s.preseal.blocks {
		pb.blk = []byte("not this block")
		if first == 1 {
			pb.vals[7] = append(bytes.Clone(pb.vals[7]), 0)
		} else {
			pb.prev = bytes.Repeat([]byte{1}, 32)
		}
	}
	s.preseal.mu.Unlock()
	sealWant(t, s, 2, 0)
}

// The presealer keeps at most presealAhead blocks, from the sealing
// position on, and drops those sealed.
func TestPreseal_KeepsBoundedWindow(t *testing.T) {
	s := openAt(t, t.TempDir()+"/ruqi.db")
	defer s.Close()
	// One write of many blocks: the head passes them all at once.
	if err := s.Update(context.Background(), func(tx store.Tx) error {
		for i := 0; i < (presealAhead+6)*blockEvents; i++ {
			if err := tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	waitMade(t, s, presealAhead)
	time.Sleep(50 * time.Millisecond) // time to make more, if it would
	s.preseal.mu.Lock()
	kept := len(s.preseal.blocks)
	s.preseal.mu.Unlock()
	if kept != presealAhead {
		t.Fatalf("%d blocks kept, want %d", kept, presealAhead)
	}
	// Sealing the first ten takes them; the presealer, woken by the next
	// write, drops them (and no other) and makes the next ones.
	seal(t, s, 10*blockEvents)
	appendEvents(t, s, blockEvents)
	waitMade(t, s, presealAhead+7) // blocks 65 to 71
	s.preseal.mu.Lock()
	defer s.preseal.mu.Unlock()
	for f := range s.preseal.blocks {
		if f < 10*blockEvents+1 {
			t.Errorf("block from %d kept after sealing up to %d", f, 10*blockEvents)
		}
	}
	if len(s.preseal.blocks) > presealAhead {
		t.Errorf("%d blocks kept, more than %d", len(s.preseal.blocks), presealAhead)
	}
	var next uint64
	if err := s.view(func(tx *bbolt.Tx) error {
		next = binary.BigEndian.Uint64(tx.Bucket(bRecordFormat).Get(sealedNext))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if next != 10*blockEvents+1 || s.preseal.taken != 10 {
		t.Errorf("sealed up to %d with %d blocks made ahead, want %d and 10", next-1, s.preseal.taken, 10*blockEvents)
	}
	if len(s.preseal.blocks) != presealAhead+7-10 {
		t.Errorf("%d blocks kept, want the %d from the sealing position on", len(s.preseal.blocks), presealAhead+7-10)
	}
}
