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
