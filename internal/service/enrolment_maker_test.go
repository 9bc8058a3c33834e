package service_test

import (
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a review of StartSession (2026-12-06): a device enrolment code
// outlived the session that made it. Whoever held a copy of an enterprise's
// cookie made a code, the enterprise signed out, and the code still made a
// 30-day device within its 10 minutes. A code ends with its maker now; one
// whose maker still stands enrols as before.
func TestEnrolDevice_CodeEndsWithTheSessionThatMadeIt(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	issued, err := ruqiv1.NewAdminServiceClient(e.cc).IssueAccessToken(e.as(e.admin), &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc})
	if err != nil {
		t.Fatal(err)
	}
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	code := func(tok string) string {
		t.Helper()
		enr, err := sess.CreateDeviceEnrolment(e.as(tok), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
		if err != nil {
			t.Fatal(err)
		}
		return enr.GetCode()
	}
	standing, err := sess.StartSession(e.as(issued.GetToken()), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.EnrolDevice(t.Context(), &ruqiv1.EnrolDeviceRequest{Code: code(standing.GetToken())}); err != nil {
		t.Fatalf("a code whose session stands: %v", err)
	}
	stolen, err := sess.StartSession(e.as(issued.GetToken()), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c := code(stolen.GetToken())
	if _, err := sess.SignOut(e.as(stolen.GetToken()), &ruqiv1.SignOutRequest{}); err != nil {
		t.Fatal(err)
	}
	if _, err := sess.EnrolDevice(t.Context(), &ruqiv1.EnrolDeviceRequest{Code: c}); status.Code(err) != codes.Unauthenticated || reasonOf(err) != "ENROLMENT_MAKER_ENDED" {
		t.Errorf("a code whose session signed out: %v, want UNAUTHENTICATED ENROLMENT_MAKER_ENDED", err)
	}
	// A maker no longer held (its record deleted, a week after it ended:
	// auth.Prunable) ends the code too.
	gone, err := sess.StartSession(e.as(issued.GetToken()), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	c = code(gone.GetToken())
	err = st.Update(t.Context(), func(tx store.Tx) error { return tx.DeleteAccessToken(auth.HashToken(gone.GetToken())) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sess.EnrolDevice(t.Context(), &ruqiv1.EnrolDeviceRequest{Code: c}); status.Code(err) != codes.Unauthenticated || reasonOf(err) != "ENROLMENT_MAKER_ENDED" {
		t.Errorf("a code whose session is no longer held: %v, want UNAUTHENTICATED ENROLMENT_MAKER_ENDED", err)
	}
}
