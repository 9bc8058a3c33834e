package service_test

import (
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An officer whose certificate (执法证) is revoked or suspended is no
// enforcement officer, whatever token they hold. Before, only their own
// codes stopped verifying: with the token they had they registered visits
// naming two colleagues, took a colleague's genuine code and read every
// agency's results at an enterprise (a review, 2026-12-05). Every call is
// refused now, saying why; reinstated, the same token works again.
func TestOfficer_CertificateNotValid_TokenActsForNobody(t *testing.T) {
	a := newAnonEnv(t)
	off := a.off.officers
	if len(off) < 3 {
		t.Fatalf("the sample agency has %d officers, want 3", len(off))
	}
	uscc := a.dir.GetEnterprises()[0].GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	dir := ruqiv1.NewDirectoryServiceClient(a.cc)
	register := func() (*ruqiv1.RegisterInspectionResponse, error) {
		start := time.Now().Add(time.Hour)
		return ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: off[1:3],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "年度日常检查"})
	}
	setStatus := func(s ruqiv1.CertificateStatus) {
		t.Helper()
		if _, err := dir.SetCertificateStatus(a.as(a.env.admin), &ruqiv1.SetCertificateStatusRequest{OfficerId: off[0], Status: s, Reason: "调离执法岗位"}); err != nil { // the system administrator: a 注销 is not the agency's to undo
			t.Fatal(err)
		}
	}
	reg, err := register()
	if err != nil {
		t.Fatalf("before: %v", err)
	}
	id := reg.GetInspection().GetId()

	for _, c := range []struct {
		status ruqiv1.CertificateStatus
		reason string
	}{
		{ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED, "CERTIFICATE_REVOKED"},
		{ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED, "CERTIFICATE_SUSPENDED"},
	} {
		setStatus(c.status)
		if reg, err := register(); status.Code(err) != codes.PermissionDenied || reasonOf(err) != c.reason {
			t.Errorf("%v: registered %v, %v; want PERMISSION_DENIED %s", c.status, reg.GetInspection().GetId(), err, c.reason)
		}
		if _, err := ins.GetInspectionCodes(a.as(a.off.tok), &ruqiv1.GetInspectionCodesRequest{InspectionId: id, OfficerId: off[1]}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%v: took colleague %s's code: %v", c.status, off[1], err)
		}
		if _, err := ins.ListPriorResults(a.as(a.off.tok), &ruqiv1.ListPriorResultsRequest{EnterpriseUscc: uscc}); status.Code(err) != codes.PermissionDenied {
			t.Errorf("%v: read prior results of %s: %v", c.status, uscc, err)
		}
	}
	setStatus(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE)
	if _, err := ins.GetInspectionCodes(a.as(a.off.tok), &ruqiv1.GetInspectionCodesRequest{InspectionId: id, OfficerId: off[1]}); err != nil {
		t.Fatalf("reinstated: %v", err)
	}
}

// reasonOf is the ErrorInfo reason of err ("" if none).
func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
