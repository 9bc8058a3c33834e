package webtest

import (
	"testing"

	"github.com/chromedp/chromedp"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a 司法局 trial of the dashboard (2026-12-06): on a phone (390 CSS
// px) the dashboard scrolls sideways. The two charts sit in a grid whose
// columns are at least 420 px wide (.charts in style.css), wider than the
// phone, so the whole page, filters and lead list included, is wider than
// the screen; the tables have their own scrolling box, the charts do not.
func TestPages_Dashboard_FitsAPhone(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	tok := srv.issue(ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	p := user(t, ctxB)
	do(t, p, "phone", phone())
	do(t, p, "sign in", chromedp.Navigate(srv.url("/dashboard")), chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Click(chromedp.CSS("#signin-submit")), chromedp.WaitVisible(chromedp.CSS("#chart-months")))
	screenshot(t, p, "dashboard-phone")
	w, err := chromedp.Run(p, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if w > 0 {
		t.Errorf("the dashboard is %d px wider than a 390-px phone: it scrolls sideways", w)
	}
}
