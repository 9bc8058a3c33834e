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

// Found by an operator's trial (2026-12-06): an agency closed (办结) a visit
// early and registered a 复查 within what was left of its window. The
// refusal (DUPLICATE_PLAN) told the officer to cancel and register again,
// and the cancellation was refused (INSPECTION_HAPPENED): a visit that took
// place is not undone. The refusal now says the visit took place and when
// its window ends, after which the enterprise may be registered again.
func TestDuplicate_OfAVisitThatTookPlace_SaysWhenNotCancel(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	first := a.closedVisit(t, uscc, start) // window start..start+2h, closed at start+1h
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	_, err := ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: a.off.officers[:2],
		WindowStart: timestamppb.New(start.Add(61 * time.Minute)), WindowEnd: timestamppb.New(start.Add(3 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-followup", Reason: "整改复查"})
	if status.Code(err) != codes.AlreadyExists || reasonOf(err) != "DUPLICATE_PLAN" {
		t.Fatalf("a 复查 within the window of closed visit %s: %v, want ALREADY_EXISTS DUPLICATE_PLAN", first, err)
	}
	msg := status.Convert(err).Message()
	if strings.Contains(msg, "撤销") || !strings.Contains(msg, "已经实施") || !strings.Contains(msg, first) {
		t.Errorf("the refusal reads %q: want it to say %s took place and when its window ends, not to cancel it", msg, first)
	}
	if _, err := ins.CancelInspection(a.as(a.off.tok), &ruqiv1.CancelInspectionRequest{InspectionId: first, Reason: "为复查重新报备"}); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("cancelling the closed visit: %v, want FAILED_PRECONDITION", err)
	}
}
