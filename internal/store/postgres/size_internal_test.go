package postgres

import (
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A review of what grows with history, 2026-12-07: the store's size gauge
// counted every inspection ever registered (count(*)) every 30 s on each
// replica. A small store is still counted exactly; a large one is given
// PostgreSQL's estimate of its rows, without a walk.
func TestMeasureSize_LargeStore_TakesTheEstimateNotACount(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Start(t).NewDatabase(t)
	s, err := Open(ctx, url, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Update(ctx, func(tx store.Tx) error {
		for i := range 3 {
			id := fmt.Sprintf("INS-20261207-AAAAAAA%d", i+2)
			if err := tx.PutInspection(&ruqiv1.Inspection{Id: id, EnterpriseUscc: "91110000MA00000000", AgencyId: "A1"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.measureSize()
	if n := s.plans.Load(); n != 3 {
		t.Fatalf("a small store's plans: %d, want the 3 counted", n)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// As autovacuum's ANALYZE would say of a province's five years.
	if _, err := conn.Exec(ctx, `UPDATE pg_class SET reltuples = 5000000
		WHERE relname = 'inspections' AND relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())`); err != nil {
		t.Fatal(err)
	}
	s.measureSize()
	if n := s.plans.Load(); n != 5_000_000 {
		t.Errorf("a large store's plans: %d, want the estimate 5000000 (the inspections were counted, a walk of every one)", n)
	}
}
