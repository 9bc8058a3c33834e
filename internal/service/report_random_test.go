package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The 司法局's report counts the 双随机 registrations and, of them, those
// that name no draw (stop 45's "双随机 without a draw", left undecided
// there): such a check has no sampling anyone can verify, and like every
// 双随机 check it is kept from the enterprise's 检查预告, so an agency could
// file routine checks as 双随机 to keep them unannounced. Counted, not
// refused: agencies that draw on the national platform name no ruqi draw.
// A cancellation does not take them back, as for late registrations.
func TestReport_RandomWithoutDraw_Counted(t *testing.T) {
	f := newDoorFixture(t)
	_, withDraw := f.revealedDraw(t, "DRW-20260101-TESTRAND")
	if _, err := withDraw(f.t0.Add(24*time.Hour), ""); err != nil {
		t.Fatal(err)
	}
	var others []string
	for _, ent := range f.e.dir.GetEnterprises() {
		if ent.GetUscc() != regionE1 && domain.RegionCovers("510100", ent.GetRegionCode()) && ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			others = append(others, ent.GetUscc())
		}
	}
	ins := ruqiv1.NewInspectionServiceClient(f.e.cc)
	register := func(uscc string, typ ruqiv1.InspectionType, day int) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		start := f.t0.Add(time.Duration(day) * 24 * time.Hour)
		r, err := ins.RegisterInspection(f.e.as(f.r.tok), &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: uscc, CheckItemIds: f.r.items[:1], OfficerIds: f.r.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)), Type: typ, Reason: "抽查"})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	register(others[0], ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, 1)
	cancelled := register(others[1], ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, 2)
	register(others[2], ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, 2)
	if _, err := ins.CancelInspection(f.e.as(f.r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: cancelled.GetInspection().GetId(), Reason: "企业停业"}); err != nil {
		t.Fatal(err)
	}
	from, to := f.t0.Add(24*time.Hour).In(domain.Shanghai).Format("2006-01"), f.t0.Add(3*24*time.Hour).In(domain.Shanghai).Format("2006-01")
	sup := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510000")
	rep, err := ruqiv1.NewReportServiceClient(f.e.cc).GetFrequencyReport(f.e.as(sup), &ruqiv1.GetFrequencyReportRequest{FromMonth: from, ToMonth: to})
	if err != nil {
		t.Fatal(err)
	}
	if tot := rep.GetTotals(); tot.GetRandomRegistrations() != 3 || tot.GetRandomWithoutDraw() != 2 {
		t.Errorf("双随机 registrations %d, of them without a draw %d; want 3 and 2 (one names its draw, one was cancelled, a routine check is neither)",
			tot.GetRandomRegistrations(), tot.GetRandomWithoutDraw())
	}
	other, err := ruqiv1.NewReportServiceClient(f.e.cc).GetFrequencyReport(f.e.as(sup), &ruqiv1.GetFrequencyReportRequest{FromMonth: from, ToMonth: to, AgencyId: "AG-02"})
	if err != nil || other.GetTotals().GetRandomWithoutDraw() != 0 {
		t.Errorf("AG-02's report: %v, %d without a draw; want AG-01's not counted there", err, other.GetTotals().GetRandomWithoutDraw())
	}
}
