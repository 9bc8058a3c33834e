package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a review of the closed-visit / jurisdiction change (2026-12-06):
// a late record (补录) overlapping its agency's closed visit is still a
// duplicate (the same emergency recorded twice, coord.Plan.Closed), but the
// refusal told the officer the visit "已经实施、尚未办结" and to close it
// first, after which the enterprise could be registered again: the visit
// was closed already, and closing changes nothing for a late record.
func TestLateRecord_OverAClosedVisit_NotToldToCloseIt(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	first := a.closedVisit(t, uscc, start) // AG-01, window start..start+2h, closed at start+1h
	a.set(start.Add(3 * time.Hour))
	_, err := ruqiv1.NewInspectionServiceClient(a.cc).RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: a.off.officers[:2],
		WindowStart: timestamppb.New(start.Add(30 * time.Minute)), WindowEnd: timestamppb.New(start.Add(90 * time.Minute)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-late", Reason: "投诉举报",
		LateReason: "燃气泄漏紧急处置，系统故障未能扫码"})
	if status.Code(err) != codes.AlreadyExists || reasonOf(err) != "DUPLICATE_PLAN" {
		t.Fatalf("a late record over the closed visit %s: %v, want ALREADY_EXISTS DUPLICATE_PLAN", first, err)
	}
	if msg := status.Convert(err).Message(); strings.Contains(msg, "尚未办结") || strings.Contains(msg, "请先记录结果并办结") || !strings.Contains(msg, first) {
		t.Errorf("the refusal reads %q: the visit %s is closed, and closing it again changes nothing for a late record", msg, first)
	}
}
