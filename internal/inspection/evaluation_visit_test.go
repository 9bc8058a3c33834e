package inspection_test

import (
	"context"
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

// A 走访调研 visit is not an inspection: nobody owes the enterprise an
// enforcement certificate, a statement of its rights or a proper inspection
// there. Its evaluation was counted in the agency's figures all the same (a
// 司法局's trial of the report, 2026-12-07: the agency's 出示执法证 read 50%
// over one inspection whose certificate was shown and one survey "without a
// certificate"). It is kept, and listed for the supervisor, but counted
// nowhere.
func TestEvaluate_VisitNotAnInspection_NotInTheAgencysFigures(t *testing.T) {
	now := midMonth()
	st := fixture(t, now)
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutInspection(&ruqiv1.Inspection{Id: "INS-S", AgencyId: "AG-1", EnterpriseUscc: uscc, OfficerIds: []string{"O-1"},
			VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY, WindowStart: timestamppb.New(now.Add(-time.Hour)), WindowEnd: timestamppb.New(now.Add(time.Hour)),
			State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED, FirstCheckedInAt: timestamppb.New(now.Add(-30 * time.Minute))})
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		_, err := inspection.Evaluate(tx, enterprise, now, inspection.EvaluationInput{InspectionID: "INS-S", Overall: 1, Policies: coord.DefaultPolicies()})
		return err
	}); err != nil {
		t.Fatalf("evaluating the survey it was visited for: %v", err)
	}
	if err := st.View(context.Background(), func(r store.Reader) error {
		_, err := r.Evaluation("INS-S")
		return err
	}); err != nil {
		t.Errorf("the evaluation is not kept: %v", err)
	}
	if c := counts(t, st, "R|eval_"); len(c) != 0 {
		t.Errorf("the survey's evaluation is counted in the agency's figures: %v", c)
	}
	if s := summaryOf(t, st, supervisor, now); s.GetEvaluations() != 0 {
		t.Errorf("the supervisor reads %d evaluations of AG-1's inspections, want 0", s.GetEvaluations())
	}
}

// The enterprises that make a batch (releasedSums) are those whose
// evaluations are in its sums: an enterprise that evaluated a survey, which
// is counted nowhere, made a third "enterprise" beside two whose three
// evaluations of inspections the agency was then shown.
func TestEvaluationSummary_SurveyEvaluatorIsNoneOfTheBatch(t *testing.T) {
	now := midMonth()
	st := fixture(t, now)
	agencyAdmin := auth.Principal{Role: ruqiv1.Role_ROLE_AGENCY_ADMIN, Subject: "AG-1"}
	month := time.Date(now.Year(), now.Month(), 1, 12, 0, 0, 0, domain.Shanghai).AddDate(0, -1, 0)
	addDue(t, st, month, 6)
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		for i, firm := range []string{"E-ONE", "E-ONE", "E-TWO"} {
			if err := putEvaluation(tx, i, firm, month); err != nil {
				return err
			}
			for m, v := range map[report.Metric]int64{report.EvalCount: 1, report.EvalOverall: 1} {
				if err := report.Add(tx, m, month, "510104", "AG-1", "", v); err != nil {
					return err
				}
			}
		}
		// E-THREE evaluated a survey of AG-1: kept, not counted.
		if err := tx.PutInspection(&ruqiv1.Inspection{Id: "INS-S", AgencyId: "AG-1", EnterpriseUscc: "E-THREE", OfficerIds: []string{"O-1"},
			VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY, State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED}); err != nil {
			return err
		}
		return tx.PutEvaluation(&ruqiv1.Evaluation{InspectionId: "INS-S", AgencyId: "AG-1", EnterpriseUscc: "E-THREE", Overall: 5, At: timestamppb.New(month)})
	}); err != nil {
		t.Fatal(err)
	}
	if s := summaryOf(t, st, agencyAdmin, now); s.GetEvaluations() != 0 {
		t.Errorf("three evaluations by two enterprises: the agency sees %d (overall %v)", s.GetEvaluations(), s.GetOverallAverage())
	}
}
