package postgres_test

import (
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// A counter back at zero is dropped as the sequencer folds it, as bbolt
// keeps no key for it: the start counts of every hour gone by
// (report.PruneStarts takes them to zero) stayed as zero rows, one per plan
// for good, and every hourly pruning read them all again.
func TestFoldCounts_ZeroDropped(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	s, err := postgres.Open(ctx, url, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	add := func(key string, n int64) {
		t.Helper()
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.AddCount(key, n) }); err != nil {
			t.Fatal(err)
		}
	}
	add("S|510104|AG-01|202612060800", 3)
	add("S|510104|AG-01|202612060900", 2)
	add("S|510104|AG-01|202612060800", -3)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// The sequencer folds the deltas every SequenceInterval; a bound on the
	// wait only fails a test whose sequencer never folds.
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var pending int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM count_deltas").Scan(&pending); err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d count deltas never folded", pending)
		}
	}
	var rows int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM counts WHERE key LIKE 'S|%'").Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != 1 {
		t.Errorf("%d start-count rows after one went back to zero, want 1 (the other)", rows)
	}
	err = s.View(ctx, func(r store.Reader) error {
		got := map[string]int64{}
		if err := r.Counts("S|", func(k string, n int64) error { got[k] = n; return nil }); err != nil {
			return err
		}
		if len(got) != 1 || got["S|510104|AG-01|202612060900"] != 2 {
			t.Errorf("start counts %v, want only the 09:00 one, 2", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
