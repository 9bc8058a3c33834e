package web

import (
	"net/http"
	"strings"
	"testing"
)

// A privacy and access trial, 2026-12-06, fixed since. The pages that confirm an enterprise's refusal and
// complaint (GET /complained, GET /V/{code}/refused) are answered to anyone,
// signed in or not, and put a lead number from the query on this site's
// page: a malicious officer who does not want a complaint or a refusal on
// record hands the enterprise a link (a QR at the door) to
//
//	/complained?lead=L-0123456789ABCDEF
//
// and the enterprise reads, on ruqi's own domain, that its complaint was
// sent to the 司法局 under that number; nothing was recorded.
func TestConfirmationPages_ConfirmOnlyWhatThisSessionDid(t *testing.T) {
	f := newFixture(t)
	const lead = "L-0123456789ABCDEF"
	for _, target := range []string{"/complained?lead=" + lead, path(f.code.GetUrl()) + "/refused?lead=" + lead} {
		for _, signedIn := range []bool{false, true} {
			var r *http.Response
			if signedIn { // the enterprise's own browser, following the officer's link
				r = f.do("GET", target, nil, f.signInEnterprise(f.ent))
			} else {
				r = f.do("GET", target, nil)
			}
			body := readBody(t, r)
			if r.StatusCode == 200 || strings.Contains(body, lead) || strings.Contains(body, "投诉已提交") || strings.Contains(body, "已拒绝检查") {
				t.Errorf("GET %s (signed in: %t): %d, the page confirms a complaint or refusal with lead %s that was never recorded", target, signedIn, r.StatusCode, lead)
			}
		}
	}
}
