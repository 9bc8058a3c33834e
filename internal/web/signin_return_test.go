package web

import (
	"net/url"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Sign-in returned to /history and /upcoming only for a hand-typed
// /auth/login?next=…: a visitor signed out was sent home with next=/ in its
// forms, and a refused token posted for /history bounced through it and
// read 登录已失效 (a review, 2026-12-07). The home page now carries the page
// that sent the visitor, and a sign-in goes back to it.
func TestSignIn_ReturnsToTheEnterprisesPage(t *testing.T) {
	f := newFixture(t)
	for _, page := range []string{"/history", "/upcoming"} {
		r := f.do("GET", page, nil)
		loc := r.Header.Get("Location")
		if r.StatusCode != 303 || loc != "/?next="+url.QueryEscape(page)+"&signin=expired" {
			t.Fatalf("GET %s signed out: %d → %q", page, r.StatusCode, loc)
		}
		home := readBody(t, f.do("GET", loc, nil))
		if !strings.Contains(home, `name="next" value="`+page+`"`) {
			t.Errorf("the home page sent from %s does not sign in back to it", page)
		}
		r = f.do("POST", "/signin", url.Values{"token": {"rq_notatoken"}, "next": {page}})
		if loc := r.Header.Get("Location"); !strings.HasPrefix(loc, "/?next="+url.QueryEscape(page)+"&signin=") || strings.Contains(loc, "expired") {
			t.Errorf("a refused token for %s: → %q, want home, the problem and %s to return to", page, loc, page)
		}
		tok := f.issue(ruqiv1.Role_ROLE_ENTERPRISE, f.entUSCC)
		if loc := f.do("POST", "/signin", url.Values{"token": {tok}, "next": {page}}).Header.Get("Location"); loc != page {
			t.Errorf("signing in for %s: → %q", page, loc)
		}
	}
}
