package service_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An agency's trial, 2026-12-06. The system administrator revokes (注销) an
// officer's certificate with a reason, which the event log records. At the
// month's routine directory sync the administrator imports the directory
// file again (the HR export, which still lists the officer as ACTIVE): the
// import overwrites the certificate status, the revoked officer's token
// acts again, and the event log shows only "导入名录 officers=N": nothing
// says that the certificate was restored, by whom, or why. A 注销 the
// agency itself may not undo (CERTIFICATE_REVOKED_FINAL) is undone without
// a trace (全程留痕).
func TestImport_RevokedCertificate_NotRestoredWithoutTrace(t *testing.T) {
	e, r, dir := importEnv(t)
	officer := r.officers[0]
	if _, err := dir.SetCertificateStatus(e.as(e.admin), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, Reason: "违法违纪，注销执法证"}); err != nil {
		t.Fatal(err)
	}
	admin := ruqiv1.NewAdminServiceClient(e.cc)
	before, err := admin.ListEvents(e.as(e.admin), &ruqiv1.ListEventsRequest{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	// The routine re-import of the same directory file.
	if _, err := dir.ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: proto.Clone(e.dir).(*ruqiv1.Directory)}); err != nil {
		t.Fatal(err)
	}
	_, stillRevoked := dir.ListCheckItems(e.as(r.tok), &ruqiv1.ListCheckItemsRequest{})
	if stillRevoked != nil {
		return // the revocation stands: fixed
	}
	after, err := admin.ListEvents(e.as(e.admin), &ruqiv1.ListEventsRequest{AfterSeq: before.GetEvents()[len(before.GetEvents())-1].GetSeq(), Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var traced bool
	var seen []string
	for _, ev := range after.GetEvents() {
		seen = append(seen, ev.GetType().String()+" "+ev.GetDetail())
		if ev.GetType() == ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED || strings.Contains(ev.GetDetail(), officer) {
			traced = true
		}
	}
	if !traced {
		t.Errorf("a directory re-import restored %s's revoked (注销) certificate (the officer's token acts again) and the event log says only:\n  %s",
			officer, strings.Join(seen, "\n  "))
	}
}
