package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The complaint form takes the longest text the rule allows (2,000
// characters, and 100 for the officer): a browser sends each Chinese
// character as 9 bytes (%E6%8A%95), 12 for one outside the BMP (𠀀, an
// emoji), so a complaint of 1,850 characters, which the textarea and the
// rule accept, came back "表单内容过长或格式错误" from the 16 KiB form bound
// with nothing recorded and the text gone (a trial as an enterprise,
// 2026-12-06).
func TestComplain_LongestTextTheRuleAllows_IsRecorded(t *testing.T) {
	f := newFixture(t)
	ec := f.signInEnterprise(f.ent)
	for _, c := range []string{"超", "𠀀"} {
		cp := readBody(t, f.do("GET", "/complain", nil, ec))
		r := f.do("POST", "/complain", url.Values{"csrf": {csrfOf(t, cp)}, "request_id": {"long-" + c},
			"officer": {strings.Repeat(c, 100)}, "description": {strings.Repeat(c, 2000)}}, ec)
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/complained?lead=L-") {
			t.Errorf("a complaint of 2,000 %q: %d %s", c, r.StatusCode, visible(readBody(t, r)))
		}
	}
}
