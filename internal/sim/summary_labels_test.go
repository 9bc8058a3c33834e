package sim

import (
	"bytes"
	"strings"
	"testing"
)

// The summary's table says rules, verdicts and status codes in Chinese: a
// newcomer's trial (2026-12-06) read "重复报备被拒（AlreadyExists）",
// "ResourceExhausted" and "agency_per_year". The JSON keeps the names.
func TestSummaryTable_NamesInChinese(t *testing.T) {
	s := &Summary{
		CapsByRule:     map[string]int{"agency_per_year": 2, "grade_A_per_year": 1},
		WarningsByRule: map[string]int{"visits_per_day": 3},
		Verdicts:       map[string]int{"VALID": 5, "BAD_SIGNATURE": 1, "WRONG_ENTERPRISE": 1},
		Errors:         map[string]int{"FailedPrecondition": 1},
		ErrorDetail:    []ErrorCount{{Call: "RegisterInspection", Code: "FailedPrecondition", Count: 1, Example: "执法人员已停用"}},
	}
	var b bytes.Buffer
	if err := s.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"本部门对该企业的年度检查", "该企业当日被入企检查次数", "签名无效（伪造或被篡改）", "非本企业的检查", "当前状态不允许"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
	for _, english := range []string{"AlreadyExists", "ResourceExhausted", "agency_per_year", "visits_per_day", "BAD_SIGNATURE", "WRONG_ENTERPRISE", "FailedPrecondition"} {
		if strings.Contains(out, english) {
			t.Errorf("the table says %q:\n%s", english, out)
		}
	}
}
