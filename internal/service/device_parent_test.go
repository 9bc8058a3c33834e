package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A privacy and access trial, 2026-12-06, fixed since. Whoever holds an enterprise's account token (a
// leaked token, a stolen session) enrols a staff device with it in two
// calls. The administrator revokes the leaked token; the device it made
// stays valid for its 30 days and acts as the enterprise (scans, refusals,
// evaluations, complaints, receipts): revoking the credential does not end
// what it made.
func TestRevokeAccessToken_RevokesTheDevicesItEnrolled(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	leaked := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	enr, err := sess.CreateDeviceEnrolment(e.as(leaked), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sess.EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("tok-%x", auth.HashToken(leaked)[:6]) // the token's id (auth.NewToken)
	if _, err := ruqiv1.NewAdminServiceClient(e.cc).RevokeAccessToken(e.as(e.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: id}); err != nil {
		t.Fatal(err)
	}
	ent := ruqiv1.NewEnterpriseServiceClient(e.cc)
	if _, err := ent.ListInspections(e.as(leaked), &ruqiv1.ListInspectionsRequest{}); err == nil {
		t.Fatal("the revoked token still acts")
	}
	if _, err := ent.ListInspections(e.as(dev.GetToken()), &ruqiv1.ListInspectionsRequest{}); err == nil {
		t.Errorf("the device enrolled with the revoked token %s still acts as %s (until %v)", id, uscc, dev.GetDevice().GetExpiresAt().AsTime())
	}
	// A device another of the enterprise's tokens enrolled stays, and so
	// does one whose session signed out.
	for _, signOut := range []bool{false, true} {
		other := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
		enr, err := sess.CreateDeviceEnrolment(e.as(other), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "后门"})
		if err != nil {
			t.Fatal(err)
		}
		kept, err := sess.EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
		if err != nil {
			t.Fatal(err)
		}
		if signOut {
			if _, err := sess.SignOut(e.as(other), &ruqiv1.SignOutRequest{}); err != nil {
				t.Fatal(err)
			}
		} else if _, err := ruqiv1.NewAdminServiceClient(e.cc).RevokeAccessToken(e.as(e.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: fmt.Sprintf("tok-%x", auth.HashToken(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc))[:6])}); err != nil {
			t.Fatal(err)
		}
		if _, err := ent.ListInspections(e.as(kept.GetToken()), &ruqiv1.ListInspectionsRequest{}); err != nil {
			t.Errorf("a device enrolled with another token (that token signed out: %t) was revoked: %v", signOut, err)
		}
	}
}
