package cli

import (
	"strings"
	"testing"
)

// Found by a 司法局 trial of the dashboard (2026-12-06): the dashboard gives
// only the number of 频次预警, 超频次拒绝 and 同时段两地签到; which enterprise
// and which agency they concern is in the event list (ruqi admin events
// list, open to the 司法局), where the details below, copied from a server
// after `ruqi simulate`, still read in the code's English: the rule's name
// and limit=/count=, and the other check-in's time in UTC (RFC 3339: 00:54
// for 08:54 Beijing time).
func TestEventDetailLabel_WarningsInChineseAndBeijingTime(t *testing.T) {
	for _, c := range []struct{ detail, english string }{
		{"visits_per_day limit=1 count=2 period=2026年12月6日", "visits_per_day"},
		{"visits_per_week limit=2 count=3 period=2026年第49周", "limit="},
		{"AG-05 agency_per_year limit=2 count=3 period=2026年", "agency_per_year"},
		{"overlapping_check_ins also checked in at another enterprise at 2026-12-06T00:54:30Z", "T00:54:30Z"},
	} {
		if got := eventDetailLabel(0, c.detail); strings.Contains(got, c.english) {
			t.Errorf("event detail %q is shown as %q: %q is not Chinese, or not Beijing time", c.detail, got, c.english)
		}
	}
}
