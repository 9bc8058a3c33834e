package report_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An enterprise counted under two regions (it moved: inspection.PlanRegion
// keeps its earlier plans where they were counted). Its row among the
// most-inspected enterprises must add up what the totals add up: inspections
// are summed over both regions, but joined, scanned and last year's
// inspections are read under one region only (the last key seen).
func TestReport_TopEnterprises_EnterpriseCountedUnderTwoRegions(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const u = "91510104CY4C7RGWMR"
	err = s.Update(context.Background(), func(tx store.Tx) error {
		for _, c := range []struct {
			m      report.Metric
			when   string
			region string
			n      int64
		}{
			{report.Inspections, "2025-03-10", "510104", 1}, // last year, before the move
			{report.Inspections, "2026-03-02", "510104", 2}, // this year, before the move
			{report.Joined, "2026-03-02", "510104", 1},
			{report.Scanned, "2026-03-02", "510104", 2},
			{report.Inspections, "2026-03-20", "510107", 1}, // after the move
		} {
			if err := report.Add(tx, c.m, day(c.when), c.region, "AG-01", u, c.n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	resp := build(t, s, report.Query{From: day("2026-03-01"), To: day("2026-03-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_ENTERPRISE})
	tot := resp.GetTotals()
	if len(resp.GetRows()) != 1 {
		t.Fatalf("rows: %v", resp.GetRows())
	}
	row := resp.GetRows()[0]
	got := [4]int64{row.GetInspections(), row.GetVisits(), row.GetScanned(), row.GetPreviousYear()}
	want := [4]int64{tot.GetInspections(), tot.GetVisits(), tot.GetScanned(), tot.GetPreviousYear()} // 3, 2, 2, 1
	if got != want {
		t.Errorf("row (inspections, visits, scanned, previous year) = %v, totals of the same single enterprise = %v", got, want)
	}
}
