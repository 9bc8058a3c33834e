package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Found by a 司法局 trial of the dashboard (2026-12-07): a supervisor whose
// session ran out while reading one district's ranking
// (/dashboard?region=510104&group=enterprise) reloaded it, signed in again
// on the page that came, and was taken to the default dashboard: the whole
// city by agency, the district and grouping to choose again. The sign-in
// returns to the dashboard as it was asked for (its filter only).
func TestDashboard_SignInAgain_ReturnsToTheFilter(t *testing.T) {
	f := newFixture(t)
	const q = "/dashboard?group=enterprise&region=510104"
	page := readBody(t, f.do("GET", q, nil))
	if !strings.Contains(page, `action="/dashboard/signin"`) {
		t.Fatalf("no sign-in form at %s: %s", q, visible(page))
	}
	_, rest, ok := strings.Cut(page, `name="back" value="`)
	if !ok {
		t.Fatalf("the sign-in form does not carry the dashboard asked for: %s", page)
	}
	back, _, _ := strings.Cut(rest, `"`)
	back = strings.ReplaceAll(back, "&amp;", "&")
	r := f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}, "back": {back}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.StatusCode)
	}
	loc, err := url.Parse(r.Header.Get("Location"))
	if err != nil || loc.Path != "/dashboard" || loc.Query().Get("region") != "510104" || loc.Query().Get("group") != "enterprise" {
		t.Errorf("signed in again from %s, sent to %q", q, r.Header.Get("Location"))
	}
	// Only the dashboard's own fields go back: nothing else rides along.
	r = f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}, "back": {"region=510104&next=https://evil.example/"}})
	if l := r.Header.Get("Location"); !strings.HasPrefix(l, "/dashboard") || strings.Contains(l, "evil") {
		t.Errorf("sign-in with a crafted back went to %q", l)
	}
}
