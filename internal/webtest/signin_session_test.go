package webtest

import (
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A trial, 2026-12-06: signed in to the dashboard with the administrator's
// admin.token, the browser kept that token, which never expires, in its
// cookie. In Chromium against the real server: the cookie holds a session
// of its own, which acts as the administrator until signed out, after which
// the API refuses it while admin.token goes on working. (That the session
// expires on its own is internal/web's TestSignInWithToken_CookieEndsWithTheSession.)
func TestDashboard_SignInWithAdminToken_CookieHoldsASession(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	srv.importSample(loadSample(t))
	desk := user(t, ctxB)
	do(t, desk, "sign in with admin.token",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.url("/dashboard")),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		chromedp.SendKeys(chromedp.CSS("#token"), srv.admin),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#lead-list")))
	cookies, err := chromedp.Call(desk, network.GetCookies, network.GetCookiesParams{URLs: []string{srv.url("/dashboard")}})
	if err != nil {
		t.Fatal(err)
	}
	kept := ""
	for _, c := range cookies.Cookies {
		if c.Name == "ruqi_supervisor" {
			kept = c.Value
		}
	}
	switch kept {
	case "":
		t.Fatalf("no dashboard cookie among %d", len(cookies.Cookies))
	case srv.admin:
		t.Fatal("the browser keeps admin.token itself")
	}
	sup := ruqiv1.NewSupervisionServiceClient(srv.conn())
	leads := func(tok string) error {
		_, err := sup.ListLeads(srv.as(tok), &ruqiv1.ListLeadsRequest{PageSize: 1})
		return err
	}
	if err := leads(kept); err != nil {
		t.Fatalf("the cookie's session: %v", err)
	}
	do(t, desk, "sign out", chromedp.Click(chromedp.CSS(`form[action="/dashboard/signout"] button`)), chromedp.WaitVisible(chromedp.CSS("#signin")))
	if err := leads(kept); status.Code(err) != codes.Unauthenticated {
		t.Errorf("the cookie's session after signing out: %v, want Unauthenticated", err)
	}
	if err := leads(srv.admin); err != nil {
		t.Errorf("admin.token after the dashboard's sign-out: %v", err)
	}
}
