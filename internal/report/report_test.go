package report_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, domain.Shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// A small world with known answers, counted through report.Add as the
// service counts.
func fixture(t *testing.T) store.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	type c struct {
		m      report.Metric
		when   string
		region string
		agency string
		uscc   string
		n      int64
	}
	const e1, e2, e3 = "91510104CY4C7RGWMR", "915101070AL6JK1YWK", "91440300MA5F00001X"
	counts := []c{
		// 2026: 6 inspections in 5101…, 1 in 4403…
		{report.Inspections, "2026-03-02", "510104", "AG-01", e1, 3},
		{report.Inspections, "2026-03-20", "510107", "AG-02", e2, 2},
		{report.Inspections, "2026-11-05", "510104", "AG-02", e1, 1},
		{report.Inspections, "2026-05-05", "440300", "AG-09", e3, 1},
		{report.Joined, "2026-03-02", "510104", "AG-01", e1, 1},
		{report.Merged, "2026-11-05", "510104", "AG-02", e1, 1}, // a bridge made two visits one
		{report.Scanned, "2026-03-02", "510104", "AG-01", e1, 2},
		{report.Scanned, "2026-03-20", "510107", "AG-02", e2, 1},
		{report.FrequencyWarnings, "2026-03-02", "510104", "AG-01", e1, 2},
		{report.CapsRefused, "2026-03-02", "510104", "AG-01", e1, 1},
		{report.Refusals, "2026-04-01", "510104", "AG-01", e1, 1},
		{report.EvalCount, "2026-04-01", "510104", "AG-01", "", 2},
		{report.EvalOverall, "2026-04-01", "510104", "AG-01", "", 7},
		{report.EvalCertificate, "2026-04-01", "510104", "AG-01", "", 1},
		// 2025: 4 in 5101… (for 同比)
		{report.Inspections, "2025-03-10", "510104", "AG-01", e1, 4},
		// a cancelled one: counted and taken back
		{report.Inspections, "2026-06-01", "510107", "AG-02", e2, 1},
		{report.Inspections, "2026-06-01", "510107", "AG-02", e2, -1},
	}
	err = s.Update(context.Background(), func(tx store.Tx) error {
		for _, x := range counts {
			if err := report.Add(tx, x.m, day(x.when), x.region, x.agency, x.uscc, x.n); err != nil {
				return err
			}
		}
		if err := tx.PutAgency(&ruqiv1.Agency{Id: "AG-01", Name: "样例市场监督管理局"}); err != nil {
			return err
		}
		if err := report.MoveLead(tx, "510104", "", "LEAD_STATUS_RECEIVED"); err != nil {
			return err
		}
		return report.MoveLead(tx, "510104", "LEAD_STATUS_RECEIVED", "LEAD_STATUS_CHECKING")
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func build(t *testing.T, s store.Store, q report.Query) *ruqiv1.GetFrequencyReportResponse {
	t.Helper()
	var resp *ruqiv1.GetFrequencyReportResponse
	err := s.View(context.Background(), func(r store.Reader) error {
		var err error
		resp, err = report.Build(r, q)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestReport_TotalsYearOnYearScanRate(t *testing.T) {
	s := fixture(t)
	r := build(t, s, report.Query{From: day("2026-01-01"), To: day("2026-12-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY, Region: "510100"})
	tot := r.GetTotals()
	if tot.GetInspections() != 6 || tot.GetPreviousYear() != 4 || !tot.GetHasChange() || !near(tot.GetChange(), 0.5) {
		t.Fatalf("inspections %d, previous %d, change %v: want 6, 4, +50%%", tot.GetInspections(), tot.GetPreviousYear(), tot.GetChange())
	}
	if tot.GetVisits() != 4 || tot.GetVisitsAvoided() != 2 || tot.GetJoinedPlans() != 1 || !near(tot.GetJointShare(), 1.0/6) {
		t.Fatalf("visits %d avoided %d share %v", tot.GetVisits(), tot.GetVisitsAvoided(), tot.GetJointShare())
	}
	if tot.GetScanned() != 3 || !near(tot.GetScanRate(), 0.5) {
		t.Fatalf("亮码率: scanned %d rate %v, want 3 of 6", tot.GetScanned(), tot.GetScanRate())
	}
	if tot.GetFrequencyWarnings() != 2 || tot.GetCapsRefused() != 1 || tot.GetRefusals() != 1 {
		t.Fatalf("warnings %d caps %d refusals %d", tot.GetFrequencyWarnings(), tot.GetCapsRefused(), tot.GetRefusals())
	}
	// Rows by agency, most inspected first, with their own 同比.
	if len(r.GetRows()) != 2 || r.GetRows()[0].GetKey() != "AG-01" || r.GetRows()[0].GetInspections() != 3 || !near(r.GetRows()[0].GetChange(), -0.25) || r.GetRows()[0].GetLabel() != "样例市场监督管理局" {
		t.Fatalf("rows %v", r.GetRows())
	}
	if r.GetRows()[1].GetHasChange() {
		t.Fatal("AG-02 had nothing a year earlier: no change figure")
	}
	if len(r.GetEvaluations()) != 1 || !near(r.GetEvaluations()[0].GetOverallAverage(), 3.5) || !near(r.GetEvaluations()[0].GetCertificateShownShare(), 0.5) {
		t.Fatalf("evaluations %v", r.GetEvaluations())
	}
	leads := map[ruqiv1.LeadStatus]int64{}
	for _, l := range r.GetLeads() {
		leads[l.GetStatus()] = l.GetCount()
	}
	if leads[ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED] != 0 || leads[ruqiv1.LeadStatus_LEAD_STATUS_CHECKING] != 1 {
		t.Fatalf("leads %v", leads)
	}
}

func TestReport_TopEnterprisesAndRegions(t *testing.T) {
	s := fixture(t)
	top := build(t, s, report.Query{From: day("2026-01-01"), To: day("2026-12-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, Top: 1})
	if len(top.GetRows()) != 1 || top.GetRows()[0].GetKey() != "91510104CY4C7RGWMR" || top.GetRows()[0].GetInspections() != 4 || top.GetRows()[0].GetPreviousYear() != 4 ||
		top.GetRows()[0].GetVisits() != 2 || top.GetRows()[0].GetScanned() != 2 {
		t.Fatalf("top enterprise %v", top.GetRows())
	}
	regions := build(t, s, report.Query{From: day("2026-01-01"), To: day("2026-12-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_REGION})
	got := map[string]int64{}
	for _, row := range regions.GetRows() {
		got[row.GetKey()] = row.GetInspections()
	}
	if got["510104"] != 4 || got["510107"] != 2 || got["440300"] != 1 || regions.GetTotals().GetInspections() != 7 {
		t.Fatalf("by region %v", got)
	}
	months := build(t, s, report.Query{From: day("2026-03-01"), To: day("2026-04-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_MONTH, Region: "510104"})
	if len(months.GetRows()) != 1 || months.GetRows()[0].GetLabel() != "2026年3月" || months.GetRows()[0].GetInspections() != 3 {
		t.Fatalf("by month %v", months.GetRows())
	}
}

// The ranking's length is bounded where the report is built, whoever asks:
// beyond MaxTop, or below zero, the query is refused as invalid.
func TestReport_TopOutOfRange_Invalid(t *testing.T) {
	s := fixture(t)
	for _, top := range []int{-1, report.MaxTop + 1, 1 << 30} {
		err := s.View(context.Background(), func(r store.Reader) error {
			_, err := report.Build(r, report.Query{From: day("2026-01-01"), To: day("2026-12-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, Top: top})
			return err
		})
		if domain.KindOf(err) != domain.KindInvalid {
			t.Errorf("top %d: %v, want invalid", top, err)
		}
	}
}

// The most-inspected enterprises are counted by region: asked for one
// agency they ranked every agency's inspections under that agency's
// totals (a 司法局 trial of the reports, 2026-12-06). Refused; grouping
// by agency with the filter still answers.
func TestReport_EnterpriseRankingForOneAgency_Refused(t *testing.T) {
	s := fixture(t)
	for _, g := range []ruqiv1.GroupBy{ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, ruqiv1.GroupBy_GROUP_BY_AGENCY} {
		err := s.View(context.Background(), func(r store.Reader) error {
			_, err := report.Build(r, report.Query{From: day("2026-01-01"), To: day("2026-12-01"), GroupBy: g, Agency: "AG-01"})
			return err
		})
		if refused := domain.ReasonOf(err) == "ENTERPRISE_RANKING_BY_AGENCY"; refused != (g == ruqiv1.GroupBy_GROUP_BY_ENTERPRISE) {
			t.Errorf("%s for AG-01: %v", g, err)
		}
	}
}

// An agency sees its evaluations of closed months only.
func TestEvaluationsBefore_ClosedMonthsOnly(t *testing.T) {
	s := fixture(t)
	err := s.View(context.Background(), func(r store.Reader) error {
		for month, want := range map[string]int64{"202604": 0, "202605": 2} {
			got, err := report.EvaluationsBefore(r, "AG-01", month)
			if err != nil {
				return err
			}
			if got[report.EvalCount] != want {
				t.Errorf("before %s: %d evaluations, want %d", month, got[report.EvalCount], want)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Visits avoided by matching (拼团) and at registration, with known answers:
// a matched visit of three agencies (two plans joined through the match), a
// visit merged at registration (one plan joined), a plan alone, and a fourth
// matched plan counted then cancelled.
func TestReport_VisitsAvoidedByMatching_SeparateFromRegistration(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "m.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const e1, e2 = "91510104CY4C7RGWMR", "915101070AL6JK1YWK"
	err = s.Update(context.Background(), func(tx store.Tx) error {
		for _, x := range []struct {
			m      report.Metric
			agency string
			uscc   string
			n      int64
		}{
			{report.Inspections, "AG-01", e1, 1}, // the matched visit's lead
			{report.Inspections, "AG-02", e1, 1}, {report.Joined, "AG-02", e1, 1}, {report.Matched, "AG-02", e1, 1},
			{report.Inspections, "AG-03", e1, 1}, {report.Joined, "AG-03", e1, 1}, {report.Matched, "AG-03", e1, 1},
			{report.Inspections, "AG-04", e2, 1}, // merged at registration
			{report.Inspections, "AG-05", e2, 1}, {report.Joined, "AG-05", e2, 1},
			{report.Inspections, "AG-06", e2, 1}, // alone
			// a matched plan counted, then cancelled
			{report.Inspections, "AG-07", e1, 1}, {report.Joined, "AG-07", e1, 1}, {report.Matched, "AG-07", e1, 1},
			{report.Inspections, "AG-07", e1, -1}, {report.Joined, "AG-07", e1, -1}, {report.Matched, "AG-07", e1, -1},
		} {
			if err := report.Add(tx, x.m, day("2026-12-02"), "510104", x.agency, x.uscc, x.n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tot := build(t, s, report.Query{From: day("2026-12-01"), To: day("2027-01-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY}).GetTotals()
	if tot.GetInspections() != 6 || tot.GetVisits() != 3 || tot.GetVisitsAvoided() != 3 {
		t.Fatalf("inspections %d visits %d avoided %d, want 6, 3, 3", tot.GetInspections(), tot.GetVisits(), tot.GetVisitsAvoided())
	}
	if tot.GetVisitsAvoidedByMatching() != 2 || tot.GetVisitsAvoidedAtRegistration() != 1 {
		t.Fatalf("avoided by matching %d, at registration %d: want 2 and 1", tot.GetVisitsAvoidedByMatching(), tot.GetVisitsAvoidedAtRegistration())
	}
}

// 亮码率 divides by the inspections whose window has begun when the report
// is read: a code cannot be scanned before its window (a 司法局 trial of
// the reports, 2026-12-06). A cancellation takes its count back from both.
func TestReport_RatesOverBegunInspections(t *testing.T) {
	s, err := bolt.Open(filepath.Join(t.TempDir(), "r.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	const u = "91510104CY4C7RGWMR"
	add := func(m report.Metric, when time.Time, agency string, n int64) {
		t.Helper()
		if err := s.Update(context.Background(), func(tx store.Tx) error { return report.Add(tx, m, when, "510104", agency, u, n) }); err != nil {
			t.Fatal(err)
		}
	}
	add(report.Inspections, day("2026-12-02").Add(10*time.Hour), "AG-01", 1)
	add(report.Scanned, day("2026-12-02").Add(10*time.Hour), "AG-01", 1)
	add(report.Inspections, day("2026-12-03").Add(9*time.Hour), "AG-02", 1)
	add(report.Inspections, day("2026-12-20").Add(9*time.Hour), "AG-01", 1) // not begun on the 10th
	add(report.Inspections, day("2026-12-21").Add(9*time.Hour), "AG-02", 1)
	add(report.Inspections, day("2026-12-21").Add(9*time.Hour), "AG-02", -1) // cancelled
	q := report.Query{From: day("2026-12-01"), To: day("2026-12-01"), GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY, Now: day("2026-12-10")}
	resp := build(t, s, q)
	if tot := resp.GetTotals(); tot.GetInspections() != 3 || tot.GetBegun() != 2 || !near(tot.GetScanRate(), 0.5) {
		t.Errorf("totals: %d inspections, %d begun, 亮码率 %.3f; want 3, 2, 0.5", tot.GetInspections(), tot.GetBegun(), tot.GetScanRate())
	}
	for _, r := range resp.GetRows() {
		if want := map[string]int64{"AG-01": 1, "AG-02": 1}[r.GetKey()]; r.GetBegun() != want {
			t.Errorf("row %s: %d begun, want %d", r.GetKey(), r.GetBegun(), want)
		}
	}
	// The hours gone by are pruned: only the start counts still ahead
	// stay, and the report reads the same.
	err = s.Update(context.Background(), func(tx store.Tx) error {
		return report.PruneStarts(tx, day("2026-12-10"))
	})
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	_ = s.View(context.Background(), func(r store.Reader) error {
		return r.Counts("S|", func(k string, _ int64) error { left = append(left, k); return nil })
	})
	if len(left) != 1 || left[0] != "S|510104|AG-01|202612200900" {
		t.Errorf("start counts after pruning: %v, want only AG-01's of the 20th (the 21st's was cancelled to zero)", left)
	}
	if tot := build(t, s, q).GetTotals(); tot.GetBegun() != 2 {
		t.Errorf("after pruning: %d begun, want 2", tot.GetBegun())
	}
	q.Now = time.Time{} // read with no time: every window taken as begun
	if tot := build(t, s, q).GetTotals(); tot.GetBegun() != 3 {
		t.Errorf("without a reading time: %d begun, want 3", tot.GetBegun())
	}
}
