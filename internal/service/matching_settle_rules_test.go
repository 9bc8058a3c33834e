package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// threeAgencyProposal has AG-01, AG-02 and AG-03 cover one enterprise (not
// of grade A, so that proactive checks are allowed) with routine plans over
// the same days, and an administrator's matching run propose them one joint
// visit. It returns the proposal and the three agencies' registrars.
func threeAgencyProposal(t *testing.T, e *env) (*ruqiv1.JointVisitProposal, []*registrar) {
	t.Helper()
	ags := []*registrar{e.registrar(t, "AG-01"), e.registrar(t, "AG-02"), e.registrar(t, "AG-03")}
	var uscc string
	for _, ent := range e.dir.GetEnterprises()[1:] {
		if ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			uscc = ent.GetUscc()
			break
		}
	}
	now := time.Now()
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	from, to := now.Add(24*time.Hour), now.Add(10*24*time.Hour)
	for _, a := range ags {
		if _, err := mcli.SubmitPlanCoverage(e.as(a.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "R-" + a.agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
			CheckItemIds: a.items[:1], EnterpriseUsccs: []string{uscc}}}); err != nil {
			t.Fatal(err)
		}
	}
	run, err := mcli.RunMatching(e.as(e.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(now), PeriodEnd: timestamppb.New(now.Add(30 * 24 * time.Hour))})
	if err != nil || len(run.GetProposals()) != 1 || len(run.GetProposals()[0].GetMembers()) != 3 {
		t.Fatalf("matching run: %v, %v; want one proposal of the three agencies", run, err)
	}
	return run.GetProposals()[0], ags
}

func memberOf(pr *ruqiv1.JointVisitProposal, agency string) *ruqiv1.ProposalMember {
	for _, m := range pr.GetMembers() {
		if m.GetAgencyId() == agency {
			return m
		}
	}
	return nil
}

// AG-01's officer accepts a 拼团 proposal, naming two colleagues, and is
// then struck off: the certificate (执法证) revoked (注销). The last answer
// settles the proposal. AG-01's part used to be registered as that officer
// (registered_by "officer:<id>"), an act the officer's own token is refused
// since the revocation (LookupToken), because settling rebuilds the
// principal from the stored answer and asked nobody whether it could still
// act (a red-team trial). Now the acceptance lapses with the certificate:
// AG-01's part is not registered, its member says why (报备未通过, naming the
// officer and the certificate), and the others' visit stands without it.
func testProposal_AcceptedByOfficerSinceRevoked(t *testing.T, st store.Store) {
	ctx := context.Background()
	e := newEnvOn(t, st, "")
	pr, ags := threeAgencyProposal(t, e)
	a1 := ags[0]
	lapsed := a1.officers[0] // a1.tok is this officer's
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	if _, err := mcli.RespondToProposal(e.as(a1.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: a1.officers[1:3]}); err != nil {
		t.Fatal(err)
	}
	if _, err := ruqiv1.NewDirectoryServiceClient(e.cc).SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{
		OfficerId: lapsed, Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, Reason: "清理注销"}); err != nil {
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
	err := st.View(ctx, func(r store.Reader) error {
		list, err := r.InspectionsOfEnterprise(pr.GetEnterpriseUscc(), store.Page{})
		for _, ins := range list {
			if ins.GetAgencyId() == "AG-01" || ins.GetRegisteredBy() == "officer:"+lapsed {
				t.Errorf("inspection %s of %s registered by %s, whose certificate was revoked after accepting", ins.GetId(), ins.GetAgencyId(), ins.GetRegisteredBy())
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// What AG-01's administrator reads of its own part: refused, and why.
	own, err := mcli.ListProposals(e.as(e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(own.GetProposals()) != 1 {
		t.Fatalf("AG-01's proposals: %v, %v", own, err)
	}
	m := memberOf(own.GetProposals()[0], "AG-01")
	if m.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED || m.GetInspectionId() != "" {
		t.Errorf("AG-01's part: %v, inspection %q; want 报备未通过 and no inspection", m.GetAnswer(), m.GetInspectionId())
	}
	if note := m.GetNote(); !strings.Contains(note, lapsed) || !strings.Contains(note, "注销") || !strings.Contains(note, "同意") {
		t.Errorf("AG-01's part says %q: want the officer who accepted, the revocation, and that the acceptance no longer stands", note)
	}
	// The other two agencies' visit goes on as one joint inspection.
	if last.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED || last.GetJointInspectionId() == "" ||
		memberOf(last, "AG-02").GetInspectionId() == "" || memberOf(last, "AG-03").GetInspectionId() == "" {
		t.Errorf("proposal after settling: %v, joint %q, outcome %q; want AG-02 and AG-03 registered as one joint inspection",
			last.GetState(), last.GetJointInspectionId(), last.GetOutcome())
	}
	if !strings.Contains(last.GetOutcome(), "报备未通过：AG-01") {
		t.Errorf("outcome %q: want AG-01 said not registered", last.GetOutcome())
	}
}

func TestProposal_AcceptedByOfficerSinceRevoked_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testProposal_AcceptedByOfficerSinceRevoked(t, st)
}

func TestProposal_AcceptedByOfficerSinceRevoked_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testProposal_AcceptedByOfficerSinceRevoked(t, st)
}
