package webtest

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// checkIns counts the SCAN_VERIFIED events of an inspection.
func (w *idpWorld) checkIns(t *testing.T, inspection string) int {
	t.Helper()
	n := 0
	for _, e := range w.events(t) {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED && e.GetInspectionId() == inspection {
			n++
		}
	}
	return n
}

var metaRefresh = regexp.MustCompile(`http-equiv="refresh" content="0;url=([^"]+)"`)

// A lure that sends the enterprise's browser to /auth/login with
// next=/V/<code> must not get the code scanned (a check-in recorded) without
// a click on ruqi's page for that code. The sign-in used to return by a page
// that reloads itself, which turned another site's navigation into a
// same-origin one, which the verify page treats as "the person opened it"
// (docs/SECURITY.md, "Opening a verify link"). A sign-in another site
// started now returns by a redirect, so the chain stays that site's.
// (Found by a read-only review, 2026-12-03.)
//
// Plain HTTP: the headers are those a browser sends at each step (the
// browser test below shows what Chromium sends).
func TestSignIn_StartedByAnotherSite_DoesNotScan_HTTP(t *testing.T) {
	w := startWithProvider(t)
	code := w.registerBoth(t, w.e1)[0]
	next := "/V/" + strings.ToUpper(code.GetToken())
	hu := newHTTPUser(t)
	get := func(u, site string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", u, nil)
		req.Header.Set("Sec-Fetch-Site", site)
		resp, err := hu.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// 1. A lure page on another site links (or redirects) to ruqi's sign-in.
	resp, _ := get(w.srv.url("/auth/login?as=enterprise&next="+url.QueryEscape(next)), "cross-site")
	loc, err := resp.Location()
	if err != nil {
		t.Fatalf("/auth/login: %d, no redirect", resp.StatusCode)
	}
	// 2. The provider signs the person in (silently, with a live SSO session
	// at a real provider; the test provider shows its own login page).
	callback := w.idp.Login(t, loc.String(), "ent1", password, false)
	// 3. The provider's redirect back: still another site's navigation.
	resp, body := get(callback.String(), "cross-site")
	before := w.checkIns(t, code.GetInspectionId())
	// 4. On to the code: by a page that goes on by itself (a same-origin
	// navigation), or by a redirect (the chain stays another site's).
	if m := metaRefresh.FindStringSubmatch(body); resp.StatusCode == 200 && m != nil {
		_, body = get(w.srv.url(m[1]), "same-origin")
	} else if loc, err := resp.Location(); err == nil && resp.StatusCode == http.StatusSeeOther {
		_, body = get(loc.String(), "cross-site")
	} else {
		t.Fatalf("callback: %d\n%.400s", resp.StatusCode, body)
	}
	if strings.Contains(body, "已核验并记录入企签到") || w.checkIns(t, code.GetInspectionId()) != before {
		t.Errorf("a sign-in started by another site's link scanned the code and recorded a check-in without the scan button (checkins %d -> %d)",
			before, w.checkIns(t, code.GetInspectionId()))
	}
	if !strings.Contains(body, `id="scan"`) {
		t.Errorf("the verify page reached from a lure offers no scan button: the check-in was automatic")
	}
}

// The same in Chromium: a page of another site (localhost, while ruqi is on
// 127.0.0.1) links to /auth/login?next=/V/<code>. The person signs in at
// the provider, and ruqi's verify page asks before it scans.
func TestSignIn_StartedByAnotherSite_DoesNotScan_Browser(t *testing.T) {
	ctxB := startBrowser(t)
	w := startWithProvider(t)
	code := w.registerBoth(t, w.e1)[0]
	next := "/V/" + strings.ToUpper(code.GetToken())
	target := w.srv.url("/auth/login?as=enterprise&next=" + url.QueryEscape(next))

	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(lis.Addr().String())
	lure := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(rw, `<!doctype html><a id="go" href="`+target+`">领取补贴，请登录</a>`)
	})}
	go lure.Serve(lis)
	t.Cleanup(func() { lure.Close() })

	ent := user(t, ctxB)
	before := w.checkIns(t, code.GetInspectionId())
	do(t, ent, "open the lure (another site)", chromedp.Navigate("http://localhost:"+port+"/"), chromedp.WaitVisible(chromedp.CSS("#go")),
		chromedp.Click(chromedp.CSS("#go")))
	signInAtProvider(t, ent, "ent1")
	do(t, ent, "back at ruqi", chromedp.WaitVisible(chromedp.CSS("#verdict")))
	page := text(t, ent, "main")
	after := w.checkIns(t, code.GetInspectionId())
	screenshot(t, ent, "signin-from-another-site")
	if after != before {
		t.Errorf("a link from another site to /auth/login recorded a check-in (%d -> %d) without the scan button; page:\n%.300s", before, after, page)
	}
	// The button is there, and scans.
	do(t, ent, "confirm the scan", chromedp.Click(chromedp.CSS("#scan")),
		chromedp.WaitVisible(chromedp.Search(`//*[contains(text(), "已核验并记录入企签到")]`)))
	if got := w.checkIns(t, code.GetInspectionId()); got != before+1 {
		t.Errorf("the scan button recorded %d check-ins, want 1", got-before)
	}
}
