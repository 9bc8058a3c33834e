package service_test

import (
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a review of StartSession (2026-12-06): rotating a token, which is
// done when it may have leaked, left the web sessions started from it
// acting for their 12 hours. They end with it now; a device enrolled
// through one, a deliberate act listed on its own, stays (revoking the old
// token ends it too).
func TestRotateAccessToken_EndsItsWebSessions(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	admin := ruqiv1.NewAdminServiceClient(e.cc)
	issued, err := admin.IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc})
	if err != nil {
		t.Fatal(err)
	}
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	web, err := sess.StartSession(e.as(issued.GetToken()), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	enr, err := sess.CreateDeviceEnrolment(e.as(web.GetToken()), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sess.EnrolDevice(t.Context(), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	rot, err := admin.RotateAccessToken(e.as(e.admin), &ruqiv1.RotateAccessTokenRequest{TokenId: issued.GetTokenId()})
	if err != nil {
		t.Fatal(err)
	}
	if got := rot.GetSessionsEnded(); len(got) != 1 || got[0] != web.GetTokenId() {
		t.Errorf("sessions ended by the rotation: %v, want [%s]", got, web.GetTokenId())
	}
	// The device it leaves is named, for the administrator to revoke if the
	// old token leaked (a trial of sign-in, 2026-12-07: it was not said).
	if got := rot.GetDevicesLeft(); len(got) != 1 || got[0] != dev.GetDevice().GetId() {
		t.Errorf("devices left by the rotation: %v, want [%s]", got, dev.GetDevice().GetId())
	}
	ent := ruqiv1.NewEnterpriseServiceClient(e.cc)
	if _, err := ent.ListInspections(e.as(web.GetToken()), &ruqiv1.ListInspectionsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("the web session started from the rotated token: %v, want Unauthenticated", err)
	}
	for what, tok := range map[string]string{"the new token": rot.GetToken(), "the device enrolled through the session": dev.GetToken()} {
		if _, err := ent.ListInspections(e.as(tok), &ruqiv1.ListInspectionsRequest{}); err != nil {
			t.Errorf("%s, after the rotation: %v", what, err)
		}
	}
}
