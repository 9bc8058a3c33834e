package service_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// AG-02's 个案 (case) plan, with its complaint number, is matched with
// AG-01's routine plan. AG-01's officers (who may not read AG-02's
// inspections) do not learn the case's trigger from the proposal, and the
// enterprise, before the case check's notice, learns nothing of a partner
// it is not shown: the registrations' reason used to name the 拼团 proposal,
// whose id (a hash of the enterprise and the members' plans) gave away the
// partner to anyone guessing plan ids. (Found by a read-only review,
// 2026-12-03.)
func TestMatching_ProposalTellsNoOneTheHiddenCase(t *testing.T) {
	e, clock, integrate := noticeEnv(t)
	t0 := *clock.Load()
	a1, a2 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02")
	var uscc string
	for _, ent := range e.dir.GetEnterprises()[1:] {
		if ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			uscc = ent.GetUscc()
			break
		}
	}
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	from, to := t0.Add(24*time.Hour), t0.Add(10*24*time.Hour)
	if _, err := mcli.SubmitPlanCoverage(e.as(a2.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
		PlanId: "CASE-7", Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
		CheckItemIds: a2.items[:1], EnterpriseUsccs: []string{uscc}, TriggerReference: "JB-2026-0107"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := mcli.SubmitPlanCoverage(e.as(a1.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
		PlanId: "R-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
		CheckItemIds: a1.items[:2], EnterpriseUsccs: []string{uscc}}}); err != nil {
		t.Fatal(err)
	}
	run, err := mcli.RunMatching(e.as(e.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.Add(30 * 24 * time.Hour))})
	if err != nil || len(run.GetProposals()) != 1 {
		t.Fatalf("run: %v %v", run, err)
	}
	pid := run.GetProposals()[0].GetId()

	// 1. What AG-01's officer reads of AG-02's part.
	list, err := mcli.ListProposals(e.as(a1.tok), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(list.GetProposals()) != 1 {
		t.Fatalf("list: %v %v", list, err)
	}
	for _, m := range list.GetProposals()[0].GetMembers() {
		if m.GetAgencyId() == "AG-02" && m.GetTriggerReference() != "" {
			t.Errorf("AG-01's officer reads AG-02's case trigger (complaint number) %q in the proposal", m.GetTriggerReference())
		}
	}
	// AG-02's own officer reads its trigger. Both accept: the visit is
	// registered, and neither answer gives AG-01 the trigger either.
	own, err := mcli.ListProposals(e.as(a2.tok), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(own.GetProposals()) != 1 {
		t.Fatalf("AG-02's list: %v %v", own, err)
	}
	for _, m := range own.GetProposals()[0].GetMembers() {
		if m.GetAgencyId() == "AG-02" && m.GetTriggerReference() != "JB-2026-0107" {
			t.Errorf("AG-02's officer reads its own trigger as %q", m.GetTriggerReference())
		}
	}
	for _, a := range []*registrar{a2, a1} {
		resp, err := mcli.RespondToProposal(e.as(a.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pid, Accept: true, OfficerIds: a.officers[:2]})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range resp.GetProposal().GetMembers() {
			if a == a1 && m.GetAgencyId() == "AG-02" && m.GetTriggerReference() != "" {
				t.Errorf("AG-01's answer returns AG-02's trigger %q", m.GetTriggerReference())
			}
		}
	}
	// 2. What the enterprise reads an hour before the case check begins.
	ws := run.GetProposals()[0].GetWindowStart().AsTime().Add(-time.Hour)
	clock.Store(&ws)
	integrate()
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	up, err := cli.ListUpcomingVisits(e.as(ent), &ruqiv1.ListUpcomingVisitsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := cli.ListInspections(e.as(ent), &ruqiv1.ListInspectionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.GetVisits()) != 1 {
		t.Fatalf("upcoming %v: want AG-01's routine check alone", up)
	}
	for _, ins := range hist.GetInspections() {
		got, err := ruqiv1.NewInspectionServiceClient(e.cc).GetInspection(e.as(ent), &ruqiv1.GetInspectionRequest{InspectionId: ins.GetInspectionId()})
		if err != nil {
			t.Fatal(err)
		}
		text := protojson.Format(got)
		t.Logf("enterprise reads %s (shown %d of 2 plans)", got.GetInspection().GetReason(), len(hist.GetInspections()))
		if len(hist.GetInspections()) == 1 && (strings.Contains(text, "拼团") || strings.Contains(text, pid)) {
			// The id is sha256(uscc, agency/plan keys): guessable plan ids
			// name the hidden partner.
			for ag := 1; ag <= 9; ag++ {
				for n := 1; n <= 100; n++ {
					guess := []matching.Member{{AgencyID: "AG-01", PlanID: "R-1"}, {AgencyID: fmt.Sprintf("AG-%02d", ag), PlanID: fmt.Sprintf("CASE-%d", n)}}
					if inspection.ProposalID(uscc, guess) == pid {
						t.Errorf("from the reason's proposal id the enterprise recovers the hidden partner: %s plan CASE-%d", guess[1].AgencyID, n)
					}
				}
			}
			t.Errorf("the enterprise is shown only AG-01's plan, but its record says it came from 拼团 proposal %s: a partner it is not shown joins the visit (reason %q)", pid, got.GetInspection().GetReason())
		}
	}
}

// A supervisor (司法局) of one district runs 拼团 matching: what it is
// answered, the counts too (enterprises_covered, plans_capped_out), is of its
// region's enterprises only. Found by a red-team trial (2026-12-06): by
// narrowing the period a district learned whether, when and for how many
// enterprises another district's agencies planned inspections.
func TestMatching_SupervisorRun_CountsItsRegionOnly(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	a1, a2 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02")
	// Two enterprises of 510104 only.
	var usccs []string
	for _, ent := range e.dir.GetEnterprises() {
		if ent.GetRegionCode() == "510104" && ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			usccs = append(usccs, ent.GetUscc())
			if len(usccs) == 2 {
				break
			}
		}
	}
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	from, to := t0.Add(24*time.Hour), t0.Add(10*24*time.Hour)
	for _, a := range []*registrar{a1, a2} {
		if _, err := mcli.SubmitPlanCoverage(e.as(a.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "R-" + a.agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
			CheckItemIds: a.items[:1], EnterpriseUsccs: usccs}}); err != nil {
			t.Fatal(err)
		}
	}
	// The supervisor of another district (510105) runs matching.
	other := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510105")
	run, err := mcli.RunMatching(e.as(other), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.Add(30 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.GetProposals()) != 0 {
		t.Fatalf("510105 got proposals of 510104: %v", run.GetProposals())
	}
	if run.GetEnterprisesCovered() != 0 || run.GetPlansCappedOut() != 0 {
		t.Errorf("the supervisor of 510105 is told of 510104's plans: enterprises_covered=%d plans_capped_out=%d (nothing of its region is planned)",
			run.GetEnterprisesCovered(), run.GetPlansCappedOut())
	}
	// The city's supervisor, above 510104, is told of both and proposes.
	own, err := mcli.RunMatching(e.as(e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.Add(30 * 24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if own.GetEnterprisesCovered() != 2 || len(own.GetProposals()) != 2 {
		t.Errorf("the supervisor of 510100: enterprises_covered=%d, %d proposals; want 2 and 2", own.GetEnterprisesCovered(), len(own.GetProposals()))
	}
}
