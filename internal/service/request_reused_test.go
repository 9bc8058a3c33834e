package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A request id used again with other parameters is refused, and the
// refusal says which parameters differ. It said "本次的企业、事项、人员或时段
// 与之不同" whatever differed: an officer who retried with only the reason
// reworded was told that one of four things he had not changed had changed
// (an officer's trial, 2026-12-07).
func TestRequestReused_NamesWhatDiffers(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	from := time.Now().Add(time.Hour)
	register := func(officers []string, reason string) error {
		_, err := ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: officers, RequestId: "req-reused-1",
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-1", Reason: reason})
		return err
	}
	if err := register(a.off.officers[:2], "投诉举报"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		officers []string
		reason   string
		want     string
		not      []string
	}{
		{a.off.officers[:2], "投诉举报（改写）", "事由", []string{"企业", "执法人员", "时段"}},
		{a.off.officers[1:3], "投诉举报", "执法人员", []string{"事由", "时段"}},
	} {
		err := register(tc.officers, tc.reason)
		if reasonOf(err) != "REQUEST_ID_REUSED" {
			t.Fatalf("%v %q: %v, want REQUEST_ID_REUSED", tc.officers, tc.reason, err)
		}
		msg := status.Convert(err).Message()
		differs := msg[strings.Index(msg, "本次"):]
		if !strings.Contains(differs, tc.want) {
			t.Errorf("%v %q: %q does not name %s", tc.officers, tc.reason, msg, tc.want)
		}
		for _, n := range tc.not {
			if strings.Contains(differs, n) {
				t.Errorf("%v %q: %q names %s, which did not change", tc.officers, tc.reason, msg, n)
			}
		}
	}
}
