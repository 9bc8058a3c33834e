package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
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

// AG-02 has used its two proactive inspections of the enterprise this year
// by the time the three agencies' answers are in: its part of the 拼团
// visit is refused (无事不扰), and AG-01 and AG-03 go on together. The
// refusal's detail (the cap, the count that this would be the third, the
// other inspections) is AG-02's own: its partners read that AG-02's part
// was refused and a general reason, no count and none of AG-02's other
// inspections, in the list and in the answer that settled the proposal.
// AG-02's administrator and the 司法局 of the region read the detail. The
// detail used to be every member's to read (a red-team trial).
func testProposal_PartnerRefusal_DetailIsTheAgencysOwn(t *testing.T, st store.Store) {
	e := newEnvOn(t, st, "")
	pr, ags := threeAgencyProposal(t, e)
	a1, a2, a3 := ags[0], ags[1], ags[2]
	// AG-02's two routine checks the same morning, before the proposed
	// window (in its year: a proposal is never on 1 January).
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	var others []string
	for _, h := range []time.Duration{5, 3} {
		start := pr.GetWindowStart().AsTime().Add(-h * time.Hour)
		r, err := ins.RegisterInspection(e.as(a2.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: pr.GetEnterpriseUscc(), CheckItemIds: a2.items[:1], OfficerIds: a2.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
		if err != nil {
			t.Fatal(err)
		}
		others = append(others, r.GetInspection().GetId())
	}
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	var last *ruqiv1.JointVisitProposal
	for _, a := range []*registrar{a2, a1, a3} { // a partner's answer settles it
		resp, err := mcli.RespondToProposal(e.as(a.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: a.officers[:2]})
		if err != nil {
			t.Fatal(err)
		}
		last = resp.GetProposal()
	}
	if last.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED || memberOf(last, "AG-02").GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED {
		t.Fatalf("proposal %v, AG-02 %v: want AG-01 and AG-03 registered and AG-02's part refused", last.GetState(), memberOf(last, "AG-02").GetAnswer())
	}
	// What a reader learns of AG-02's part.
	leaks := func(who, agency string, pr *ruqiv1.JointVisitProposal) {
		t.Helper()
		m := memberOf(pr, "AG-02")
		if m.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED || m.GetNote() == "" {
			t.Errorf("%s reads AG-02's part as %v %q: want it said refused, with a general reason", who, m.GetAnswer(), m.GetNote())
		}
		// The reader's own part's frequency warnings count the day's
		// visits ("第3次"), as its registration of its own would answer.
		pr = proto.Clone(pr).(*ruqiv1.JointVisitProposal)
		memberOf(pr, agency).Warnings = nil
		text := protojson.Format(pr)
		for _, leak := range append([]string{"第3次", "上限为2次", "无事不扰"}, others...) {
			if strings.Contains(text, leak) {
				t.Errorf("%s reads %q of AG-02's refusal in the proposal: %q", who, leak, m.GetNote())
			}
		}
	}
	leaks("AG-03's officer, answering last", "AG-03", last)
	for _, a := range []*registrar{a1, a3} {
		list, err := mcli.ListProposals(e.as(a.tok), &ruqiv1.ListProposalsRequest{})
		if err != nil || len(list.GetProposals()) != 1 {
			t.Fatalf("%s's proposals: %v, %v", a.agency, list, err)
		}
		leaks(a.agency+"'s officer", a.agency, list.GetProposals()[0])
	}
	// AG-02 itself, and the region's supervisor, read why.
	for who, tok := range map[string]string{
		"AG-02's officer":       a2.tok,
		"AG-02's administrator": e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-02"),
		"the supervisor":        e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, pr.GetRegionCode()),
	} {
		list, err := mcli.ListProposals(e.as(tok), &ruqiv1.ListProposalsRequest{})
		if err != nil || len(list.GetProposals()) != 1 {
			t.Fatalf("%s's proposals: %v, %v", who, list, err)
		}
		if note := memberOf(list.GetProposals()[0], "AG-02").GetNote(); !strings.Contains(note, "无事不扰") || !strings.Contains(note, "第3次") {
			t.Errorf("%s reads AG-02's refusal as %q: want the cap and the count", who, note)
		}
	}
}

func TestProposal_PartnerRefusal_DetailIsTheAgencysOwn_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testProposal_PartnerRefusal_DetailIsTheAgencysOwn(t, st)
}

