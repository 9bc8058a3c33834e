package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "ruqi.db"), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func appendOne(inspection string) func(store.Tx) error {
	return func(tx store.Tx) error {
		return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_REGISTERED, InspectionId: inspection})
	}
}

// A group is committed as one transaction. A function that fails is
// retried alone, as bbolt's Batch does: it gets its own error and writes
// nothing; one that panics panics again in its caller; one that fails only
// in company commits alone; the others commit together without them.
// The group is handed to the writer's commit directly, so that what shares
// a transaction does not depend on timing.
func TestCommitGroup_FailingFunctionsRetriedAlone(t *testing.T) {
	s := openTest(t)
	boom := errors.New("boom")
	const n = 10
	group := make([]*write, n)
	flakyCalls := 0
	for i := range group {
		fn := appendOne(fmt.Sprintf("INS-%d", i))
		switch i {
		case 3:
			fn = func(tx store.Tx) error {
				if err := appendOne("INS-3")(tx); err != nil {
					return err
				}
				return boom
			}
		case 5:
			fn = func(tx store.Tx) error {
				_ = appendOne("INS-5")(tx)
				panic("bug")
			}
		case 7: // fails the first time only: committed when retried alone
			fn = func(tx store.Tx) error {
				flakyCalls++
				if err := appendOne("INS-7")(tx); err != nil {
					return err
				}
				if flakyCalls == 1 {
					return boom
				}
				return nil
			}
		}
		group[i] = &write{fn: fn, done: make(chan writeResult, 1)}
	}
	s.commitGroup(group)

	for i, w := range group {
		r := <-w.done
		switch i {
		case 3:
			if !errors.Is(r.err, boom) || r.panicked != nil {
				t.Errorf("write 3: %+v, want its own error", r)
			}
		case 5:
			if r.panicked != "bug" {
				t.Errorf("write 5: %+v, want its panic", r)
			}
		default:
			if r.err != nil || r.panicked != nil {
				t.Errorf("write %d: %+v, want committed", i, r)
			}
		}
	}
	// Attempts: 10 (3 fails), 9 (5 panics), 8 (7 fails), 7 commit; then
	// alone: 3 fails, 5 panics, 7 commits.
	st := s.Stats()
	if st.Commits != 2 || st.Writes != 8 || st.Rollbacks != 5 {
		t.Errorf("stats = %+v, want 2 commits of 8 writes and 5 rollbacks", st)
	}
	if st.WriterCommit <= 0 || st.WriterCommit > st.WriterBusy {
		t.Errorf("writer commit time %v, busy %v: want the commit a part of the busy time", st.WriterCommit, st.WriterBusy)
	}
	var ids []string
	err := s.View(context.Background(), func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != 8 {
			return fmt.Errorf("chain = %+v, %v; want 8 intact events", rep, err)
		}
		return r.Events(0, func(e *ruqiv1.Event) error {
			ids = append(ids, e.GetInspectionId())
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprint(ids), "[INS-0 INS-1 INS-2 INS-4 INS-6 INS-8 INS-9 INS-7]"; got != want {
		t.Errorf("events = %s, want %s", got, want)
	}
}

// The head kept in memory moves only with a commit: after a rolled-back
// append, the next one follows the last committed event, in this process
// and after a reopen.
func TestHead_RolledBackAppendDoesNotAdvanceIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	boom := errors.New("boom")
	for i := 0; i < 3; i++ {
		if err := s.Update(ctx, appendOne("ok")); err != nil {
			t.Fatal(err)
		}
		err := s.Update(ctx, func(tx store.Tx) error {
			if err := appendOne("rolled back")(tx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("failing update: %v", err)
		}
		if s.head.seq != uint64(i+1) {
			t.Fatalf("head after rollback %d = %d, want %d", i, s.head.seq, i+1)
		}
	}
	check := func(s *Store) {
		t.Helper()
		err := s.View(ctx, func(r store.Reader) error {
			rep, err := store.VerifyChain(r)
			if err != nil || !rep.Intact || rep.Events != 3 {
				return fmt.Errorf("chain = %+v, %v; want 3 intact events", rep, err)
			}
			if string(rep.HeadHash) != string(s.head.hash) {
				return fmt.Errorf("head in memory %x, on disk %x", s.head.hash, rep.HeadHash)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check(s)
	s.Close()
	s, err = Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.head.seq != 3 {
		t.Fatalf("head read at open = %d, want 3", s.head.seq)
	}
	if err := s.Update(ctx, appendOne("after reopen")); err != nil {
		t.Fatal(err)
	}
	err = s.View(ctx, func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != 4 {
			return fmt.Errorf("chain after reopen = %+v, %v", rep, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
