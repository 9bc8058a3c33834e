package service_test

import (
	"testing"
	"time"
)

// An agency whose closed inspections are all at one enterprise is shown
// nothing of its evaluations: six closed and three evaluated, all there,
// were shown as three evaluations, every one of them that enterprise's
// (a review, 2026-12-05).
func TestEvaluationSummary_OneEnterpriseBehindTheBatch_NothingShown(t *testing.T) {
	a := newAnonEnv(t)
	target := a.dir.GetEnterprises()[0].GetUscc()
	var ids []string
	for i := range 6 {
		ids = append(ids, a.closedVisit(t, target, lastMonth(3+i)))
	}
	a.set(lastMonth(20))
	for _, id := range ids[:3] {
		if err := a.evaluate(t, target, id, false, 1); err != nil {
			t.Fatal(err)
		}
	}
	a.set(time.Now().Add(48 * time.Hour))
	if s := a.summary(t); s.GetEvaluations() != 0 {
		t.Errorf("the agency closed inspections of one enterprise only, and is shown %d evaluations (overall %.1f, certificate shown %.0f%%): all of them %s's answers",
			s.GetEvaluations(), s.GetOverallAverage(), 100*s.GetCertificateShownShare(), target)
	}
}
