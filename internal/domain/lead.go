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
