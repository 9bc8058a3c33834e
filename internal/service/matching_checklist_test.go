package service_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Three agencies are proposed one joint visit; AG-01 declines, AG-02 and
// AG-03 accept, and their parts are registered as one joint inspection. The
// settled proposal's 一表通查 is the visit's: AG-01's items are not checked
// on it. It kept every item proposed, so the answer to the last agency
// (printed under 已成团 as 一表通查) and the list of proposals (its 检查项
// count) named checks of an agency that had declined (a planner's walk
// through a quarter, 2026-12-07).
func TestProposal_Settled_ChecklistIsTheVisits(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	pr, ags := threeAgencyProposal(t, e)
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	if _, err := mcli.RespondToProposal(e.as(ags[0].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Note: "另有安排"}); err != nil {
		t.Fatal(err)
	}
	var last *ruqiv1.JointVisitProposal
	for _, a := range ags[1:] {
		resp, err := mcli.RespondToProposal(e.as(a.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: a.officers[:2]})
		if err != nil {
			t.Fatal(err)
		}
		last = resp.GetProposal()
	}
	if last.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED {
		t.Fatalf("proposal %s: %v (%s), want REGISTERED", pr.GetId(), last.GetState(), last.GetOutcome())
	}
	listed, err := mcli.ListProposals(e.as(e.admin), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(listed.GetProposals()) != 1 {
		t.Fatalf("proposals: %v, %v", listed, err)
	}
	for what, p := range map[string]*ruqiv1.JointVisitProposal{"the last answer": last, "the list": listed.GetProposals()[0]} {
		var agencies []string
		for _, line := range p.GetChecklist() {
			for _, a := range line.GetAgencyIds() {
				if !slices.Contains(agencies, a) {
					agencies = append(agencies, a)
				}
			}
			if line.GetAgencyId() == "AG-01" || slices.Contains(line.GetAgencyIds(), "AG-01") || slices.Contains(line.GetCheckItemIds(), ags[0].items[0]) {
				t.Errorf("%s: 一表通查 line %s of AG-01, which declined", what, line.GetCheckItemId())
			}
		}
		slices.Sort(agencies)
		if !slices.Equal(agencies, []string{"AG-02", "AG-03"}) {
			t.Errorf("%s: 一表通查 of agencies %v, want AG-02 and AG-03's", what, agencies)
		}
	}
}

// The proposed lead agency declines; the two others accept and are
// registered as one joint inspection, which the first of them leads (the
// coordinator's lead is the earliest plan's agency, and the settling
// registers the accepting members in the proposal's order). The settled
// proposal kept naming the agency that declined as 牵头部门 (printed
// "AG-01（牵头，拒绝）" beside the joint inspection's id), where every
// member's inspection named the other (a planner's walk through a quarter,
// 2026-12-07).
func TestProposal_LeadDeclines_SettledLeadIsTheVisits(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	pr, ags := threeAgencyProposal(t, e)
	lead := pr.GetLeadAgencyId()
	var decliner *registrar
	var others []*registrar
	for _, a := range ags {
		if a.agency == lead {
			decliner = a
		} else {
			others = append(others, a)
		}
	}
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	if _, err := mcli.RespondToProposal(e.as(decliner.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId()}); err != nil {
		t.Fatal(err)
	}
	var last *ruqiv1.JointVisitProposal
	for _, a := range others {
		resp, err := mcli.RespondToProposal(e.as(a.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: a.officers[:2]})
		if err != nil {
			t.Fatal(err)
		}
		last = resp.GetProposal()
	}
	if last.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED {
		t.Fatalf("proposal %s: %v (%s), want REGISTERED", pr.GetId(), last.GetState(), last.GetOutcome())
	}
	got, err := ruqiv1.NewInspectionServiceClient(e.cc).GetInspection(e.as(others[1].tok), &ruqiv1.GetInspectionRequest{InspectionId: memberOf(last, others[1].agency).GetInspectionId()})
	if err != nil {
		t.Fatal(err)
	}
	visitLead := got.GetJointInspection().GetLeadAgencyId()
	if visitLead == "" || visitLead == lead {
		t.Fatalf("joint inspection %v: want it led by an agency that accepted", got.GetJointInspection())
	}
	listed, err := mcli.ListProposals(e.as(e.admin), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(listed.GetProposals()) != 1 {
		t.Fatalf("proposals: %v, %v", listed, err)
	}
	for what, p := range map[string]*ruqiv1.JointVisitProposal{"the last answer": last, "the list": listed.GetProposals()[0]} {
		if p.GetLeadAgencyId() != visitLead {
			t.Errorf("%s: lead agency %s, want %s, the joint inspection's (%s declined)", what, p.GetLeadAgencyId(), visitLead, lead)
		}
	}
}

// A proposal's common time begins before its last answer comes. The
// answers given before it stood; the last one settled the proposal, and
// each accepting agency's part was refused at registration, the time being
// past ("开始时间 … 已过：…已实施的紧急检查请填写补录原因，事后补录", an
// emergency's late record the agencies never made), so the proposal read
// 报备未通过 for every agency, three refusals for the 司法局 to look into.
// And an answer to such a proposal is taken as if the visit could still
// happen. Now an answer once the common time has begun closes the proposal
// as 未成团, saying the time passed, records no answer and registers
// nothing.
func TestProposal_AnsweredAfterItsTime_ClosesAsPassed(t *testing.T) {
	c := newCalEnv(t, time.Now())
	e := c.env
	pr, ags := threeAgencyProposal(t, e)
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	if _, err := mcli.RespondToProposal(e.as(ags[0].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: ags[0].officers[:2]}); err != nil {
		t.Fatal(err)
	}
	if _, err := mcli.RespondToProposal(e.as(ags[1].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: ags[1].officers[:2]}); err != nil {
		t.Fatal(err)
	}
	c.set(pr.GetWindowStart().AsTime().Add(time.Hour))
	_, err := mcli.RespondToProposal(e.as(ags[2].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: ags[2].officers[:2]})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "PROPOSAL_EXPIRED" {
		t.Fatalf("the answer after the proposal's time: %v, want FailedPrecondition PROPOSAL_EXPIRED (not taken)", err)
	}
	listed, err := mcli.ListProposals(e.as(ags[2].tok), &ruqiv1.ListProposalsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got *ruqiv1.JointVisitProposal
	for _, x := range listed.GetProposals() {
		if x.GetId() == pr.GetId() {
			got = x
		}
	}
	if got.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_FAILED || !strings.Contains(got.GetOutcome(), "过期") {
		t.Errorf("proposal answered after its time: %v, outcome %q; want 未成团, saying it expired", got.GetState(), got.GetOutcome())
	}
	for _, m := range got.GetMembers() {
		if m.GetAnswer() == ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED || m.GetInspectionId() != "" {
			t.Errorf("member %s: %v, inspection %q, note %q; want nothing registered nor refused", m.GetAgencyId(), m.GetAnswer(), m.GetInspectionId(), m.GetNote())
		}
	}
	if m := memberOf(got, ags[2].agency); m.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_UNSPECIFIED {
		t.Errorf("%s's answer after the time: recorded as %v", ags[2].agency, m.GetAnswer())
	}
	// Closed: a later answer is told so.
	_, err = mcli.RespondToProposal(e.as(ags[2].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: ags[2].officers[:2]})
	if status.Code(err) != codes.FailedPrecondition {
		t.Errorf("answer to the closed proposal: %v, want FailedPrecondition", err)
	}
}

// The enterprise of a proposal already has a visit on the proposal's day
// (AG-04's, outside the proposal). When the proposal settles, its lead's
// part is the day's second visit, over the 成都 warning line (more than 1 a
// day): registered, and the 司法局 counts a warning. Registering by itself
// the agency is told (⚠ 频次预警 … 已报备，并报送司法局); registered through
// the proposal it was told nothing: settling dropped the registration's
// warnings. The member now keeps them, for its own agency to read.
func TestProposal_Settled_KeepsTheRegistrationsWarnings(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	pr, ags := threeAgencyProposal(t, e)
	other := e.registrar(t, "AG-04")
	day := pr.GetWindowStart().AsTime()
	if _, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(other.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: pr.GetEnterpriseUscc(), CheckItemIds: other.items[:1], OfficerIds: other.officers[:2],
		WindowStart: timestamppb.New(day.Add(-2 * time.Hour)), WindowEnd: timestamppb.New(day.Add(-time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"}); err != nil {
		t.Fatal(err)
	}
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	var last *ruqiv1.JointVisitProposal
	for _, a := range ags {
		resp, err := mcli.RespondToProposal(e.as(a.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: a.officers[:2]})
		if err != nil {
			t.Fatal(err)
		}
		last = resp.GetProposal()
	}
	if last.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED {
		t.Fatalf("proposal %s: %v (%s), want REGISTERED", pr.GetId(), last.GetState(), last.GetOutcome())
	}
	lead := pr.GetLeadAgencyId()
	var leadTok string
	for _, a := range ags {
		if a.agency == lead {
			leadTok = a.tok
		}
	}
	own, err := mcli.ListProposals(e.as(leadTok), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(own.GetProposals()) != 1 {
		t.Fatalf("%s's proposals: %v, %v", lead, own, err)
	}
	ws := memberOf(own.GetProposals()[0], lead).GetWarnings()
	if len(ws) == 0 || ws[0].GetRule() != "visits_per_day" || !strings.Contains(ws[0].GetMessage(), "预警") {
		t.Errorf("%s's part, the day's second visit: warnings %v; want the daily warning", lead, ws)
	}
	// A partner reads that the lead's part was registered, not the
	// enterprise's counts its warning tells.
	for _, a := range ags {
		if a.agency == lead {
			continue
		}
		theirs, err := mcli.ListProposals(e.as(a.tok), &ruqiv1.ListProposalsRequest{})
		if err != nil || len(theirs.GetProposals()) != 1 {
			t.Fatalf("%s's proposals: %v, %v", a.agency, theirs, err)
		}
		if ws := memberOf(theirs.GetProposals()[0], lead).GetWarnings(); len(ws) > 0 {
			t.Errorf("%s reads %s's warnings %v", a.agency, lead, ws)
		}
	}
}

// A proposal nobody answers again before its common time begins was
// listed 待响应 for ever, the agencies still asked to answer a visit that
// can no longer be registered (a planner's trial). It is listed 未成团,
// expired, and found by that state, not by 待响应.
func TestProposal_UnansweredPastItsTime_ListedExpired(t *testing.T) {
	c := newCalEnv(t, time.Now())
	e := c.env
	pr, ags := threeAgencyProposal(t, e)
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	if _, err := mcli.RespondToProposal(e.as(ags[0].tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: ags[0].officers[:2]}); err != nil {
		t.Fatal(err)
	}
	listed := func(tok string, state ruqiv1.ProposalState) *ruqiv1.JointVisitProposal {
		t.Helper()
		resp, err := mcli.ListProposals(e.as(tok), &ruqiv1.ListProposalsRequest{State: state})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range resp.GetProposals() {
			if got.GetId() == pr.GetId() {
				return got
			}
		}
		return nil
	}
	if got := listed(ags[1].tok, ruqiv1.ProposalState_PROPOSAL_STATE_OPEN); got == nil {
		t.Fatalf("before its time the proposal is not listed open")
	}
	c.set(pr.GetWindowStart().AsTime().Add(time.Minute))
	for _, a := range ags {
		if got := listed(a.tok, ruqiv1.ProposalState_PROPOSAL_STATE_OPEN); got != nil {
			t.Errorf("%s: listed 待响应 after its common time began: %v", a.agency, got.GetState())
		}
		got := listed(a.tok, ruqiv1.ProposalState_PROPOSAL_STATE_FAILED)
		if got == nil || !strings.Contains(got.GetOutcome(), "过期") {
			t.Errorf("%s: not listed 未成团 saying it expired: %v", a.agency, got)
		}
	}
}
