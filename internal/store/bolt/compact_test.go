package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Compaction gives back the space of half-filled pages, keeps every record
// and the chain, and the store goes on writing from the same head. Writes
// made while it runs wait for it and are not lost.
func TestCompact_SmallerFileSameRecords(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	const plans = 20000
	// Ids in an order that is not the key order split pages as random ids
	// do in the server.
	for i := 0; i < plans; i += 500 {
		err := s.Update(ctx, func(tx store.Tx) error {
			for j := i; j < i+500; j++ {
				id := fmt.Sprintf("INS-%08d", (j*7919)%plans)
				if err := tx.PutInspection(&ruqiv1.Inspection{Id: id, EnterpriseUscc: "91350100M000100Y43", AgencyId: "AG-01"}); err != nil {
					return err
				}
				if err := appendOne(id)(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	before := s.Stats()
	if before.Plans != plans {
		t.Fatalf("plans counted = %d, want %d", before.Plans, plans)
	}

	var wg sync.WaitGroup
	writeErrs := make([]error, 8)
	var rep store.CompactReport
	var compactErr error
	wg.Add(1)
	go func() { defer wg.Done(); rep, compactErr = s.Compact(ctx) }()
	for w := range writeErrs {
		wg.Add(1)
		go func() { defer wg.Done(); writeErrs[w] = s.Update(ctx, appendOne(fmt.Sprintf("during-%d", w))) }()
	}
	wg.Wait()
	if compactErr != nil {
		t.Fatal(compactErr)
	}
	for w, err := range writeErrs {
		if err != nil {
			t.Fatalf("write %d during compaction: %v", w, err)
		}
	}
	if rep.BytesAfter >= rep.BytesBefore {
		t.Fatalf("compaction: %d bytes before, %d after", rep.BytesBefore, rep.BytesAfter)
	}
	fi, err := os.Stat(s.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path + ".compact"); !os.IsNotExist(err) {
		t.Errorf("temporary file left: %v", err)
	}
	if err := s.Update(ctx, appendOne("after")); err != nil {
		t.Fatal(err)
	}
	if got := s.Stats(); got.FileBytes < fi.Size() || got.Plans != plans {
		t.Errorf("stats after compaction = %+v, file %d bytes", got, fi.Size())
	}
	err = s.View(ctx, func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != uint64(plans+len(writeErrs)+1) {
			return fmt.Errorf("chain = %+v, %v", rep, err)
		}
		list, err := r.InspectionsOfEnterprise("91350100M000100Y43", store.Page{})
		if err != nil || len(list) != plans {
			return fmt.Errorf("%d inspections after compaction, %v", len(list), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A store whose file could not be opened again after a compaction answers
// every read and write with ErrUnusable (the service keeps health
// NOT_SERVING), instead of taking the server down.
func TestCompact_FileNotReopened_Unusable(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	// The state compact leaves when the reopen fails, set by the writer
	// goroutine's own rule: only under dbMu, the log stopped first (its
	// checkpoint pins the file, which bbolt's Close waits for).
	var err error
	var db *bbolt.DB
	s.onWriterDo(func() {
		if err = s.stopWAL(); err != nil {
			return
		}
		s.dbMu.Lock()
		db, s.db = s.db, nil
		s.dbMu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := s.Update(ctx, appendOne("x")); !errors.Is(err, store.ErrUnusable) {
		t.Errorf("update: %v, want ErrUnusable", err)
	}
	if err := s.View(ctx, func(store.Reader) error { return nil }); !errors.Is(err, store.ErrUnusable) {
		t.Errorf("view: %v, want ErrUnusable", err)
	}
	if _, err := s.Compact(ctx); !errors.Is(err, store.ErrUnusable) {
		t.Errorf("compact: %v, want ErrUnusable", err)
	}
}
