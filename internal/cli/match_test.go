package cli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestMatchLabels_EveryValueHasChineseText(t *testing.T) {
	for n := range ruqiv1.ProposalState_name {
		if s := ruqiv1.ProposalState(n); s != ruqiv1.ProposalState_PROPOSAL_STATE_UNSPECIFIED && strings.HasPrefix(proposalStateLabel(s), "未知") {
			t.Errorf("ProposalState %v has no label", s)
		}
	}
	for n := range ruqiv1.ProposalAnswer_name {
		if a := ruqiv1.ProposalAnswer(n); strings.HasPrefix(proposalAnswerLabel(a), "未知") {
			t.Errorf("ProposalAnswer %v has no label", a)
		}
	}
}

func TestProposalAnswered_SaysWhoLeadsAndWhoDeclined(t *testing.T) {
	var out bytes.Buffer
	p := &tablePrinter{out: &out}
	p.ProposalAnswered(&ruqiv1.RespondToProposalResponse{Proposal: &ruqiv1.JointVisitProposal{
		Id: "MAT-1", LeadAgencyId: "AG-01", State: ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED, Outcome: "已成团：2个部门报备为联合检查 JNT-1", JointInspectionId: "JNT-1",
		Members: []*ruqiv1.ProposalMember{
			{AgencyId: "AG-01", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED, InspectionId: "INS-1"},
			{AgencyId: "AG-02", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED},
			{AgencyId: "AG-03", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED, InspectionId: "INS-3"},
		},
		Checklist: []*ruqiv1.CheckItemView{{CheckItemId: "CI-1", Name: "消防检查", AgencyIds: []string{"AG-01", "AG-03"}}},
	}})
	for _, want := range []string{"拼团提议 MAT-1 已成团", "AG-01（牵头，同意）、AG-02（拒绝）、AG-03（同意）", "AG-03：INS-3", "消防检查", "AG-01、AG-03"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// proposalServer answers ListProposals from a canned list.
type proposalServer struct {
	ruqiv1.UnimplementedMatchingServiceServer
	proposals []*ruqiv1.JointVisitProposal
}

func (f *proposalServer) ListProposals(context.Context, *ruqiv1.ListProposalsRequest) (*ruqiv1.ListProposalsResponse, error) {
	return &ruqiv1.ListProposalsResponse{Proposals: f.proposals}, nil
}

// An agency that accepted a proposal before the others answered reads, once
// it settled, only "AG-01（报备未通过）" in match list: why its part was
// refused (the member's note, which is the agency's to read), the outcome,
// the partners' answers and the 一表通查 were nowhere but in -o json (a
// planner's walk through a quarter, 2026-12-07). match show prints them.
func TestMatchShow_PrintsAnswersNotesAndOutcome(t *testing.T) {
	f := &proposalServer{proposals: []*ruqiv1.JointVisitProposal{{
		Id: "MAT-AAAAAAAAAAAAAAAA", EnterpriseUscc: "91510104CY4C7RGWMR", LeadAgencyId: "AG-03",
		State: ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED, Outcome: "已成团：2个部门报备为联合检查 JNT-1；报备未通过：AG-01", JointInspectionId: "JNT-1",
		Members: []*ruqiv1.ProposalMember{
			{AgencyId: "AG-01", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED, OfficerIds: []string{"O-0001", "O-0010"},
				Note: "无事不扰：本部门对该企业的年度检查上限为2次"},
			{AgencyId: "AG-03", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED, OfficerIds: []string{"O-0003", "O-0012"}, InspectionId: "INS-3",
				Warnings: []*ruqiv1.FrequencyWarning{{Rule: "visits_per_week", Message: "频次预警：该企业本周被入企检查次数已达第3次"}}},
			{AgencyId: "AG-04", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED, Note: "本月另有安排"},
			{AgencyId: "AG-05", Answer: ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED, OfficerIds: []string{"O-0005", "O-0014"}, InspectionId: "INS-5"},
		},
		Checklist: []*ruqiv1.CheckItemView{{CheckItemId: "CI-0012", Name: "安全生产责任制落实情况检查", AgencyIds: []string{"AG-03"}}},
	}}}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterMatchingServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	a, out, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	if code := a.run([]string{"--server", "passthrough:///bufnet", "--token", "t", "match", "show", "mat-aaaaaaaaaaaaaaaa"}); code != exitOK {
		t.Fatalf("match show: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"已成团", "报备未通过：AG-01", "无事不扰：本部门对该企业的年度检查上限为2次", "本月另有安排",
		"O-0003、O-0012", "INS-3", "INS-5", "安全生产责任制落实情况检查", "AG-03（牵头，同意）",
		"⚠ 频次预警：该企业本周被入企检查次数已达第3次"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("match show lacks %q:\n%s", want, out.String())
		}
	}
	a, out, errOut = testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	if code := a.run([]string{"--server", "passthrough:///bufnet", "--token", "t", "match", "show", "MAT-BBBBBBBBBBBBBBBB"}); code == exitOK {
		t.Errorf("match show of a proposal not listed: exit 0\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "MAT-BBBBBBBBBBBBBBBB") {
		t.Errorf("match show of a proposal not listed says %q: want it named", errOut.String())
	}
}

// match run names the plans a cap left out, not only their number (a
// planner's trial: "因频次上限未参加的计划 2 项", and no word of which).
func TestMatched_NamesThePlansCappedOut(t *testing.T) {
	var out bytes.Buffer
	p := &tablePrinter{out: &out}
	p.Matched(&ruqiv1.RunMatchingResponse{EnterprisesCovered: 1, PlansCappedOut: 2, CappedOut: []*ruqiv1.CappedPlan{
		{EnterpriseUscc: "91510104CY4C7RGWMR", AgencyId: "AG-01", PlanId: "JH-1", Rule: "grade_A_per_year", Message: "无事不扰：该企业（信用等级A）的年度主动检查上限为0次"},
		{EnterpriseUscc: "91510104CY4C7RGWMR", AgencyId: "AG-02", PlanId: "JH-2", Rule: "grade_A_per_year", Message: "无事不扰：该企业（信用等级A）的年度主动检查上限为0次"},
	}})
	for _, want := range []string{"因频次上限未参加的计划 2 项", "91510104CY4C7RGWMR", "AG-01", "JH-1", "AG-02", "JH-2", "信用等级A"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
