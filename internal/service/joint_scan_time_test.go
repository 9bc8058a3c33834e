package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A code of a joint visit scanned valid outside the visit's common time,
// the window the enterprise is shown, says so: the code holds for its own
// agency's window, which the common time narrows, and the agencies are to
// come together. A trial on a phone (2026-12-06) read 有效，请配合检查 at
// 02:06 beside a visit window of 02:35–05:35, while the other agency's code
// said 未到检查时段. Within the common time nothing more is said.
func TestScan_JointCodeOutsideTheCommonTime_Said(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	a1, a2 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	register := func(r *registrar, from, to time.Duration) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		resp, err := ins.RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(t0.Add(from)), WindowEnd: timestamppb.New(t0.Add(to)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	early := register(a1, time.Hour, 9*time.Hour)
	if j := register(a2, 3*time.Hour, 6*time.Hour).GetJointInspection(); j == nil {
		t.Fatal("the second plan did not join the first")
	}
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	scan := func(at time.Duration) *ruqiv1.ScanCodeResponse {
		t.Helper()
		now := t0.Add(at)
		clock.Store(&now)
		resp, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(ent), &ruqiv1.ScanCodeRequest{Code: early.GetCodes()[0].GetToken()})
		if err != nil || resp.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
			t.Fatalf("scan at +%v: %v, %v", at, resp.GetVerdict(), err)
		}
		return resp
	}
	if got := scan(90 * time.Minute).GetMessage(); !strings.Contains(got, "不在联合检查的共同时段") {
		t.Errorf("valid at +1h30, before the common time (+3h): %q; want it said", got)
	}
	if got := scan(4 * time.Hour).GetMessage(); strings.Contains(got, "共同时段") {
		t.Errorf("valid at +4h, within the common time: %q; want nothing more", got)
	}
}
