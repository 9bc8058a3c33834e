package domain

import ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"

// leadNext is the lifecycle of a lead (问题线索): received → checking →
// rectified, transferred to the discipline commission (移交纪委) or unfounded;
// a lead may also be found unfounded straight away. The last three are final.
var leadNext = map[ruqiv1.LeadStatus][]ruqiv1.LeadStatus{
	ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED: {ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED},
	ruqiv1.LeadStatus_LEAD_STATUS_CHECKING: {ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED, ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED, ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED},
}

// LeadStatusName is each lead status in the supervisor's words.
var LeadStatusName = map[ruqiv1.LeadStatus]string{
	ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED:    "已接收",
	ruqiv1.LeadStatus_LEAD_STATUS_CHECKING:    "核查中",
	ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED:   "已整改",
	ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED: "已移交纪委",
	ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED:   "查无实据",
}

// CheckLeadTransition says whether a lead may move from one status to
// another, and in the supervisor's words why not.
func CheckLeadTransition(leadID string, from, to ruqiv1.LeadStatus) error {
	for _, n := range leadNext[from] {
		if n == to {
			return nil
		}
	}
	return FailedPreconditionf("LEAD_TRANSITION", "问题线索 %s 当前状态为“%s”，不能改为“%s”", leadID, LeadStatusName[from], LeadStatusName[to])
}

// LeadKindLabel names a lead's kind as the supervisor reads it, on the
// dashboard and in the CLI alike ("" for a kind it does not know).
func LeadKindLabel(k ruqiv1.LeadKind) string {
	switch k {
	case ruqiv1.LeadKind_LEAD_KIND_REFUSAL:
		return "企业拒绝检查"
	case ruqiv1.LeadKind_LEAD_KIND_COMPLAINT:
		return "企业投诉"
	case ruqiv1.LeadKind_LEAD_KIND_LATE_REGISTRATION:
		return "事后补录报备"
	case ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE:
		return "扫描到无效入企码"
	case ruqiv1.LeadKind_LEAD_KIND_ACCOMPANIMENT_FINDING:
		return "伴随监督发现问题"
	}
	return ""
}

// LeadStatusLabel names a lead's status ("" for one it does not know).
func LeadStatusLabel(s ruqiv1.LeadStatus) string {
	switch s {
	case ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED:
		return "已接收"
	case ruqiv1.LeadStatus_LEAD_STATUS_CHECKING:
		return "核查中"
	case ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED:
		return "已整改"
	case ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED:
		return "已移交纪委"
	case ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED:
		return "查无实据"
	}
	return ""
}
