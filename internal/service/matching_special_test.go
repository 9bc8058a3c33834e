package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// AG-01's approved 专项 plan listing an enterprise is matched with AG-02's
// routine coverage of it; both accept. The visit should be registered as
// one joint inspection (a visit avoided by matching). Instead AG-01's part
// is 报备未通过: the registration built from the proposal carries no
// plan_id, and a 专项 registration without one is refused
// (internal/service/matching.go, RegisterInspectionRequest built from the
// member). So no 专项 plan ever registers through 拼团, and
// visits_avoided_by_matching never counts one.
// A proposal whose member is an approved 专项 plan registers that member
// under its plan: every agency that accepted one was refused ("专项检查须依据
// 经部门负责人批准的检查计划"), and the visit avoided never counted (an
// operator's trial of the reports, 2026-12-05).
func TestMatching_SpecialPlanMember_Registers(t *testing.T) {
	e := regionEnv(t)
	a1, a2 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02")
	plans := ruqiv1.NewPlanServiceClient(e.cc)
	t0 := time.Now().Add(24 * time.Hour)
	filed, err := plans.FilePlan(e.as(a1.tok), specialPlanReq(a1.items, t0))
	if err != nil {
		t.Fatal(err)
	}
	head := e.token(t, ruqiv1.Role_ROLE_AGENCY_HEAD, "AG-01")
	if _, err := plans.ApprovePlan(e.as(head), &ruqiv1.ApprovePlanRequest{PlanId: filed.GetPlan().GetId(), Version: 1}); err != nil {
		t.Fatal(err)
	}
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	if _, err := mcli.SubmitPlanCoverage(e.as(a2.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
		PlanId: "R-2", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0)),
		CheckItemIds: a2.items[:1], EnterpriseUsccs: []string{regionE1}}}); err != nil {
		t.Fatal(err)
	}
	run, err := mcli.RunMatching(e.as(e.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(time.Now()), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0))})
	if err != nil || len(run.GetProposals()) != 1 {
		t.Fatalf("run: %v %v", run, err)
	}
	pid := run.GetProposals()[0].GetId()
	var last *ruqiv1.JointVisitProposal
	for _, a := range []*registrar{a1, a2} {
		resp, err := mcli.RespondToProposal(e.as(a.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pid, Accept: true, OfficerIds: a.officers[:2]})
		if err != nil {
			t.Fatal(err)
		}
		last = resp.GetProposal()
	}
	if last.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED {
		for _, m := range last.GetMembers() {
			t.Logf("%s %v %v: %s", m.GetAgencyId(), m.GetType(), m.GetAnswer(), m.GetNote())
		}
		t.Fatalf("proposal %s: %v, want REGISTERED", pid, last.GetState())
	}
	rep, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(e.admin), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: t0.Format("2006-01"), ToMonth: t0.AddDate(0, 1, 0).Format("2006-01")})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range last.GetMembers() {
		if m.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED || m.GetInspectionId() == "" {
			t.Errorf("%s (%v) accepted but not registered: %v %q", m.GetAgencyId(), m.GetType(), m.GetAnswer(), m.GetNote())
		}
	}
	if got := rep.GetTotals().GetVisitsAvoidedByMatching(); got != 1 {
		t.Errorf("visits avoided by matching: %d, want 1", got)
	}
}
