package service_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Every sign-in left a session and a spent sign-in for good (some 610
// bytes on bbolt), and signing out read every token the account ever had.
// PruneEndedTokens deletes sessions, spent sign-ins and enrolment codes a
// week after they expired (auth.Prunable); it keeps those ended within the
// week, what an administrator issued, devices (ended long ago too), and
// the sessions a device names as its maker, down the line, so that
// revoking the token the sessions came from still revokes the device.
func testPruneEndedTokens(t *testing.T, raw store.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Second)
	e := newEnvOn(t, raw, "", func(c *service.Config) { c.Now = func() time.Time { return now } })
	day := 24 * time.Hour
	const officer, uscc = "O-PRUNE", "91510104MA0000PRUN"
	tok := func(id, kind string, role ruqiv1.Role, subject, parent string, expired time.Duration) *store.AccessToken {
		return &store.AccessToken{ID: id, Hash: auth.HashToken("token of " + id), Role: role, Subject: subject, Kind: kind, Parent: parent,
			CreatedAt: now.Add(-expired - time.Hour), ExpiresAt: now.Add(-expired)}
	}
	officerTok := func(id, kind string, expired time.Duration) *store.AccessToken {
		return tok(id, kind, ruqiv1.Role_ROLE_OFFICER, officer, "", expired)
	}
	issued := tok("tok-ent", store.TokenIssued, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "", -30*day)
	toks := []*store.AccessToken{
		officerTok("ses-old", store.TokenSession, 8*day),
		officerTok("sin-old", store.TokenSpentSignIn, 8*day),
		officerTok("ses-recent", store.TokenSession, 6*day),
		officerTok("tok-issued-ended", store.TokenIssued, 300*day),
		{ID: "tok-never", Hash: auth.HashToken("never"), Role: ruqiv1.Role_ROLE_OFFICER, Subject: officer, Kind: store.TokenSession},
		issued,
		tok("ses-maker", store.TokenSession, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "tok-ent", 10*day),
		tok("dev-1", store.TokenDevice, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "ses-maker", -20*day),
		tok("ses-child", store.TokenSession, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "ses-maker", 10*day),
		tok("enr-old", store.TokenEnrolment, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "tok-ent", 10*day),
		// A session started from a session, which enrolled a device: both
		// sessions stay while the device does.
		tok("ses-a", store.TokenSession, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "tok-ent", 10*day),
		tok("ses-b", store.TokenSession, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "ses-a", 10*day),
		tok("dev-2", store.TokenDevice, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "ses-b", -20*day),
		tok("dev-old", store.TokenDevice, ruqiv1.Role_ROLE_ENTERPRISE, uscc, "tok-ent", 100*day),
	}
	err := raw.Update(ctx, func(tx store.Tx) error {
		for _, a := range toks {
			if err := tx.PutAccessToken(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.svc.PruneEndedTokens(ctx)
	if err != nil || n != 4 {
		t.Fatalf("pruned %d, %v; want the officer's old session and spent sign-in, the enterprise's old session without a device and its old enrolment", n, err)
	}
	var left []string
	err = raw.View(ctx, func(r store.Reader) error {
		for _, a := range toks {
			_, err := r.AccessToken(a.Hash)
			switch {
			case err == nil:
				left = append(left, a.ID)
			case !errors.Is(err, store.ErrNotFound):
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"ses-recent", "tok-issued-ended", "tok-never", "tok-ent", "ses-maker", "dev-1", "ses-a", "ses-b", "dev-2", "dev-old"}; !slices.Equal(left, want) {
		t.Fatalf("tokens left %v, want %v", left, want)
	}
	if n, err := e.svc.PruneEndedTokens(ctx); err != nil || n != 0 {
		t.Fatalf("pruning again: %d, %v; want none", n, err)
	}
	// Revoking the enterprise's token still reaches the device, through
	// the session kept.
	resp, err := ruqiv1.NewAdminServiceClient(e.cc).RevokeAccessToken(e.as(e.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: issued.ID})
	if err != nil || !slices.Contains(resp.GetAlsoRevoked(), "dev-1") || !slices.Contains(resp.GetAlsoRevoked(), "dev-2") {
		t.Fatalf("revoking %s: also revoked %v, %v; want the devices made through its sessions", issued.ID, resp.GetAlsoRevoked(), err)
	}
}

func TestPruneEndedTokens_Bolt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testPruneEndedTokens(t, st)
}

func TestPruneEndedTokens_Postgres(t *testing.T) {
	st, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	testPruneEndedTokens(t, st)
}
