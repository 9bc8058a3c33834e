package cli

import (
	"bytes"
	"strings"
	"testing"

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
