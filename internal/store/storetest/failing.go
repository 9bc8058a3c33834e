package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// One writer among many concurrent ones writes a record and an event and
// then fails. Backends that share a transaction among writers must roll
// back and retry the others without it: they all commit, it writes
// nothing, and the log's head does not count its event, so the next
// append follows the last committed one.
func testFailingWriterAmongMany(t *testing.T, o Opener) {
	s := open(t, o)
	const writers, rounds, failing = 32, 4, 13
	boom := errors.New("boom")
	id := func(w, r int) string { return fmt.Sprintf("INS-%02d-%d", w, r) }
	for r := 0; r < rounds; r++ {
		var wg sync.WaitGroup
		errs := make([]error, writers)
		for w := 0; w < writers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[w] = s.Update(ctx, func(tx store.Tx) error {
					if err := tx.PutInspection(sampleInspection(id(w, r), "91350100M000100Y43")); err != nil {
						return err
					}
					if err := tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_REGISTERED, id(w, r))); err != nil {
						return err
					}
					if w == failing {
						return boom
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for w, err := range errs {
			if w == failing && !errors.Is(err, boom) {
				t.Fatalf("round %d: failing writer got %v, want its own error", r, err)
			}
			if w != failing && err != nil {
				t.Fatalf("round %d: writer %d got %v, want it committed", r, w, err)
			}
		}
	}
	update(t, s, func(tx store.Tx) error {
		return tx.AppendEvent(event(ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, "after"))
	})
	want := uint64(rounds*(writers-1) + 1)
	waitSequenced(t, s)
	err := s.View(ctx, func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != want {
			return fmt.Errorf("chain = %+v, %v; want %d intact events", rep, err, want)
		}
		seq, hash, err := r.Head()
		if err != nil || seq != want || string(hash) != string(rep.HeadHash) {
			return fmt.Errorf("head = %d %x, %v; want %d %x", seq, hash, err, want, rep.HeadHash)
		}
		for round := 0; round < rounds; round++ {
			for w := 0; w < writers; w++ {
				_, err := r.Inspection(id(w, round))
				if w == failing && !errors.Is(err, store.ErrNotFound) {
					return fmt.Errorf("the failing writer's inspection %s: %v, want not found", id(w, round), err)
				}
				if w != failing && err != nil {
					return fmt.Errorf("inspection %s: %v", id(w, round), err)
				}
			}
		}
		return r.Events(0, func(e *ruqiv1.Event) error {
			var w, round int
			if _, err := fmt.Sscanf(e.GetInspectionId(), "INS-%02d-%d", &w, &round); err == nil && w == failing {
				return fmt.Errorf("event %d of the failing writer was kept", e.GetSeq())
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
