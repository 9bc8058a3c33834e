package service_test

import (
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A review of StartSession: a session may start a session (the web pages
// take a pasted `ruqi login` session). Whoever holds a copy of a session
// (a leaked cookie, a token found) starts a second one from it, which then
// outlives what was meant to end the first: its holder signing out, and the
// administrator rotating the token the first was started from.
func sessionLineEnv(t *testing.T) (*env, ruqiv1.SessionServiceClient, ruqiv1.AdminServiceClient) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	return e, ruqiv1.NewSessionServiceClient(e.cc), ruqiv1.NewAdminServiceClient(e.cc)
}

func TestRotateAccessToken_EndsSessionsOfItsSessions(t *testing.T) {
	e, sess, admin := sessionLineEnv(t)
	issued, err := admin.IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "110000"})
	if err != nil {
		t.Fatal(err)
	}
	first, err := sess.StartSession(e.as(issued.GetToken()), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	second, err := sess.StartSession(e.as(first.GetToken()), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.RotateAccessToken(e.as(e.admin), &ruqiv1.RotateAccessTokenRequest{TokenId: issued.GetTokenId()}); err != nil {
		t.Fatal(err)
	}
	for what, tok := range map[string]string{"the session started from the token": first.GetToken(), "a session started from that session": second.GetToken()} {
		if _, err := sess.StartSession(e.as(tok), &ruqiv1.StartSessionRequest{}); status.Code(err) != codes.Unauthenticated {
			t.Errorf("%s, after the token was rotated: %v, want Unauthenticated", what, err)
		}
	}
}

func TestSignOut_EndsSessionsStartedFromTheSession(t *testing.T) {
	e, sess, _ := sessionLineEnv(t)
	// The administrator's own sign-in on the dashboard: a session from
	// admin.token, which a copy of the cookie holds.
	cookie, err := sess.StartSession(e.as(e.admin), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	copied, err := sess.StartSession(e.as(cookie.GetToken()), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.SignOut(e.as(cookie.GetToken()), &ruqiv1.SignOutRequest{}); err != nil {
		t.Fatal(err)
	}
	admin := ruqiv1.NewAdminServiceClient(e.cc)
	if _, err := admin.ListEvents(e.as(copied.GetToken()), &ruqiv1.ListEventsRequest{Limit: 1}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a session started from the signed-out session: %v, want Unauthenticated (it acts as the administrator for 12 hours)", err)
	}
}
