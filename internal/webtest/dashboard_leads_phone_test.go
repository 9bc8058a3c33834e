package webtest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a 司法局 trial of the dashboard on a phone (2026-12-07): the list
// of leads is a table of seven columns, about 900 px wide, in a scrolling
// box on a 390-px screen. Each lead's row was some 400 px tall, its text in
// narrow columns, and the form that moves it (状态, 处理说明, 更新) sat in the
// last column, off the screen: the supervisor scrolled sideways for every
// lead to act on it. On a narrow screen each lead is a card of the width of
// the screen, the form in it.
func TestPages_Dashboard_LeadsFitAPhone(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	e := smp.ents[0]
	c := srv.register(smp, "AG-01", e, time.Now(), time.Now().Add(4*time.Hour), "网页测试：日常检查")
	ent := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e)
	if _, err := ruqiv1.NewEnterpriseServiceClient(srv.conn()).RefuseInspection(srv.as(ent), &ruqiv1.RefuseInspectionRequest{
		InspectionId: c.GetInspectionId(), Reason: "执法人员未出示执法证，也未说明检查依据"}); err != nil {
		t.Fatal(err)
	}
	tok := srv.issue(ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	p := user(t, ctxB)
	do(t, p, "phone", phone())
	do(t, p, "sign in", chromedp.Navigate(srv.url("/dashboard")), chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Click(chromedp.CSS("#signin-submit")), chromedp.WaitVisible(chromedp.CSS("#lead-list")))
	do(t, p, "to the leads", chromedp.ScrollIntoView(chromedp.CSS("#lead-list .leadform button")))
	screenshot(t, p, "dashboard-leads-phone")
	type box struct{ Left, Right, Width, ListWidth, Height float64 }
	b, err := chromedp.Run(p, chromedp.Evaluate[box](`(() => {
		const r = document.querySelector("#lead-list .leadform button").getBoundingClientRect();
		const row = document.querySelector("#lead-list tbody tr").getBoundingClientRect();
		return {Left: r.left, Right: r.right, Width: window.innerWidth, ListWidth: document.querySelector("#lead-list").scrollWidth, Height: row.height};
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	if b.Left < 0 || b.Right > b.Width {
		t.Errorf("the lead's 更新 button is at %.0f–%.0f px of a %.0f-px phone: off the screen", b.Left, b.Right, b.Width)
	}
	if b.ListWidth > b.Width {
		t.Errorf("the list of leads is %.0f px wide on a %.0f-px phone: it scrolls sideways", b.ListWidth, b.Width)
	}
}
