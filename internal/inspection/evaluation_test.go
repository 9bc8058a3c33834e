package inspection_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The agency sees its evaluations only as sums of closed months and only
// from MinEvaluations on; the supervisor sees every month. An enterprise
// evaluates a closed inspection once, and only its own.
func TestEvaluationSummary_AnonymousTowardsTheAgency(t *testing.T) {
	now := midMonth()
	st := fixture(t, now)
	agencyAdmin := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	lastMonth := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, domain.Shanghai).AddDate(0, -1, 0)
	// INS-Ci is a closed inspection of enterprise firm(i), which evaluates it.
	firm := func(i int) string { return fmt.Sprintf("%s-%d", uscc, i) }
	evaluate := func(at time.Time, id string) error {
		var i int
		if _, err := fmt.Sscanf(id, "INS-C%d", &i); err != nil {
			return st.Update(context.Background(), func(tx store.Tx) error {
				_, err := inspection.Evaluate(tx, enterprise, at, inspection.EvaluationInput{InspectionID: id, CertificateShown: true, Overall: 4, Policies: coord.DefaultPolicies()})
				return err
			})
		}
		p := auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: firm(i), TokenID: "tok-" + firm(i)}
		return st.Update(context.Background(), func(tx store.Tx) error {
			_, err := inspection.Evaluate(tx, p, at, inspection.EvaluationInput{InspectionID: id, CertificateShown: true, Overall: 4, Policies: coord.DefaultPolicies()})
			return err
		})
	}
	if err := evaluate(now, "INS-1"); domain.KindOf(err) != domain.KindFailedPrecondition {
		t.Fatalf("evaluating an open inspection: %v", err)
	}
	for i := range 4 {
		id := fmt.Sprintf("INS-C%d", i)
		if err := st.Update(context.Background(), func(tx store.Tx) error {
			if err := tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: firm(i), Name: "样例企业", RegionCode: region}); err != nil {
				return err
			}
			return tx.PutInspection(&ruqiv1.Inspection{Id: id, AgencyId: "AG-1", EnterpriseUscc: firm(i), OfficerIds: []string{"O-1"},
				State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, CompletedAt: timestamppb.New(lastMonth)})
		}); err != nil {
			t.Fatal(err)
		}
	}
	// Six inspections closed last month: three enterprises that may
	// evaluate and do not, beside the three that will.
	addDue(t, st, lastMonth, 6)
	summary := func(p auth.Principal) *ruqiv1.EvaluationSummary { t.Helper(); return summaryOf(t, st, p, now) }
	for i := range 2 {
		if err := evaluate(lastMonth, fmt.Sprintf("INS-C%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := evaluate(lastMonth, "INS-C0"); domain.KindOf(err) != domain.KindAlreadyExists {
		t.Errorf("evaluating twice: %v", err)
	}
	if s := summary(agencyAdmin); s.GetEvaluations() != 0 || s.GetOverallAverage() != 0 {
		t.Errorf("agency sees %v with two evaluations", s)
	}
	if s := summary(supervisor); s.GetEvaluations() != 2 {
		t.Errorf("supervisor sees %v, want 2 evaluations", s)
	}
	// The third evaluation in the current month: still not the agency's.
	if err := evaluate(now, "INS-C2"); err != nil {
		t.Fatal(err)
	}
	if s := summary(agencyAdmin); s.GetEvaluations() != 0 {
		t.Errorf("agency sees the open month: %v", s)
	}
	if s := summary(supervisor); s.GetEvaluations() != 3 || s.GetOverallAverage() != 4 || s.GetCertificateShownShare() != 1 {
		t.Errorf("supervisor sees %v", s)
	}
	if err := evaluate(lastMonth, "INS-C3"); err != nil {
		t.Fatal(err)
	}
	if s := summary(agencyAdmin); s.GetEvaluations() != 3 || s.GetOverallAverage() != 4 {
		t.Errorf("agency, three closed-month evaluations: %v", s)
	}
	other := auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "91440300MA5FQ8EX2B"}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		_, err := inspection.Evaluate(tx, other, now, inspection.EvaluationInput{InspectionID: "INS-C3", Overall: 1, Policies: coord.DefaultPolicies()})
		return err
	}); domain.KindOf(err) != domain.KindNotFound {
		t.Errorf("another enterprise evaluating: %v, want NotFound", err)
	}
}

