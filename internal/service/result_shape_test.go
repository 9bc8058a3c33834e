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

// Only a rectification (责令整改) has a deadline. A result of 未发现问题 sent
// with one (through the API: the CLI refuses it) was recorded, and the
// enterprise's page read "未发现问题，整改期限 …"; a deadline in year 1 or
// 9999 was taken as well, unchecked. It is refused, and nothing is
// recorded. An item without its id was refused as
// "检查事项  不在本次报备的事项中", naming nothing (a trial of bad input,
// 2026-12-07).
func TestRecordResult_DeadlineWithoutRectification_Refused(t *testing.T) {
	e := newEnv(t, "")
	r := e.registrar(t, "AG-01")
	reg, err := r.register(e.dir.GetEnterprises()[1].GetUscc(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id := reg.GetInspection().GetId()
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	for _, d := range []time.Time{time.Now().AddDate(0, 1, 0), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)} {
		for _, o := range []ruqiv1.ItemOutcome{ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM, ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED} {
			_, err := ins.RecordResult(e.as(r.tok), &ruqiv1.RecordResultRequest{InspectionId: id, Close: true,
				Items: []*ruqiv1.ItemResult{{CheckItemId: r.items[0], Outcome: o, RectificationDeadline: timestamppb.New(d)}}})
			if status.Code(err) != codes.InvalidArgument || reasonOf(err) != "DEADLINE_WITHOUT_RECTIFICATION" {
				t.Errorf("%s with deadline %v: %v, want InvalidArgument DEADLINE_WITHOUT_RECTIFICATION", o, d, err)
			}
		}
	}
	_, err = ins.RecordResult(e.as(r.tok), &ruqiv1.RecordResultRequest{InspectionId: id,
		Items: []*ruqiv1.ItemResult{{Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}})
	if reasonOf(err) != "RESULT_ITEM_MISSING" || strings.Contains(status.Convert(err).Message(), "  ") {
		t.Errorf("a result without its item's id: %v, want RESULT_ITEM_MISSING", err)
	}
	got, err := ins.GetInspection(e.as(r.tok), &ruqiv1.GetInspectionRequest{InspectionId: id})
	if err != nil {
		t.Fatal(err)
	}
	if got.GetInspection().GetResult() != nil || got.GetInspection().GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED {
		t.Errorf("refused results left the inspection %s with result %v", got.GetInspection().GetState(), got.GetInspection().GetResult())
	}
	// The same item with its outcome alone is recorded.
	if _, err := ins.RecordResult(e.as(r.tok), &ruqiv1.RecordResultRequest{InspectionId: id, Close: true,
		Items: []*ruqiv1.ItemResult{{CheckItemId: r.items[0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}}); err != nil {
		t.Fatal(err)
	}
}
