package report_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A review, 2026-12-06, fixed since (report.Add takes back no start count
// that was never added). A plan registered before the S| start counters existed has none ("count
// as begun", docs/ARCHITECTURE.md). Cancelled after the upgrade, before its
// window, its cancellation takes 1 from a start counter it never added to:
// S|…|hour goes to -1, an hour still ahead, and the report adds -1 to the
// inspections not begun. The rates' denominator then counts a cancelled
// plan: 2 begun of 1 inspection, 亮码率 50% where the one inspection begun
// was scanned.
func TestReport_LegacyPlanCancelledBeforeItsWindow_BegunNotAboveInspections(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const u, u2 = "91510104CY4C7RGWMR", "915101070AL6JK1YWK"
	update := func(f func(tx store.Tx) error) {
		t.Helper()
		if err := s.Update(context.Background(), f); err != nil {
			t.Fatal(err)
		}
	}
	legacyStart := day("2026-12-20").Add(9 * time.Hour)
	// Registered before 2026-12-06: the R| and E| counts as report.Add made
	// them then, no S| count.
	update(func(tx store.Tx) error {
		if err := tx.AddCount("R|"+string(report.Inspections)+"|202612|510104|AG-01", 1); err != nil {
			return err
		}
		return tx.AddCount("E|"+string(report.Inspections)+"|202612|510104|"+u2, 1)
	})
	// A plan registered since, begun and scanned.
	begun := day("2026-12-02").Add(10 * time.Hour)
	update(func(tx store.Tx) error {
		if err := report.Add(tx, report.Inspections, begun, "510104", "AG-01", u, 1); err != nil {
			return err
		}
		return report.Add(tx, report.Scanned, begun, "510104", "AG-01", u, 1)
	})
	// The old plan is cancelled on the 10th, before its window (as
	// inspection.Cancel counts it: the plan's metric at its window start, -1).
	update(func(tx store.Tx) error {
		return report.Add(tx, report.Inspections, legacyStart, "510104", "AG-01", u2, -1)
	})
	q := report.Query{From: day("2026-12-01"), To: day("2026-12-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY, Now: day("2026-12-10")}
	resp := build(t, s, q)
	tot := resp.GetTotals()
	if tot.GetInspections() != 1 || tot.GetBegun() != 1 || !near(tot.GetScanRate(), 1) {
		t.Errorf("totals: %d inspections, %d begun, 亮码率 %.3f; want 1, 1, 1.0 (the cancelled plan counts nowhere)", tot.GetInspections(), tot.GetBegun(), tot.GetScanRate())
	}
	for _, r := range resp.GetRows() {
		if r.GetBegun() > r.GetInspections() {
			t.Errorf("row %s: %d begun of %d inspections", r.GetKey(), r.GetBegun(), r.GetInspections())
		}
	}
}
