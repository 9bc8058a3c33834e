package domain

import (
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A step a lead may not take says where it may go (an officer's trial of
// the CLI, 2026-12-07: "不能改为“已整改”" and nothing more), or that its
// handling is over.
func TestCheckLeadTransition_SaysWhereItMayGo(t *testing.T) {
	for _, c := range []struct {
		from, to ruqiv1.LeadStatus
		want     string
	}{
		{ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED, "不能改为“已整改”；可改为“核查中”或“查无实据”"},
		{ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, "可改为“已整改”、“已移交纪委”或“查无实据”"},
		{ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED, ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, "当前状态为“已整改”，处理已结束，不能再改"},
	} {
		err := CheckLeadTransition("L-1", c.from, c.to)
		if err == nil || !strings.Contains(err.Error(), c.want) || ReasonOf(err) != "LEAD_TRANSITION" {
			t.Errorf("%v → %v: %v, want %q", c.from, c.to, err, c.want)
		}
	}
	if err := CheckLeadTransition("L-1", ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, ruqiv1.LeadStatus_LEAD_STATUS_CHECKING); err != nil {
		t.Errorf("received → checking: %v", err)
	}
}
