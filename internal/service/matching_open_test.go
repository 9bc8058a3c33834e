package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An agency whose plan is in an open proposal for an enterprise is not
// proposed to it again for those days: AG-03 covered the enterprise while
// AG-01 and AG-02's proposal was still open, and the next run made a second
// open proposal of all three, on the same day, beside the first (a
// planner's trial): AG-01 and AG-02 were asked to answer two visits of one
// enterprise. A member that declined is free again: the next run proposes
// it with AG-03.
func TestRunMatching_AgencyInOpenProposal_NotProposedAgain(t *testing.T) {
	e := newEnv(t, "")
	ags := []*registrar{e.registrar(t, "AG-01"), e.registrar(t, "AG-02"), e.registrar(t, "AG-03")}
	var uscc string
	for _, ent := range e.dir.GetEnterprises()[1:] {
		if ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			uscc = ent.GetUscc()
			break
		}
	}
	now := time.Now()
	from, to := now.Add(24*time.Hour), now.Add(10*24*time.Hour)
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	cover := func(a *registrar) {
		t.Helper()
		if _, err := mcli.SubmitPlanCoverage(e.as(a.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "R-" + a.agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
			CheckItemIds: a.items[:1], EnterpriseUsccs: []string{uscc}}}); err != nil {
			t.Fatal(err)
		}
	}
	run := func() *ruqiv1.RunMatchingResponse {
		t.Helper()
		r, err := mcli.RunMatching(e.as(e.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(now), PeriodEnd: timestamppb.New(now.Add(30 * 24 * time.Hour))})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	cover(ags[0])
	cover(ags[1])
	first := run()
	if len(first.GetProposals()) != 1 {
		t.Fatalf("first run: %v; want one proposal of AG-01 and AG-02", first)
	}
	cover(ags[2])
	if again := run(); len(again.GetProposals()) != 0 {
		t.Fatalf("AG-03 covers the enterprise while AG-01 and AG-02's proposal %s is open: the run proposed %v; want nothing new",
			first.GetProposals()[0].GetId(), again.GetProposals())
	}
	if _, err := mcli.RespondToProposal(e.as(ags[0].tok), &ruqiv1.RespondToProposalRequest{ProposalId: first.GetProposals()[0].GetId(), Note: "本月已安排专项检查"}); err != nil {
		t.Fatal(err)
	}
	after := run()
	if len(after.GetProposals()) != 1 || len(after.GetProposals()[0].GetMembers()) != 2 ||
		memberOf(after.GetProposals()[0], "AG-01") == nil || memberOf(after.GetProposals()[0], "AG-03") == nil {
		t.Fatalf("AG-01 declined: %v; want one proposal of AG-01 and AG-03", after.GetProposals())
	}
}
