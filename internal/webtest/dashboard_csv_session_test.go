package webtest

import (
	"testing"

	"github.com/chromedp/chromedp"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a 司法局 trial of the dashboard (2026-12-07): with the session
// over (12 hours after signing in, or its token revoked) and the dashboard
// still open, 导出 CSV started a download named report.txt that Chromium
// cancelled at once, and the page said nothing: the link carried the
// download attribute, so the export's refusal (401, text) was taken for a
// file and never shown, and nothing offered to sign in again. The link is a
// plain link now (the export still downloads: Content-Disposition), and a
// refusal for want of a session is the sign-in page, saying why.
func TestPages_Dashboard_CSVAfterTheSessionEnded_SaysSignInAgain(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	adm := ruqiv1.NewAdminServiceClient(srv.conn())
	iss, err := adm.IssueAccessToken(srv.as(srv.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "510100", Description: "webtest"})
	if err != nil {
		t.Fatal(err)
	}
	p := user(t, ctxB)
	do(t, p, "sign in", chromedp.Navigate(srv.url("/dashboard")), chromedp.SendKeys(chromedp.CSS("#token"), iss.GetToken()),
		chromedp.Click(chromedp.CSS("#signin-submit")), chromedp.WaitVisible(chromedp.CSS("#csv")))
	if _, err := adm.RevokeAccessToken(srv.as(srv.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: iss.GetTokenId()}); err != nil {
		t.Fatal(err)
	}
	do(t, p, "export", chromedp.Click(chromedp.CSS("#csv")), chromedp.WaitVisible(chromedp.CSS("#signin-problem")))
	screenshot(t, p, "dashboard-csv-session-ended")
	mustContain(t, "the page after 导出 CSV", text(t, p, "#signin-problem"), "登录已失效")
}
