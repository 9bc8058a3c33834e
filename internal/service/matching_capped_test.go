package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A matching run names the plans a year cap left out, not only how many:
// "因频次上限未参加的计划 2 项" told the planner nothing of which plans, at which
// enterprises (a planner's trial). Two agencies' routine plans cover a grade
// A enterprise (no proactive inspection, 衡阳): both are left out, no
// proposal is made, and the run says which, where and by which cap.
func TestRunMatching_NamesThePlansCappedOut(t *testing.T) {
	e := newEnv(t, "")
	var uscc string
	for _, ent := range e.dir.GetEnterprises() {
		if ent.GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_A {
			uscc = ent.GetUscc()
			break
		}
	}
	if uscc == "" {
		t.Fatal("no grade A enterprise in the directory")
	}
	now := time.Now()
	from, to := now.Add(24*time.Hour), now.Add(10*24*time.Hour)
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	for _, agency := range []string{"AG-01", "AG-02"} {
		a := e.registrar(t, agency)
		if _, err := mcli.SubmitPlanCoverage(e.as(a.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "R-" + agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
			CheckItemIds: a.items[:1], EnterpriseUsccs: []string{uscc}}}); err != nil {
			t.Fatal(err)
		}
	}
	run, err := mcli.RunMatching(e.as(e.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(now), PeriodEnd: timestamppb.New(now.Add(30 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.GetProposals()) != 0 || run.GetPlansCappedOut() != 2 {
		t.Fatalf("run %v: want no proposal and two plans capped out", run)
	}
	got := map[string]bool{}
	for _, c := range run.GetCappedOut() {
		if c.GetEnterpriseUscc() != uscc || c.GetRule() != "grade_A_per_year" || !strings.Contains(c.GetMessage(), "信用等级A") {
			t.Errorf("capped plan %v: want %s under grade_A_per_year, said in words", c, uscc)
		}
		got[c.GetAgencyId()+"/"+c.GetPlanId()] = true
	}
	if !got["AG-01/R-AG-01"] || !got["AG-02/R-AG-02"] || len(got) != 2 {
		t.Errorf("capped plans named %v: want AG-01's R-AG-01 and AG-02's R-AG-02", got)
	}
}
