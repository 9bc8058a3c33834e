package domain

import (
	"slices"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestCheckLeadTransition(t *testing.T) {
	const (
		received    = ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED
		checking    = ruqiv1.LeadStatus_LEAD_STATUS_CHECKING
		rectified   = ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED
		transferred = ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED
		unfounded   = ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED
	)
	all := []ruqiv1.LeadStatus{received, checking, rectified, transferred, unfounded}
	allowed := map[[2]ruqiv1.LeadStatus]bool{
		{received, checking}: true, {received, unfounded}: true,
		{checking, rectified}: true, {checking, transferred}: true, {checking, unfounded}: true,
	}
	for _, from := range all {
		for _, to := range all {
			err := CheckLeadTransition("L1", from, to)
			if want := allowed[[2]ruqiv1.LeadStatus{from, to}]; (err == nil) != want {
				t.Errorf("%v → %v: err %v, want allowed=%v", from, to, err, want)
				continue
			}
			if err != nil && (KindOf(err) != KindFailedPrecondition || LeadStatusName[from] == "" || LeadStatusName[to] == "") {
				t.Errorf("%v → %v: %v (kind %v)", from, to, err, KindOf(err))
			}
			// The dashboard's form offers LeadNextStatuses: the same moves.
			if offered := slices.Contains(LeadNextStatuses(from), to); offered != (err == nil) {
				t.Errorf("%v → %v: offered %v, allowed %v", from, to, offered, err == nil)
			}
		}
	}
}
