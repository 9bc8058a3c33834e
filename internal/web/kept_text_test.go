package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/domain"
)

// A refusal or an evaluation the page does not take shows what was typed,
// to copy into the form again: the result page's link back opens an empty
// form, and on a phone the text was typed again from nothing (a trial as an
// enterprise, 2026-12-06). The complaint form already kept it.
func TestPages_FormNotTaken_TypedTextKept(t *testing.T) {
	f := newFixture(t)
	ec := f.signInEnterprise(f.ent)
	p := path(f.code.GetUrl())
	page := readBody(t, f.do("GET", p, nil, ec))
	csrf := csrfOf(t, page)

	long := strings.Repeat("未出示入企码，", domain.MaxRefusalReason/7+1)
	r := f.do("POST", p+"/refuse", url.Values{"reason": {long}, "csrf": {csrf}}, ec)
	if body := readBody(t, r); r.StatusCode != http.StatusBadRequest || !strings.Contains(body, long) || !strings.Contains(body, "尚未提交") {
		t.Errorf("a refusal too long: %d, the page does not show what was typed:\n%s", r.StatusCode, visible(body))
	}

	const comment = "检查人员态度很好，但未出示执法证"
	form := url.Values{"csrf": {csrf}, "inspection": {f.code.GetInspectionId()}, "comment": {comment},
		"certificate_shown": {"1"}, "rights_explained": {"1"}, "conducted_properly": {"1"}}
	for _, overall := range []string{"", "5"} { // no satisfaction chosen; then refused by the service (not closed)
		form.Set("overall", overall)
		r := f.do("POST", p+"/evaluate", form, ec)
		if body := readBody(t, r); r.StatusCode == http.StatusSeeOther || !strings.Contains(body, comment) {
			t.Errorf("an evaluation not taken (overall %q): %d, the page does not show the comment:\n%s", overall, r.StatusCode, visible(body))
		}
	}
}
