package service_test

import (
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A privacy and access trial, 2026-12-06, fixed since. A revoked principal must be able to do nothing. The
// system administrator revokes (注销) an officer's enforcement certificate,
// and every call of the officer's token is refused (CERTIFICATE_REVOKED);
// the officer's own agency administrator then sets it back to ACTIVE
// (SetCertificateStatus checks only that the officer is of its agency, not
// who revoked it nor that 注销 is final), and the same token acts again:
// the agency undoes the revocation of its own officer.
func TestCertificate_AgencyAdminCannotUndoARevocation(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	r := e.registrar(t, "AG-01")
	officer := r.officers[0]
	dir := ruqiv1.NewDirectoryServiceClient(e.cc)
	if _, err := dir.SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, Reason: "违法违纪，注销执法证"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.ListCheckItems(e.as(r.tok), &ruqiv1.ListCheckItemsRequest{}); err == nil {
		t.Fatal("the revoked officer's token still acts")
	}
	agencyAdmin := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")
	_, err = dir.SetCertificateStatus(e.as(agencyAdmin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, Reason: "本部门恢复"})
	if err == nil {
		t.Errorf("AG-01's administrator set %s's certificate, revoked (注销) by the system administrator, back to ACTIVE", officer)
	}
	if _, err := dir.ListCheckItems(e.as(r.tok), &ruqiv1.ListCheckItemsRequest{}); err == nil {
		t.Errorf("the token of %s, whose certificate the system administrator revoked, acts again", officer)
	}
	// The agency still suspends and restores its officers, and the system
	// administrator corrects a wrongful 注销.
	if _, err := dir.SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, Reason: "错误注销，予以更正"}); err != nil {
		t.Fatalf("the system administrator's correction: %v", err)
	}
	for _, st := range []ruqiv1.CertificateStatus{ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE} {
		if _, err := dir.SetCertificateStatus(e.as(agencyAdmin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer, Status: st, Reason: "本部门调整"}); err != nil {
			t.Errorf("AG-01's administrator setting %s: %v", st, err)
		}
	}
}

// An agency administrator lifted a suspension the system administrator had
// imposed (a trial of sign-in, 2026-12-07: the account was the officer's
// own). A status the system administrator decided is lifted only by it;
// the agency still lifts the suspensions it decided.
func TestCertificate_AgencyAdminCannotLiftTheAdministratorsSuspension(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	r := e.registrar(t, "AG-01")
	officer := r.officers[0]
	dir := ruqiv1.NewDirectoryServiceClient(e.cc)
	agencyAdmin := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")
	set := func(tok string, s ruqiv1.CertificateStatus) error {
		_, err := dir.SetCertificateStatus(e.as(tok), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer, Status: s, Reason: "调整"})
		return err
	}
	if err := set(e.admin, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED); err != nil {
		t.Fatal(err)
	}
	if err := set(agencyAdmin, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE); status.Code(err) != codes.PermissionDenied || reasonOf(err) != "CERTIFICATE_DECIDED_BY_ADMIN" {
		t.Errorf("AG-01's administrator lifting the system administrator's suspension: %v, want CERTIFICATE_DECIDED_BY_ADMIN", err)
	}
	// Nor by suspending again first, which made the agency the decider (a
	// review, 2026-12-07).
	if err := set(agencyAdmin, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED); reasonOf(err) != "CERTIFICATE_DECIDED_BY_ADMIN" {
		t.Errorf("AG-01's administrator suspending again what the system administrator suspended: %v, want CERTIFICATE_DECIDED_BY_ADMIN", err)
	}
	if err := set(agencyAdmin, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE); reasonOf(err) != "CERTIFICATE_DECIDED_BY_ADMIN" {
		t.Errorf("AG-01's administrator lifting it after suspending again: %v", err)
	}
	if _, err := dir.ListCheckItems(e.as(r.tok), &ruqiv1.ListCheckItemsRequest{}); err == nil {
		t.Errorf("the suspended officer %s acts", officer)
	}
	// Its own suspension the agency lifts; the administrator lifts its own.
	if err := set(e.admin, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE); err != nil {
		t.Fatal(err)
	}
	for _, s := range []ruqiv1.CertificateStatus{ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE} {
		if err := set(agencyAdmin, s); err != nil {
			t.Errorf("AG-01's administrator setting %s: %v", s, err)
		}
	}
}

// A suspended officer could not sign out: every call of the officer's
// token was refused, SignOut among them, and the session acted again the
// moment the certificate was restored (a trial of sign-in, 2026-12-07).
// Signing out, which only ends the caller's own session, is let through.
func TestSignOut_SuspendedOfficerEndsTheSession(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	r := e.registrar(t, "AG-01")
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	started, err := sess.StartSession(e.as(r.tok), &ruqiv1.StartSessionRequest{})
	if err != nil {
		t.Fatal(err)
	}
	dir := ruqiv1.NewDirectoryServiceClient(e.cc)
	set := func(s ruqiv1.CertificateStatus) {
		t.Helper()
		if _, err := dir.SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{OfficerId: r.officers[0], Status: s, Reason: "调查"}); err != nil {
			t.Fatal(err)
		}
	}
	set(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED)
	if _, err := dir.ListCheckItems(e.as(started.GetToken()), &ruqiv1.ListCheckItemsRequest{}); err == nil {
		t.Fatal("a suspended officer's session acts")
	}
	out, err := sess.SignOut(e.as(started.GetToken()), &ruqiv1.SignOutRequest{})
	if err != nil || !out.GetEnded() {
		t.Fatalf("a suspended officer signing out: %v %v", out, err)
	}
	set(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE)
	if _, err := dir.ListCheckItems(e.as(started.GetToken()), &ruqiv1.ListCheckItemsRequest{}); err == nil {
		t.Error("the session signed out while suspended acts again once the certificate is restored")
	}
}
