package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// A verify path longer than any code is answered without being repeated
// (docs/SECURITY.md), under /V/ and on its refuse, refused and confirm
// pages too: those echoed it into the page, the Location header, and a
// refusal lead (a review, 2026-12-05).
func TestVerifySubpaths_LongTokenNotRepeated(t *testing.T) {
	f := newFixture(t)
	c := &http.Cookie{Name: enterpriseCookie, Value: f.ent}
	long := "/V/" + strings.Repeat("A", maxPathToken+1000)
	for _, tc := range []struct {
		m, sub string
		form   url.Values
	}{
		{"GET", "", nil},
		{"GET", "/refused", nil},
		{"POST", "/confirm", url.Values{"csrf": {csrfToken(f.ent)}}},
		{"POST", "/refuse", url.Values{"csrf": {"bad"}, "reason": {"x"}}},
		{"POST", "/refuse", url.Values{"csrf": {csrfToken(f.ent)}, "reason": {"x"}}},
	} {
		r := f.do(tc.m, long+tc.sub, tc.form, c)
		body := readBody(t, r)
		if strings.Contains(body+r.Header.Get("Location"), strings.Repeat("A", maxPathToken)) || r.StatusCode != http.StatusBadRequest {
			t.Errorf("%s /V/<%d chars>%s: %d, repeated the path (Location %d bytes, body %d bytes)", tc.m, maxPathToken+1000, tc.sub, r.StatusCode, len(r.Header.Get("Location")), len(body))
		}
	}
}
