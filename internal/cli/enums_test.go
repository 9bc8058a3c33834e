package cli

import (
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestParseInspectionType(t *testing.T) {
	tests := map[string]ruqiv1.InspectionType{
		"routine": ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
		"Random":  ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
		"special": ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		" case ":  ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
		"个案":      ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
		"双随机":     ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
	}
	for in, want := range tests {
		got, err := parseInspectionType(in)
		if err != nil || got != want {
			t.Errorf("parseInspectionType(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "daily", "INSPECTION_TYPE_ROUTINE", "1"} {
		if _, err := parseInspectionType(in); err == nil {
			t.Errorf("parseInspectionType(%q): want an error", in)
		}
	}
}

func TestParseRole(t *testing.T) {
	tests := map[string]ruqiv1.Role{
		"officer":    ruqiv1.Role_ROLE_OFFICER,
		"enterprise": ruqiv1.Role_ROLE_ENTERPRISE,
		"Supervisor": ruqiv1.Role_ROLE_SUPERVISOR,
		"admin":      ruqiv1.Role_ROLE_ADMIN,
	}
	for in, want := range tests {
		got, err := parseRole(in)
		if err != nil || got != want {
			t.Errorf("parseRole(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "root", "ROLE_ADMIN", "company"} {
		if _, err := parseRole(in); err == nil {
			t.Errorf("parseRole(%q): want an error", in)
		}
	}
}

func TestVerdictLabel_EveryVerdictHasChineseText(t *testing.T) {
	for n := range ruqiv1.Verdict_name {
		v := ruqiv1.Verdict(n)
		if v == ruqiv1.Verdict_VERDICT_UNSPECIFIED {
			continue
		}
		if got := verdictLabel(v); got == "" || got[0] < 0x80 {
			t.Errorf("verdictLabel(%v) = %q, want Chinese text", v, got)
		}
	}
}

// Chinese output never shows raw enum names or English step words in an
// event's detail.
func TestEventDetailLabel_NoRawNames(t *testing.T) {
	for detail, want := range map[string]string{
		"VERDICT_WRONG_ENTERPRISE":                "非本企业的检查",
		"INSPECTION_TYPE_ROUTINE":                 "日常检查",
		"check-in":                                "首次签到",
		"L-3F9A0C21D47B8E65 LEAD_STATUS_CHECKING": "L-3F9A0C21D47B8E65 核查中",
		"VERDICT_MALFORMED malformed: bad base32": "不是有效的入企码 malformed: bad base32",
		"agencies=9 officers=60 enterprises=500":  "部门=9 执法人员=60 企业=500",
		// What a registration, a result and an evaluation decided.
		`INSPECTION_TYPE_ROUTINE agency=AG-01 officers=O-0001,O-0002 items=CI-0001 window=1765069200-1765076400 reason="日常检查"`: `日常检查 部门=AG-01 执法人员=O-0001,O-0002 事项=CI-0001 时段=2025-12-07 09:00至2025-12-07 11:00 事由="日常检查"`,
		`CI-0001=RECTIFICATION_ORDERED CI-0001.deadline=1765987199 summary=""`:                                                 `CI-0001=责令整改 CI-0001整改期限=2025-12-17 23:59 总体情况=""`,
		`certificate=true rights=false proper=true overall=4 comment=""`:                                                       `出示执法证=是 告知权利=否 检查规范=是 总体满意度=4 意见=""`,
	} {
		if got := eventDetailLabel(0, detail); got != want {
			t.Errorf("eventDetailLabel(%q) = %q, want %q", detail, got, want)
		}
	}
}