func TestProposal_PartnerRefusal_DetailIsTheAgencysOwn_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testProposal_PartnerRefusal_DetailIsTheAgencysOwn(t, st)
}

// After the matching run AG-02 registers a routine check of its own in the
// proposed window. AG-01 and AG-02 accept, AG-03 declines. AG-01's part
// joins AG-02's check, and AG-02's part is refused as a duplicate of it
// ("重复报备…检查 INS-…"). AG-03, which is in no visit, reads neither that
// inspection's id nor the joint inspection's, which is named after it
// (JNT- and the same suffix); AG-01, in the visit with it, reads the joint
// but not AG-02's refusal. AG-02 reads its own refusal whole.
func testProposal_PartnerDuplicate_NamesNoInspection(t *testing.T, st store.Store) {
	e := newEnvOn(t, st, "")
	pr, ags := threeAgencyProposal(t, e)
	a1, a2, a3 := ags[0], ags[1], ags[2]
	own, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(a2.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: pr.GetEnterpriseUscc(), CheckItemIds: a2.items[:1], OfficerIds: a2.officers[:2],
		WindowStart: pr.GetWindowStart(), WindowEnd: pr.GetWindowEnd(), Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	if err != nil {
		t.Fatal(err)
	}
	other := own.GetInspection().GetId()
	suffix := strings.TrimPrefix(other, "INS-")
	mcli := ruqiv1.NewMatchingServiceClient(e.cc)
	for _, a := range []*registrar{a1, a2} {
		if _, err := mcli.RespondToProposal(e.as(a.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: true, OfficerIds: a.officers[:2]}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := mcli.RespondToProposal(e.as(a3.tok), &ruqiv1.RespondToProposalRequest{ProposalId: pr.GetId(), Accept: false, Note: "本月另有安排"})
	if err != nil {
		t.Fatal(err)
	}
	whole, err := mcli.ListProposals(e.as(e.admin), &ruqiv1.ListProposalsRequest{})
	if err != nil || len(whole.GetProposals()) != 1 {
		t.Fatalf("proposals: %v, %v", whole, err)
	}
	if w := whole.GetProposals()[0]; memberOf(w, "AG-02").GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED ||
		!strings.Contains(memberOf(w, "AG-02").GetNote(), other) || !strings.Contains(w.GetJointInspectionId(), suffix) {
		t.Fatalf("settled %v, AG-02 %v %q, joint %q: want AG-01 joined AG-02's %s, and AG-02's part refused naming it",
			w.GetState(), memberOf(w, "AG-02").GetAnswer(), memberOf(w, "AG-02").GetNote(), w.GetJointInspectionId(), other)
	}
	read := func(tok string) *ruqiv1.JointVisitProposal {
		t.Helper()
		list, err := mcli.ListProposals(e.as(tok), &ruqiv1.ListProposalsRequest{})
		if err != nil || len(list.GetProposals()) != 1 {
			t.Fatalf("proposals: %v, %v", list, err)
		}
		return list.GetProposals()[0]
	}
	for who, pr := range map[string]*ruqiv1.JointVisitProposal{"AG-03's answer": resp.GetProposal(), "AG-03's list": read(a3.tok)} {
		if text := protojson.Format(pr); strings.Contains(text, suffix) {
			t.Errorf("%s, in no visit, names AG-02's other inspection %s (joint %q, outcome %q, AG-02's note %q)",
				who, other, pr.GetJointInspectionId(), pr.GetOutcome(), memberOf(pr, "AG-02").GetNote())
		}
	}
	in := read(a1.tok)
	if strings.Contains(memberOf(in, "AG-02").GetNote(), other) || in.GetJointInspectionId() == "" {
		t.Errorf("AG-01 reads AG-02's note %q and joint %q: want no refusal detail, and the joint visit it is in", memberOf(in, "AG-02").GetNote(), in.GetJointInspectionId())
	}
	if note := memberOf(read(a2.tok), "AG-02").GetNote(); !strings.Contains(note, other) {
		t.Errorf("AG-02 reads its own refusal as %q: want the duplicate named", note)
	}
}

func TestProposal_PartnerDuplicate_NamesNoInspection_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testProposal_PartnerDuplicate_NamesNoInspection(t, st)
}

func TestProposal_PartnerDuplicate_NamesNoInspection_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testProposal_PartnerDuplicate_NamesNoInspection(t, st)
}
