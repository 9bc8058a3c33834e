package inspection_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Matching reads filed plans (检查计划, the version in force) and coverages
// submitted directly; a submitted coverage under a filed plan's id gives way;
// retired items are left out; and matching the same plans twice proposes
// once.
func TestCoverages_FiledPlansAndSubmittedCoverage_ProposedOnce(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(t, now)
	from, to := timestamppb.New(now), timestamppb.New(now.AddDate(0, 1, 0))
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return errors.Join(
			tx.PutAgency(&ruqiv1.Agency{Id: "AG-2", Name: "市级部门", RegionCode: "510100"}),
			tx.PutAgency(&ruqiv1.Agency{Id: "AG-3", Name: "市级部门", RegionCode: "510100"}),
			tx.PutCheckItem(&ruqiv1.CheckItem{Id: "IT-1", AgencyId: "AG-1", Name: "消防检查"}),
			tx.PutCheckItem(&ruqiv1.CheckItem{Id: "IT-2", AgencyId: "AG-2", Name: "食品检查"}),
			tx.PutCheckItem(&ruqiv1.CheckItem{Id: "IT-3", AgencyId: "AG-2", Name: "已取消的检查", Retired: true}),
			tx.PutPlan(&ruqiv1.Plan{Id: "PLAN-1", AgencyId: "AG-1", Versions: []*ruqiv1.PlanVersion{{Version: 1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
				Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{uscc}}, CheckItemIds: []string{"IT-1"}, PeriodStart: from, PeriodEnd: to, State: ruqiv1.PlanState_PLAN_STATE_FILED}}}),
			// A 双随机 population plan: its draws pick whom it inspects.
			tx.PutPlan(&ruqiv1.Plan{Id: "PLAN-2", AgencyId: "AG-3", Versions: []*ruqiv1.PlanVersion{{Version: 1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
				Scope: &ruqiv1.PlanScope{RegionCode: region}, CheckItemIds: []string{"IT-1"}, PeriodStart: from, PeriodEnd: to, State: ruqiv1.PlanState_PLAN_STATE_FILED}}}),
			tx.PutPlanCoverage(&ruqiv1.PlanCoverage{PlanId: "PLAN-1", AgencyId: "AG-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
				PeriodStart: from, PeriodEnd: to, CheckItemIds: []string{"IT-1"}, EnterpriseUsccs: []string{"91110000000000000X"}}),
			tx.PutPlanCoverage(&ruqiv1.PlanCoverage{PlanId: "M-12", AgencyId: "AG-2", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
				PeriodStart: from, PeriodEnd: to, CheckItemIds: []string{"IT-2", "IT-3"}, EnterpriseUsccs: []string{uscc}}),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	var plans []matching.Coverage
	err = st.View(context.Background(), func(r store.Reader) error {
		plans, err = inspection.Coverages(r, now, now.AddDate(0, 1, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 || plans[0].PlanID != "PLAN-1" || len(plans[0].Enterprises) != 1 || plans[0].Enterprises[0] != uscc || len(plans[1].Items) != 1 {
		t.Fatalf("coverages %+v: want the filed PLAN-1 (not the submitted one) and M-12 without its retired item", plans)
	}
	res := matching.Match(matching.Input{Plans: plans, NotBefore: now})
	if len(res.Proposals) != 1 {
		t.Fatalf("%+v", res)
	}
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	for round, want := range []int{1, 0} {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			made, err := inspection.Propose(tx, admin, now, -1, res.Proposals, func(string, string) string { return "" })
			if err == nil && len(made) != want {
				t.Errorf("round %d: %d proposals made, want %d", round, len(made), want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// A plan naming a population (a region, perhaps an industry) covers, for
// matching, the enterprises of that population another plan lists; a
// 双随机 one does not, nor one whose period is elsewhere, nor two that only
// name populations.
func TestCoverages_PopulationPlan_MatchedWhereAnotherPlanLists(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(t, now)
	const gas1, gas2, other = "91510107MA00000001", "91510104MA00000002", "91510104MA00000003"
	from, to := timestamppb.New(now), timestamppb.New(now.AddDate(0, 1, 0))
	later, after := timestamppb.New(now.AddDate(0, 2, 0)), timestamppb.New(now.AddDate(0, 3, 0))
	plan := func(id, agency string, typ ruqiv1.InspectionType, scope *ruqiv1.PlanScope, item string, start, end *timestamppb.Timestamp) *ruqiv1.Plan {
		// 专项 plans are in force once approved and published.
		state := ruqiv1.PlanState_PLAN_STATE_FILED
		if typ == ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
			state = ruqiv1.PlanState_PLAN_STATE_PUBLISHED
		}
		return &ruqiv1.Plan{Id: id, AgencyId: agency, Versions: []*ruqiv1.PlanVersion{{Version: 1, Type: typ, Scope: scope,
			CheckItemIds: []string{item}, PeriodStart: start, PeriodEnd: end, State: state}}}
	}
	routine, special, random := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM
	err := st.Update(context.Background(), func(tx store.Tx) error {
		var errs []error
		for _, e := range []*ruqiv1.Enterprise{
			{Uscc: gas1, Name: "燃气一", RegionCode: "510107", Industry: "燃气"},
			{Uscc: gas2, Name: "燃气二", RegionCode: "510104", Industry: "燃气"},
			{Uscc: other, Name: "未列入", RegionCode: "510104", Industry: "燃气"},
		} {
			errs = append(errs, tx.PutEnterprise(e))
		}
		for i, ag := range []string{"AG-1", "AG-2", "AG-3", "AG-4", "AG-5", "AG-6", "AG-7"} {
			// The city's agencies, but AG-7 of 锦江区 (510104).
			errs = append(errs, tx.PutAgency(&ruqiv1.Agency{Id: ag, Name: "部门", RegionCode: map[bool]string{true: "510104", false: "510100"}[ag == "AG-7"]}))
			errs = append(errs, tx.PutCheckItem(&ruqiv1.CheckItem{Id: fmt.Sprintf("IT-%d", i+1), AgencyId: ag, Name: "检查"}))
		}
		errs = append(errs,
			tx.PutPlan(plan("PLAN-L", "AG-1", routine, &ruqiv1.PlanScope{EnterpriseUsccs: []string{gas2, uscc, gas1}}, "IT-1", from, to)),
			// Kept by an older version, which did not hold a plan to its
			// agency's territory: a district's 专项 over the whole city,
			// and its list of the city's enterprises. Matching takes of
			// each only the district's (an upgrade trial, 2026-12-07).
			tx.PutPlan(plan("PLAN-W", "AG-7", special, &ruqiv1.PlanScope{RegionCode: "510100", Industry: "燃气"}, "IT-7", from, to)),
			tx.PutPlan(plan("PLAN-V", "AG-7", routine, &ruqiv1.PlanScope{EnterpriseUsccs: []string{uscc, gas2}}, "IT-7", from, to)),
			tx.PutPlan(plan("PLAN-D", "AG-2", routine, &ruqiv1.PlanScope{RegionCode: "510107"}, "IT-2", from, to)),
			tx.PutPlan(plan("PLAN-G", "AG-3", special, &ruqiv1.PlanScope{RegionCode: "510100", Industry: "燃气"}, "IT-3", from, to)),
			tx.PutPlan(plan("PLAN-R", "AG-4", random, &ruqiv1.PlanScope{RegionCode: "510100"}, "IT-4", from, to)),
			tx.PutPlan(plan("PLAN-X", "AG-5", special, &ruqiv1.PlanScope{RegionCode: "510100"}, "IT-5", later, after)),
			// Two populations alone: other is listed by no plan.
			tx.PutPlan(plan("PLAN-Y", "AG-6", special, &ruqiv1.PlanScope{RegionCode: "510104", Industry: "燃气"}, "IT-6", from, to)),
		)
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	var plans []matching.Coverage
	err = st.View(context.Background(), func(r store.Reader) error {
		plans, err = inspection.Coverages(r, now, now.AddDate(0, 1, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, c := range plans {
		got[c.PlanID] = c.Enterprises
	}
	want := map[string][]string{
		"PLAN-L": {gas2, uscc, gas1},
		"PLAN-D": {uscc, gas1},
		"PLAN-G": {gas2, gas1},
		"PLAN-Y": {gas2},
		"PLAN-W": {gas2},
		"PLAN-V": {gas2},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("coverages by plan %v\nwant %v", got, want)
	}
	res := matching.Match(matching.Input{Plans: plans, NotBefore: now})
	agencies := map[string][]string{}
	for _, p := range res.Proposals {
		for _, m := range p.Members {
			agencies[p.USCC] = append(agencies[p.USCC], m.AgencyID)
		}
		slices.Sort(agencies[p.USCC])
	}
	// AG-7 only where it may inspect: not at uscc or gas1 (510107).
	wantAgencies := map[string][]string{uscc: {"AG-1", "AG-2"}, gas1: {"AG-1", "AG-2", "AG-3"}, gas2: {"AG-1", "AG-3", "AG-6", "AG-7"}}
	if !reflect.DeepEqual(agencies, wantAgencies) {
		t.Fatalf("proposals' agencies by enterprise %v\nwant %v", agencies, wantAgencies)
	}
}

// An acceptance of a 拼团 proposal stands at settling only while the
// officer who gave it may still act for the agency: a certificate
// suspended, revoked or expired since, the officer moved to another agency
// or gone from the directory makes it lapse, with a reason naming the
// officer (ACCEPTANCE_LAPSED). An administrator's acceptance stands, and so
// does a part already registered under the proposal's request id (a
// settling cut short and retried).
func TestAcceptanceStands(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(t, now)
	const pid = "MAT-TEST"
	put := func(o *ruqiv1.Officer) {
		t.Helper()
		if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.PutOfficer(o) }); err != nil {
			t.Fatal(err)
		}
	}
	officer := func(id string, mod func(*ruqiv1.Officer)) *ruqiv1.Officer {
		o := &ruqiv1.Officer{Id: id, AgencyId: "AG-1", Name: "样例", CertificateNumber: "C-" + id,
			CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, CertificateValidUntil: timestamppb.New(now.AddDate(1, 0, 0))}
		if mod != nil {
			mod(o)
		}
		return o
	}
	put(officer("O-OK", nil))
	put(officer("O-SUSP", func(o *ruqiv1.Officer) { o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED }))
	put(officer("O-REV", func(o *ruqiv1.Officer) { o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED }))
	put(officer("O-EXP", func(o *ruqiv1.Officer) { o.CertificateValidUntil = timestamppb.New(now.Add(-time.Hour)) }))
	put(officer("O-MOVED", func(o *ruqiv1.Officer) { o.AgencyId = "AG-2" }))
	put(officer("O-DONE", func(o *ruqiv1.Officer) { o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED }))
	// O-DONE's part was registered before the revocation, by a settling
	// that stopped before it closed the proposal.
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutRequest(inspection.RequestKey("AG-1", inspection.ProposalRequestID(pid)), "INS-1")
	}); err != nil {
		t.Fatal(err)
	}
	byOfficer := func(id string) *ruqiv1.ProposalMember {
		return &ruqiv1.ProposalMember{AgencyId: "AG-1", AnsweredByRole: ruqiv1.Role_ROLE_OFFICER, AnsweredBySubject: id}
	}
	for _, c := range []struct {
		name  string
		m     *ruqiv1.ProposalMember
		pid   string
		lapse string // a word the reason must hold; "" if the acceptance stands
	}{
		{"valid", byOfficer("O-OK"), "MAT-OTHER", ""},
		{"suspended", byOfficer("O-SUSP"), "MAT-OTHER", "暂扣"},
		{"revoked", byOfficer("O-REV"), "MAT-OTHER", "注销"},
		{"expired", byOfficer("O-EXP"), "MAT-OTHER", "过期"},
		{"moved", byOfficer("O-MOVED"), "MAT-OTHER", "已不属于本部门"},
		{"gone", byOfficer("O-GONE"), "MAT-OTHER", "已不在执法人员名录中"},
		{"agency administrator", &ruqiv1.ProposalMember{AgencyId: "AG-1", AnsweredByRole: ruqiv1.Role_ROLE_AGENCY_ADMIN, AnsweredBySubject: "AG-1"}, "MAT-OTHER", ""},
		{"registered before the revocation", byOfficer("O-DONE"), pid, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if verr := st.View(context.Background(), func(r store.Reader) error {
				err = inspection.AcceptanceStands(r, c.pid, c.m, now)
				return nil
			}); verr != nil {
				t.Fatal(verr)
			}
			if c.lapse == "" {
				if err != nil {
					t.Fatalf("acceptance by %s: %v, want it to stand", c.m.GetAnsweredBySubject(), err)
				}
				return
			}
			var de *domain.Error
			if !errors.As(err, &de) || de.Reason != "ACCEPTANCE_LAPSED" || !strings.Contains(de.Message, c.m.GetAnsweredBySubject()) || !strings.Contains(de.Message, c.lapse) {
				t.Fatalf("acceptance by %s: %v, want ACCEPTANCE_LAPSED naming the officer and %q", c.m.GetAnsweredBySubject(), err, c.lapse)
			}
		})
	}
}

// A proposal as an agency reads it: its own member whole; of the others no
// 个案 trigger and, for a part refused at registration, the general
// PartnerRefusal instead of the refusal; the joint inspection's id only if
// its own part is in the visit. The stored proposal is not changed.
func TestProposalForAgency(t *testing.T) {
	const joint = "JNT-20261206-AAAA"
	pr := &ruqiv1.JointVisitProposal{Id: "MAT-1", JointInspectionId: joint, Outcome: "未成团：仅AG-1 INS-20261206-BBBB 报备成功，并入联合检查 " + joint + "；报备未通过：AG-2",
		Members: []*ruqiv1.ProposalMember{
			{AgencyId: "AG-1", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED, InspectionId: "INS-20261206-BBBB"},
			{AgencyId: "AG-2", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED, Note: "重复报备：本部门已有与此时段重叠的检查 INS-20261206-AAAA", TriggerReference: "JB-1"},
			{AgencyId: "AG-3", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED, Note: "本月另有安排"},
		}}
	seen := func(agency string) *ruqiv1.JointVisitProposal { return inspection.ProposalForAgency(pr, agency) }
	refused := func(p *ruqiv1.JointVisitProposal) *ruqiv1.ProposalMember { return p.GetMembers()[1] }

	if got := seen("AG-2"); refused(got).GetNote() != pr.GetMembers()[1].GetNote() || refused(got).GetTriggerReference() != "JB-1" {
		t.Errorf("AG-2 reads its own part as %v: want it whole", refused(got))
	}
	for _, agency := range []string{"AG-1", "AG-3"} {
		got := seen(agency)
		if m := refused(got); m.GetNote() != inspection.PartnerRefusal || m.GetTriggerReference() != "" || m.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED {
			t.Errorf("%s reads AG-2's part as %v: want refused, the general reason, no trigger", agency, m)
		}
		if got.GetMembers()[2].GetNote() != "本月另有安排" {
			t.Errorf("%s reads AG-3's own note to the proposal as %q", agency, got.GetMembers()[2].GetNote())
		}
	}
	if got := seen("AG-1"); got.GetJointInspectionId() != joint || !strings.Contains(got.GetOutcome(), joint) {
		t.Errorf("AG-1, in the visit, reads joint %q, outcome %q: want the joint inspection", got.GetJointInspectionId(), got.GetOutcome())
	}
	for _, agency := range []string{"AG-2", "AG-3"} {
		if got := seen(agency); got.GetJointInspectionId() != "" || strings.Contains(got.GetOutcome(), "AAAA") || !strings.Contains(got.GetOutcome(), "并入联合检查") {
			t.Errorf("%s, in no visit, reads joint %q, outcome %q: want the outcome without the joint inspection's id", agency, got.GetJointInspectionId(), got.GetOutcome())
		}
	}
	if pr.GetJointInspectionId() != joint || refused(pr).GetTriggerReference() != "JB-1" || !strings.HasPrefix(refused(pr).GetNote(), "重复报备") {
		t.Errorf("the proposal itself was changed: %v", pr)
	}
}
