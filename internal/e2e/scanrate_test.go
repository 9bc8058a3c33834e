package e2e

import (
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 司法局 trial of the reports (2026-12-06), fixed since: 亮码率 is scanned / inspections,
// and inspections are every plan registered with its window in the period,
// including windows that have not begun. Read on the 6th of a month (the
// default period ends with the current month), a month whose visits are
// mostly still to come shows a 亮码率 near zero: on the trial's own server
// 17 inspections, 1 scanned, "亮码率 5.9%", though 13 of the 17 windows
// had not begun and could not have been scanned. Here: one visit under
// way, its code scanned; one registered for tomorrow. Every code that could
// have been shown was scanned, and the report says 50%.
func TestReport_ScanRate_LeavesOutVisitsNotYetBegun(t *testing.T) {
	w := newWorld(t)
	now := w.register("now", "now+2h")
	w.registerFor(w.f.entA, "now+24h", "now+26h") // another day: not the same visit, not a duplicate
	// Later within the hour (an operator's trial, 2026-12-06: counted by
	// the hour, it read as begun).
	w.registerFor(w.f.entB, "now+10m", "now+1h")
	if got, _ := w.scan(w.entA, now.GetCodes()[0].GetToken()); got.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("scan of the visit under way: %s", got.GetVerdict())
	}
	// The period holds both windows, whatever day the test runs.
	from := time.Now().In(domain.Shanghai).Format("2006-01")
	to := time.Now().Add(26 * time.Hour).In(domain.Shanghai).Format("2006-01")
	var rep ruqiv1.GetFrequencyReportResponse
	mustUnmarshal(t, w.mustCLI(w.issueToken("supervisor", "510000"), "-o", "json", "supervisor", "report", "--from", from, "--to", to), &rep)
	tot := rep.GetTotals()
	if tot.GetInspections() != 3 || tot.GetScanned() != 1 || tot.GetBegun() != 1 {
		t.Fatalf("inspections %d begun %d scanned %d: want 3, 1, 1", tot.GetInspections(), tot.GetBegun(), tot.GetScanned())
	}
	if tot.GetScanRate() != 1 {
		t.Errorf("亮码率 %.1f%%: the one inspection whose window has begun was scanned; the other cannot be scanned before tomorrow (未到检查时间)", tot.GetScanRate()*100)
	}
}
