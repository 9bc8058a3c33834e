package domain

import (
	"fmt"
	"strings"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// WarningTypes are the events the 司法局 is warned by: frequency warnings
// (a no-finding streak among them), door warnings (不扫码 / 虚假扫码), and
// registrations refused as duplicates or over a cap.
var WarningTypes = []ruqiv1.EventType{
	ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING,
	ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING,
	ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED,
	ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED,
}

// WarningText says in a sentence what a warning event is of, from the
// detail it was recorded with ("visits_per_day limit=1 count=2
// period=…", "duplicate of INS-…", "check_in_without_arrival …"), for the
// dashboard's list: "" for an event of another type. What it cannot read
// it gives as recorded.
func WarningText(t ruqiv1.EventType, detail string) string {
	words := strings.Fields(detail)
	field := func(name string) string {
		for _, w := range words {
			if v, ok := strings.CutPrefix(w, name+"="); ok {
				return v
			}
		}
		return "?"
	}
	first := ""
	if len(words) > 0 {
		first = words[0]
	}
	// A refused registration's detail begins with its agency
	// (service.recordRefusal): "AG-01 duplicate of INS-… window=…".
	agency := ""
	refusal := t == ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED || t == ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED
	if refusal && len(words) > 1 && first != "duplicate" && RuleLabel(first) == "" {
		agency, words, first = first+"：", words[1:], words[1]
	}
	switch t {
	case ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING:
		if first == "no_finding_streak" {
			return fmt.Sprintf("同一执法人员在该企业连续%s次检查未发现问题", field("count"))
		}
		if l := RuleLabel(first); l != "" {
			return fmt.Sprintf("%s达%s次，超过预警线%s次", l, field("count"), field("limit"))
		}
	case ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED:
		if l := RuleLabel(first); l != "" {
			return fmt.Sprintf("%s%s已达上限%s次，报备被拒绝", agency, l, field("limit"))
		}
	case ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED:
		if first == "duplicate" && len(words) > 2 && words[1] == "of" {
			return agency + "同一部门重复报备（与 " + words[2] + " 时段重叠），报备被拒绝"
		}
	case ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING:
		switch first {
		case WarnResultWithoutCheckIn:
			return "不扫码预警：本次检查的入企码均未扫码即录入结果"
		case WarnCheckInWithoutArrival:
			return "虚假扫码预警：扫码签到但未登记到场（两码互核）"
		case WarnArrivalOutsideWindow:
			return "虚假扫码预警：到场时间远离检查时段"
		case WarnOverlappingCheckIns:
			return "虚假扫码预警：同一执法人员同一时段另在其他企业签到"
		}
	default:
		return ""
	}
	return detail
}
