package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// GetInspectionCodes refuses a cancelled inspection's codes
// (INSPECTION_CANCELLED); a retried registration under the same request id
// still hands them out, the parallel path the refusal missed.
// A registration retried with its request id after the plan was cancelled
// answers the plan as it is, without its codes: it handed them out (a
// review, 2026-12-05), where GetInspectionCodes refuses them.
func TestReplayedRegistration_CancelledSince_NoCodes(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[0].GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	start := time.Now().Add(time.Hour)
	req := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: a.off.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "年度日常检查", RequestId: "review-replay-1"}
	reg, err := ins.RegisterInspection(a.as(a.off.tok), req)
	if err != nil {
		t.Fatal(err)
	}
	id := reg.GetInspection().GetId()
	if _, err := ins.CancelInspection(a.as(a.off.tok), &ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ins.GetInspectionCodes(a.as(a.off.tok), &ruqiv1.GetInspectionCodesRequest{InspectionId: id}); err == nil {
		t.Fatal("GetInspectionCodes handed out a cancelled inspection's codes")
	}
	again, err := ins.RegisterInspection(a.as(a.off.tok), req)
	if err == nil && len(again.GetCodes()) > 0 {
		t.Errorf("the retried registration handed out %d codes of cancelled inspection %s (state %v)", len(again.GetCodes()), id, again.GetInspection().GetState())
	}
}
