package domain

import (
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Each warning the 司法局 is listed reads as a sentence, from the details
// the core records (inspection.Register, warnNoFindingStreak, warnDoor,
// the refusals of service.RegisterInspection).
func TestWarningText(t *testing.T) {
	for _, c := range []struct {
		t      ruqiv1.EventType
		detail string
		want   string
	}{
		{ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING, "visits_per_day limit=1 count=2 period=2026-12-01", "该企业当日被入企检查次数达2次，超过预警线1次"},
		{ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING, "no_finding_streak count=3 previous=INS-1,INS-2", "同一执法人员在该企业连续3次检查未发现问题"},
		{ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED, "AG-01 agency_per_year limit=2 count=2 period=2026 window=2026-12-01T01:00:00Z", "AG-01：本部门对该企业的年度检查已达上限2次，报备被拒绝"},
		{ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED, "AG-01 duplicate of INS-20261201-AAAAAAAA window=2026-12-01T01:00:00Z", "AG-01：同一部门重复报备（与 INS-20261201-AAAAAAAA 时段重叠），报备被拒绝"},
		// Refusals recorded before the agency and window were added.
		{ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED, "duplicate of INS-20261201-AAAAAAAA", "同一部门重复报备（与 INS-20261201-AAAAAAAA 时段重叠），报备被拒绝"},
		{ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING, WarnCheckInWithoutArrival + " checked in without arrival", "虚假扫码预警：扫码签到但未登记到场（两码互核）"},
		{ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING, "something new", "something new"},
		{ruqiv1.EventType_EVENT_TYPE_REGISTERED, "agency=AG-01", ""},
	} {
		if got := WarningText(c.t, c.detail); got != c.want {
			t.Errorf("WarningText(%v, %q) = %q, want %q", c.t, c.detail, got, c.want)
		}
	}
}
