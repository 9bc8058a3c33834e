package service_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A trial, 2026-12-06: the dashboard's sign-in with a token kept the
// administrator's admin.token, which never expires, in its 12-hour cookie;
// a copy of the cookie was a credential for ever. StartSession exchanges the
// token for a session that the API itself refuses once the session is
// over, on both stores.
func TestStartSession_EndsWithTheSessionNotTheToken(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) store.Store{
		"bolt": func(t *testing.T) store.Store {
			st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
		"postgres": func(t *testing.T) store.Store {
			st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
			if err != nil {
				t.Fatal(err)
			}
			return st
		},
	} {
		t.Run(name, func(t *testing.T) {
			// The service's clock is a session and an hour behind the
			// interceptor's: whatever it issues for a session is already
			// over when the API is called with it.
			past := newEnvOn(t, open(t), "", func(c *service.Config) {
				c.Now = func() time.Time { return time.Now().Add(-13 * time.Hour) }
			})
			sess := ruqiv1.NewSessionServiceClient(past.cc)
			ended, err := sess.StartSession(past.as(past.admin), &ruqiv1.StartSessionRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if ended.GetToken() == past.admin {
				t.Fatal("the session is the administrator's token itself")
			}
			admin := ruqiv1.NewAdminServiceClient(past.cc)
			if _, err := admin.ListEvents(past.as(ended.GetToken()), &ruqiv1.ListEventsRequest{Limit: 1}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("a session over by its expiry: %v, want Unauthenticated", err)
			}
			if _, err := admin.ListEvents(past.as(past.admin), &ruqiv1.ListEventsRequest{Limit: 1}); err != nil {
				t.Errorf("the administrator's own token: %v", err)
			}

			// On time, the session acts as the token's principal until an
			// administrator revokes the token, which ends the session and
			// the device the session enrolled.
			e := newEnvOn(t, open(t), "")
			uscc := e.dir.GetEnterprises()[1].GetUscc()
			issued, err := ruqiv1.NewAdminServiceClient(e.cc).IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc})
			if err != nil {
				t.Fatal(err)
			}
			sess = ruqiv1.NewSessionServiceClient(e.cc)
			web, err := sess.StartSession(e.as(issued.GetToken()), &ruqiv1.StartSessionRequest{})
			if err != nil {
				t.Fatal(err)
			}
			ent := ruqiv1.NewEnterpriseServiceClient(e.cc)
			if _, err := ent.ListInspections(e.as(web.GetToken()), &ruqiv1.ListInspectionsRequest{}); err != nil {
				t.Fatalf("the session: %v", err)
			}
			enr, err := sess.CreateDeviceEnrolment(e.as(web.GetToken()), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
			if err != nil {
				t.Fatal(err)
			}
			dev, err := sess.EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
			if err != nil {
				t.Fatal(err)
			}
			// A device's token starts no session: it would be the account's.
			if _, err := sess.StartSession(e.as(dev.GetToken()), &ruqiv1.StartSessionRequest{}); status.Code(err) != codes.PermissionDenied {
				t.Errorf("a device starting a session: %v, want PermissionDenied", err)
			}
			if _, err := ruqiv1.NewAdminServiceClient(e.cc).RevokeAccessToken(e.as(e.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: issued.GetTokenId()}); err != nil {
				t.Fatal(err)
			}
			for what, tok := range map[string]string{"the session started from it": web.GetToken(), "the device that session enrolled": dev.GetToken()} {
				if _, err := ent.ListInspections(e.as(tok), &ruqiv1.ListInspectionsRequest{}); status.Code(err) != codes.Unauthenticated {
					t.Errorf("%s, after the token was revoked: %v, want Unauthenticated", what, err)
				}
			}
			if _, err := sess.StartSession(e.as(issued.GetToken()), &ruqiv1.StartSessionRequest{}); status.Code(err) != codes.Unauthenticated {
				t.Errorf("a revoked token starting a session: %v, want Unauthenticated", err)
			}
		})
	}
}