// Two readings a month apart never differ by fewer than MinEvaluations
// evaluations: closed months reach the agency in batches of at least that
// many, so one enterprise's answers cannot be read off the difference.
func TestEvaluationSummary_ReleasedInBatches(t *testing.T) {
	now := midMonth()
	st := fixture(t, now)
	agencyAdmin := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	month := func(back int) time.Time {
		return time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, domain.Shanghai).AddDate(0, -back, 0)
	}
	evaluations := 0
	add := func(at time.Time, overall int64) { // an evaluation by an enterprise of its own
		t.Helper()
		evaluations++
		if err := st.Update(context.Background(), func(tx store.Tx) error {
			if err := putEvaluation(tx, evaluations, fmt.Sprintf("E-%d", evaluations), at); err != nil {
				return err
			}
			for m, n := range map[report.Metric]int64{report.EvalCount: 1, report.EvalOverall: overall, report.EvalCertificate: 1} {
				if err := report.Add(tx, m, at, "510104", "AG-1", "", n); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	read := func(p auth.Principal, at time.Time) *ruqiv1.EvaluationSummary {
		t.Helper()
		return summaryOf(t, st, p, at)
	}
	for range 3 {
		add(month(3), 4)
	}
	addDue(t, st, month(3), 6)
	addDue(t, st, month(2), 3)
	add(month(2), 1) // one enterprise alone in its month
	add(month(1), 5) // and another
	for _, at := range []time.Time{month(1), month(0)} {
		if s := read(agencyAdmin, at); s.GetEvaluations() != 3 || s.GetOverallAverage() != 4 {
			t.Errorf("agency reading at %s: %d evaluations, average %v; want the first batch only (3, 4)", report.Month(at), s.GetEvaluations(), s.GetOverallAverage())
		}
	}
	if s := read(supervisor, month(0)); s.GetEvaluations() != 5 {
		t.Errorf("supervisor sees %d evaluations, want all 5", s.GetEvaluations())
	}
	// A supervisor elsewhere sees none of what enterprises of 510104 said.
	elsewhere := auth.Principal{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "440300"}
	if s := read(elsewhere, month(0)); s.GetEvaluations() != 0 {
		t.Errorf("a supervisor of 440300 sees %d evaluations of enterprises in 510104", s.GetEvaluations())
	}
	add(month(1), 3) // the third since the first batch: the second batch is released
	if s := read(agencyAdmin, month(0)); s.GetEvaluations() != 3 {
		t.Errorf("agency 12 hours into the month: %d evaluations; want the first batch only, the month before closed a day after it ends", s.GetEvaluations())
	}
	if s := read(agencyAdmin, month(0).Add(24*time.Hour)); s.GetEvaluations() != 6 || s.GetOverallAverage() != 21.0/6 {
		t.Errorf("agency after a second batch: %d evaluations, average %v; want 6, %v", s.GetEvaluations(), s.GetOverallAverage(), 21.0/6)
	}
}

// However many evaluations a batch has, the agency sees nothing while fewer
// than MinEvaluations of the enterprises whose inspections it closed have
// not evaluated: it knows those enterprises, and the count would say who
// evaluated, a share of 0 or 1 what each said.
func TestEvaluationSummary_NotWhileAlmostEveryoneEvaluated(t *testing.T) {
	now := midMonth()
	st := fixture(t, now)
	agencyAdmin := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	lastMonth := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, domain.Shanghai).AddDate(0, -1, 0)
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		for i := range 5 {
			if err := putEvaluation(tx, i, fmt.Sprintf("E-%d", i), lastMonth); err != nil {
				return err
			}
		}
		for m, n := range map[report.Metric]int64{report.EvalCount: 5, report.EvalOverall: 5, report.EvalCertificate: 0} {
			if err := report.Add(tx, m, lastMonth, "510104", "AG-1", "", n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	due := int64(0)
	for _, c := range []struct {
		add  int64
		want int32
	}{{5, 0}, {2, 0}, {1, 5}} {
		addDue(t, st, lastMonth, c.add)
		due += c.add
		if s := summaryOf(t, st, agencyAdmin, now); s.GetEvaluations() != c.want {
			t.Errorf("5 evaluations of %d closed inspections: the agency sees %d, want %d", due, s.GetEvaluations(), c.want)
		}
	}
}

// A batch is of at least MinEvaluations enterprises, not evaluations: an
// agency whose closed inspections were all at one enterprise was shown
// that enterprise's three answers (a review, 2026-12-05). Six inspections
// closed and three evaluated, all at one enterprise, release nothing; two
// more enterprises evaluating in a later month release both months.
func TestEvaluationSummary_OneEnterpriseIsNoBatch(t *testing.T) {
	now := midMonth()
	st := fixture(t, now)
	agencyAdmin := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	month := func(back int) time.Time {
		return time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, domain.Shanghai).AddDate(0, -back, 0)
	}
	n := 0
	add := func(at time.Time, firm string) {
		t.Helper()
		n++
		if err := st.Update(context.Background(), func(tx store.Tx) error {
			if err := putEvaluation(tx, n, firm, at); err != nil {
				return err
			}
			for m, v := range map[report.Metric]int64{report.EvalCount: 1, report.EvalOverall: 1} {
				if err := report.Add(tx, m, at, "510104", "AG-1", "", v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	addDue(t, st, month(3), 6)
	for range 3 {
		add(month(3), "E-ONE")
	}
	if s := summaryOf(t, st, agencyAdmin, now); s.GetEvaluations() != 0 {
		t.Errorf("three evaluations, all by one enterprise: the agency sees %d (overall %v)", s.GetEvaluations(), s.GetOverallAverage())
	}
	addDue(t, st, month(2), 5)
	add(month(2), "E-TWO")
	add(month(2), "E-THREE")
	if s := summaryOf(t, st, agencyAdmin, now); s.GetEvaluations() != 5 {
		t.Errorf("five evaluations by three enterprises: the agency sees %d, want 5", s.GetEvaluations())
	}
}

// putEvaluation stores evaluation i of AG-1, by firm at at.
func putEvaluation(tx store.Tx, i int, firm string, at time.Time) error {
	return tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: fmt.Sprintf("INS-E%03d", i), AgencyId: "AG-1", EnterpriseUscc: firm, Overall: 1, At: timestamppb.New(at)})
}

// midMonth is the 15th of this month, noon: far enough from the month's
// ends that "last month" is closed to the agency.
func midMonth() time.Time {
	n := time.Now().In(domain.Shanghai)
	return time.Date(n.Year(), n.Month(), 15, 12, 0, 0, 0, domain.Shanghai)
}

// addDue counts n inspections of AG-1 closed at at.
func addDue(t *testing.T, st store.Store, at time.Time, n int64) {
	t.Helper()
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return report.Add(tx, report.EvalDue, at, "510104", "AG-1", "", n)
	}); err != nil {
		t.Fatal(err)
	}
}

// summaryOf is what p reads of AG-1's evaluations at now.
func summaryOf(t *testing.T, st store.Store, p auth.Principal, now time.Time) *ruqiv1.EvaluationSummary {
	t.Helper()
	var s *ruqiv1.EvaluationSummary
	if err := st.View(context.Background(), func(r store.Reader) error {
		var err error
		s, err = inspection.EvaluationSummary(r, p, now, "AG-1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return s
}
