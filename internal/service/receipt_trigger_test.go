package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a review of the record content change (2026-12-06).
//
// TestReceipts_CaseTriggerNotGivenToTheEnterprise: a 个案 check's trigger
// (the complaint's or referral's number) is not the enterprise's to read
// (docs/SECURITY.md: "GetInspection gives an enterprise no case trigger ...
// as its views never did"). The registration's receipt, which the
// enterprise lists once the check is shown, must not give it either.
func TestReceipts_CaseTriggerNotGivenToTheEnterprise(t *testing.T) {
	e, clock, integrate := noticeEnv(t)
	t0 := *clock.Load()
	a1 := e.registrar(t, "AG-01")
	uscc := e.dir.GetEnterprises()[2].GetUscc()
	start := t0.Add(2 * time.Hour)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	reg, err := ins.RegisterInspection(e.as(a1.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-2026-0107", Reason: "投诉举报"})
	if err != nil {
		t.Fatal(err)
	}
	clock.Store(&start) // begun: shown to the enterprise
	integrate()
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	got, err := ins.GetInspection(e.as(ent), &ruqiv1.GetInspectionRequest{InspectionId: reg.GetInspection().GetId()})
	if err != nil || got.GetInspection().GetTriggerReference() != "" {
		t.Fatalf("GetInspection by the enterprise: %v, %v; want it without its trigger", got, err)
	}
	rc, err := ruqiv1.NewLogServiceClient(e.cc).ListReceipts(e.as(ent), &ruqiv1.ListReceiptsRequest{InspectionId: reg.GetInspection().GetId()})
	if err != nil || len(rc.GetReceipts()) == 0 {
		t.Fatalf("receipts: %v, %v", rc, err)
	}
	for _, r := range rc.GetReceipts() {
		if strings.Contains(r.GetEvent().GetDetail(), "JB-2026-0107") {
			t.Errorf("the enterprise's receipt of %s gives the case trigger (complaint number): detail %q", r.GetEvent().GetType(), r.GetEvent().GetDetail())
		}
	}
}
