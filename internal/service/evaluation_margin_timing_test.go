package service_test

import (
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
)

// The margin (EvalDue) says each enterprise the agency closed an inspection
// of may be one that did not evaluate. An inspection the agency closes at
// 23:30 on a month's last day was counted in that month's margin, though
// its enterprise had half an hour to evaluate in it: three such closings
// released a batch of three whose evaluators could only be the three
// enterprises closed earlier, so the agency learnt that each had evaluated
// (an agency's trial, 2026-12-07). A closing counts towards the margin from
// the month after it, which its enterprise had whole.
func TestEvaluationSummary_ClosingsAtMonthEnd_DoNotReleaseTheBatch(t *testing.T) {
	a := newAnonEnv(t)
	ents := a.dir.GetEnterprises()
	for i := range 3 {
		uscc := ents[i].GetUscc()
		id := a.closedVisit(t, uscc, lastMonth(3+i))
		a.set(lastMonth(10))
		if err := a.evaluate(t, uscc, id, i != 1, int32(5-4*(i%2))); err != nil {
			t.Fatal(err)
		}
	}
	n := time.Now().In(domain.Shanghai)
	monthStart := time.Date(n.Year(), n.Month(), 1, 0, 0, 0, 0, domain.Shanghai)
	for i := 3; i < 6; i++ {
		// Closed at 23:30 on the last day: no time left to evaluate in it.
		a.closedVisit(t, ents[i].GetUscc(), monthStart.Add(-90*time.Minute))
	}
	// Read within this month, whatever the day the test runs: from the
	// next month on, the month-end closings count, as they should, and the
	// batch is released (time.Now()+48h read so on a month's last two days).
	a.set(monthStart.Add(48 * time.Hour))
	if s := a.summary(t); s.GetEvaluations() != 0 || s.GetOverallAverage() != 0 || s.GetCertificateShownShare() != 0 {
		t.Fatalf("the batch's evaluators can only be the three enterprises closed before the month's last hour, and the agency reads %v", s)
	}
}
