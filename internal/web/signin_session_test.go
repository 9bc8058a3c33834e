package web

import (
	"context"
	"net/url"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A trial, 2026-12-06: the dashboard's sign-in with a token kept the token
// pasted, the administrator's admin.token among them (it never expires), in
// its 12-hour cookie; a copy of the cookie acted for ever, whatever the
// cookie's Max-Age. The cookie now holds a session started from the token,
// which the API itself refuses once the session is over. The service runs
// a session and an hour behind the API's interceptor here, so that what it
// issues for a session is over at once, while the tokens pasted are not.
func TestSignInWithToken_CookieEndsWithTheSession(t *testing.T) {
	f := newFixtureAt(t, func() time.Time { return time.Now().Add(-13 * time.Hour) })
	sup := ruqiv1.NewSupervisionServiceClient(f.api)
	ent := ruqiv1.NewEnterpriseServiceClient(f.api)
	leads := func(tok string) error {
		_, err := sup.ListLeads(as(context.Background(), tok), &ruqiv1.ListLeadsRequest{PageSize: 1})
		return err
	}
	inspections := func(tok string) error {
		_, err := ent.ListInspections(as(context.Background(), tok), &ruqiv1.ListInspectionsRequest{PageSize: 1})
		return err
	}
	for _, c := range []struct {
		name, page, token, cookie string
		call                      func(string) error
	}{
		{"the administrator's admin.token on the dashboard", "/dashboard/signin", f.admin, supervisorCookie, leads},
		{"a supervisor's token on the dashboard", "/dashboard/signin", f.sup, supervisorCookie, leads},
		{"an enterprise's token on the verify pages", "/signin", f.ent, enterpriseCookie, inspections},
	} {
		t.Run(c.name, func(t *testing.T) {
			kept := cookieOf(t, f.do("POST", c.page, url.Values{"token": {c.token}, "next": {"/"}}), c.cookie).Value
			if kept == c.token {
				t.Error("the cookie holds the token pasted, not a session")
			}
			if err := c.call(kept); status.Code(err) != codes.Unauthenticated {
				t.Errorf("the cookie's credential after its session: %v, want Unauthenticated", err)
			}
			if err := c.call(c.token); err != nil {
				t.Errorf("the token pasted stops working: %v", err)
			}
		})
	}
}
