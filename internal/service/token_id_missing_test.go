package service_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A call that names no token or device is the caller's mistake, not a
// token that does not exist: revoking or rotating token "" and unbinding
// device "" were answered NOT_FOUND "访问令牌  不存在" and `设备 "" 不存在` (a
// trial of bad input, 2026-12-07).
func TestRevokeAndRotate_NoID_InvalidArgument(t *testing.T) {
	e := newEnv(t, "")
	admin := ruqiv1.NewAdminServiceClient(e.cc)
	for _, id := range []string{"", "  "} {
		_, err := admin.RevokeAccessToken(e.as(e.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: id})
		if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "TOKEN_ID_MISSING" {
			t.Errorf("revoke %q: %v, want InvalidArgument TOKEN_ID_MISSING", id, err)
		}
		_, err = admin.RotateAccessToken(e.as(e.admin), &ruqiv1.RotateAccessTokenRequest{TokenId: id})
		if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "TOKEN_ID_MISSING" {
			t.Errorf("rotate %q: %v, want InvalidArgument TOKEN_ID_MISSING", id, err)
		}
		ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, e.dir.GetEnterprises()[1].GetUscc())
		_, err = ruqiv1.NewSessionServiceClient(e.cc).RevokeDevice(e.as(ent), &ruqiv1.RevokeDeviceRequest{DeviceId: id})
		if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "DEVICE_ID_MISSING" {
			t.Errorf("unbind device %q: %v, want InvalidArgument DEVICE_ID_MISSING", id, err)
		}
	}
	// An id that names no token is still NOT_FOUND.
	if _, err := admin.RevokeAccessToken(e.as(e.admin), &ruqiv1.RevokeAccessTokenRequest{TokenId: "tok-000000000000"}); status.Code(err) != codes.NotFound {
		t.Errorf("revoke an unknown token: %v, want NotFound", err)
	}
}
