package domain

import (
	"strings"
	"testing"
)

// Division codes (行政区划代码, GB/T 2260): six digits in pairs of province,
// city and county. A directory's typo is refused at import, not stored as
// an enterprise no agency covers.
func TestValidateRegion(t *testing.T) {
	for _, c := range []struct {
		code string
		want string // "" when valid, else a part of the refusal
	}{
		{"510000", ""},
		{"510100", ""},
		{"510104", ""},
		{"110101", ""}, // 东城区, a district of a 直辖市
		{"429004", ""}, // 仙桃市, directly under 湖北
		{"820000", ""}, // 澳门
		{"5101", "应为6位数字"},
		{"51010a", "应为6位数字"},
		{"000000", "不能为 00"},
		{"999999", "前两位99不是任何省"},
		{"190100", "前两位19不是任何省"},
		{"510004", "县级两位也应为 00"},
	} {
		err := ValidateRegion(c.code)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: refused: %v", c.code, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: %v, want a refusal saying %q", c.code, err, c.want)
		}
	}
}
