package service_test

import (
	"path/filepath"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// directoryWith returns e's directory with officer's certificate status set.
func directoryWith(e *env, officer string, st ruqiv1.CertificateStatus) *ruqiv1.Directory {
	d := proto.Clone(e.dir).(*ruqiv1.Directory)
	for _, o := range d.GetOfficers() {
		if o.GetId() == officer {
			o.CertificateStatus = st
		}
	}
	return d
}

func officerStatus(t *testing.T, e *env, officer string) ruqiv1.CertificateStatus {
	t.Helper()
	resp, err := ruqiv1.NewDirectoryServiceClient(e.cc).ListOfficers(e.as(e.admin), &ruqiv1.ListOfficersRequest{AgencyId: "AG-01"})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range resp.GetOfficers() {
		if o.GetId() == officer {
			return o.GetCertificateStatus()
		}
	}
	t.Fatalf("officer %s not listed", officer)
	return 0
}

// A review of b3a4184. An import keeps a revocation made in ruqi only when
// the directory says ACTIVE: a directory that says SUSPENDED (the personnel
// system's own 暂扣, older than the 注销) turns the 注销 into a 暂扣, and the
// agency's administrator, whom CERTIFICATE_REVOKED_FINAL forbids to undo a
// 注销, then restores the certificate with SetCertificateStatus.
func TestImport_RevokedCertificate_NotDowngradedToSuspended(t *testing.T) {
	e, r, dir := importEnv(t)
	officer := r.officers[0]
	if _, err := dir.SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, Reason: "违法违纪，注销执法证"}); err != nil {
		t.Fatal(err)
	}
	if _, err := dir.ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{
		Directory: directoryWith(e, officer, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED)}); err != nil {
		t.Fatal(err)
	}
	if got := officerStatus(t, e, officer); got != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED {
		t.Errorf("a directory saying SUSPENDED turned %s's 注销 into %s", officer, got)
	}
	agencyAdmin := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")
	_, err := dir.SetCertificateStatus(e.as(agencyAdmin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, Reason: "暂扣期满"})
	if status.Code(err) != codes.PermissionDenied {
		t.Errorf("the agency's administrator restored a certificate the system administrator revoked (注销), after an import: %v; status now %s",
			err, officerStatus(t, e, officer))
	}
}

// A review of b3a4184. A suspension the directory brought (the personnel
// system's 暂扣, recorded as "导入名录") is not a decision made in ruqi; when
// the personnel system lifts it, the next import must lift it too, as it
// did before. It stays suspended for good: the officer cannot register,
// and `ruqi simulate --seed N` against a server holding another seed's
// directory finds officers its directory lists as active refused.
func TestImport_SuspensionTheDirectoryBrought_LiftedByTheDirectory(t *testing.T) {
	e, r, dir := importEnv(t)
	officer := r.officers[0]
	if _, err := dir.ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{
		Directory: directoryWith(e, officer, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED)}); err != nil {
		t.Fatal(err)
	}
	if got := officerStatus(t, e, officer); got != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED {
		t.Fatalf("status after an import saying SUSPENDED: %s", got)
	}
	if _, err := dir.ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{
		Directory: directoryWith(e, officer, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE)}); err != nil {
		t.Fatal(err)
	}
	if got := officerStatus(t, e, officer); got != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE {
		t.Errorf("a 暂扣 the directory brought is not lifted when the directory lifts it: %s stays %s", officer, got)
	}
}

// A certificate restored in ruqi, then suspended by the personnel system
// and lifted by it again: the suspension was the import's, and the import
// lifts it (the restoration decided in ruqi does not hold the import's
// later suspension for good).
func TestImport_SuspensionAfterARestoration_LiftedByTheDirectory(t *testing.T) {
	e, r, dir := importEnv(t)
	officer := r.officers[0]
	if _, err := dir.SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, Reason: "核查无误"}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []ruqiv1.CertificateStatus{ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED, ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE} {
		if _, err := dir.ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: directoryWith(e, officer, s)}); err != nil {
			t.Fatal(err)
		}
		if got := officerStatus(t, e, officer); got != s {
			t.Errorf("after a restoration in ruqi, an import saying %s: %s", s, got)
		}
	}
}

// importEnv is a service on a bbolt file, AG-01's registrar (whose
// officers the tests import and change) and the directory service.
func importEnv(t *testing.T) (*env, *registrar, ruqiv1.DirectoryServiceClient) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	return e, e.registrar(t, "AG-01"), ruqiv1.NewDirectoryServiceClient(e.cc)
}
