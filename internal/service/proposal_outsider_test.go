package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An agency that is in no proposal computes a proposal's id (a hash of the
// enterprise and the member plans' ids) and asks to answer it: an existing
// proposal it is not a member of was refused NOT_IN_PROPOSAL, one nobody
// made PROPOSAL_UNKNOWN: it learnt that AG-02's case plan (个案, an
// unannounced check) and AG-01's routine plan meet at this enterprise (a
// security review, 2026-12-07). Both are answered alike now.
func TestRespondToProposal_OutsiderCannotTellAProposalExists(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	a1, a2, a4 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02"), e.registrar(t, "AG-04")
	var uscc, other string
	for _, ent := range e.dir.GetEnterprises()[1:] {
		if ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			if uscc == "" {
				uscc = ent.GetUscc()
			} else if other == "" {
				other = ent.GetUscc()
			}
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
		CheckItemIds: a1.items[:2], EnterpriseUsccs: []string{uscc, other}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := mcli.RunMatching(e.as(e.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.Add(30 * 24 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	members := []matching.Member{{AgencyID: "AG-01", PlanID: "R-1"}, {AgencyID: "AG-02", PlanID: "CASE-7"}}
	probe := func(u string) error {
		_, err := mcli.RespondToProposal(e.as(a4.tok), &ruqiv1.RespondToProposalRequest{ProposalId: inspection.ProposalID(u, members), Accept: false})
		return err
	}
	hit, miss := probe(uscc), probe(other)
	// Naming another agency, as an officer may not, is refused alike
	// whether the proposal exists or not.
	for _, u := range []string{uscc, other} {
		_, err := mcli.RespondToProposal(e.as(a4.tok), &ruqiv1.RespondToProposalRequest{ProposalId: inspection.ProposalID(u, members), AgencyId: "AG-01", Accept: false})
		if status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OTHER_AGENCY" {
			t.Errorf("AG-04 answering %s's proposal for AG-01: %v %s, want OTHER_AGENCY whether it exists or not", u, status.Code(err), reasonOf(err))
		}
	}
	if status.Code(hit) != codes.NotFound || reasonOf(hit) != reasonOf(miss) || status.Code(hit) != status.Code(miss) ||
		strings.Replace(status.Convert(hit).Message(), inspection.ProposalID(uscc, members), "", 1) != strings.Replace(status.Convert(miss).Message(), inspection.ProposalID(other, members), "", 1) {
		t.Errorf("AG-04 tells which enterprise AG-02's case plan targets: %v %q against %v %q",
			status.Code(hit), status.Convert(hit).Message(), status.Code(miss), status.Convert(miss).Message())
	}
	// A member still answers it.
	if _, err := mcli.RespondToProposal(e.as(a2.tok), &ruqiv1.RespondToProposalRequest{ProposalId: inspection.ProposalID(uscc, members), Accept: false}); err != nil {
		t.Errorf("AG-02 declining its own proposal: %v", err)
	}
}
