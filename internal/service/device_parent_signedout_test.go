package service_test

import (
	"context"
	"testing"

	"github.com/ruqi/ruqi/internal/testutil/oidctest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A review, 2026-12-06, fixed since. A stolen enterprise session enrols a front-desk device; the enterprise
// notices and signs that session out (sign-out does not revoke what the
// session made, by design), then asks the administrator to revoke it.
// The administrator's RevokeAccessToken, the only step that revokes a
// token's devices (AccessToken.parent), refuses the signed-out session as
// TOKEN_REVOKED before it looks at what the session made: the device
// stays for its 30 days, which the parent link was added to prevent
// (docs/SECURITY.md: "a leaked account token leaves no device behind").
func TestRevokeAccessToken_SignedOutParent_StillRevokesItsDevices(t *testing.T) {
	const uscc = "915101070AL6JK1YWK" // of the sample directory
	e, idp := signInEnv(t, oidctest.User{Username: "ent", Password: trialPassword, Claims: map[string]any{"uscc": uscc}})
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	id, nonce := idp.IDToken(t, trialCLI, "ent", trialPassword)
	in, err := sess.SignIn(e.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	stolen := in.GetToken()
	enr, err := sess.CreateDeviceEnrolment(e.as(stolen), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sess.EnrolDevice(context.Background(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.SignOut(e.as(stolen), &ruqiv1.SignOutRequest{}); err != nil {
		t.Fatal(err)
	}
	resp, err := ruqiv1.NewAdminServiceClient(e.cc).RevokeAccessToken(e.as(e.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: in.GetTokenId()})
	if err != nil {
		t.Logf("the administrator revoking the signed-out session %s: %v", in.GetTokenId(), err)
	}
	if _, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ListInspections(e.as(dev.GetToken()), &ruqiv1.ListInspectionsRequest{}); err == nil {
		t.Errorf("the device enrolled with session %s still acts as %s after the administrator revoked that session (also revoked: %v)", in.GetTokenId(), uscc, resp.GetAlsoRevoked())
	}
}
