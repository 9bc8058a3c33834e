package service_test

import (
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The report's rates against the event log. Found by an auditor's trial
// of the report against the log (2026-12-06); both tests failed on the code
// before their fixes.
//
// 两码互核率 is mutually_verified / begun, and the proto says
// mutually_verified counts *inspections* where an officer's arrival and the
// enterprise's scan met; begun counts inspections only (亮码率 leaves out
// visits that are not inspections: "亮码率 is of inspections"). A 走访调研
// visit (not an inspection) whose code the enterprise scanned and whose
// enterprise code the officer scanned is counted in mutually_verified:
// the report shows one mutually verified inspection and a 两码互核率 above
// zero for a region where no inspection was mutually verified.
func TestReport_MutualRate_CountsInspectionsOnly(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Minute)
	var clock atomic.Pointer[time.Time]
	clock.Store(&t0)
	at := func(d time.Duration) { t := t0.Add(d); clock.Store(&t) }
	e := newEnvOn(t, st, "", func(c *service.Config) { c.Now = func() time.Time { return *clock.Load() } })
	r := e.registrar(t, "AG-01")
	ent := e.dir.GetEnterprises()[2]
	uscc := ent.GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	// One inspection, begun, its code scanned but no arrival: begun 1, scanned 1, mutual 0.
	insp, err := ins.RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(t0), WindowEnd: timestamppb.New(t0.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-1", Reason: "个案"})
	if err != nil {
		t.Fatal(err)
	}
	// A survey visit (走访调研), not an inspection, later the same day.
	survey, err := ins.RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, OfficerIds: r.officers[:1], VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY,
		WindowStart: timestamppb.New(t0.Add(2 * time.Hour)), WindowEnd: timestamppb.New(t0.Add(3 * time.Hour)), Reason: "了解企业用工需求"})
	if err != nil {
		t.Fatal(err)
	}
	entTok := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	scan := func(tok string) {
		t.Helper()
		resp, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(entTok), &ruqiv1.ScanCodeRequest{Code: tok})
		if err != nil || resp.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
			t.Fatalf("scan: %v, %v", resp.GetVerdict(), err)
		}
	}
	at(5 * time.Minute)
	scan(insp.GetCodes()[0].GetToken())
	// The survey visit: the enterprise scans the officer's code, the officer
	// scans the enterprise code a minute later: 两码互核 of a visit that is
	// not an inspection.
	at(2*time.Hour + 5*time.Minute)
	scan(survey.GetCodes()[0].GetToken())
	code, err := ruqiv1.NewDoorServiceClient(e.cc).GetEnterpriseCode(e.as(entTok), &ruqiv1.GetEnterpriseCodeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	at(2*time.Hour + 6*time.Minute)
	arr, err := ruqiv1.NewDoorServiceClient(e.cc).RecordArrival(e.as(e.token(t, ruqiv1.Role_ROLE_OFFICER, r.officers[0])),
		&ruqiv1.RecordArrivalRequest{InspectionId: survey.GetInspection().GetId(), Code: code.GetCode().GetUrl()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("survey visit's arrival: %v", arr.GetMutual())

	month := t0.In(domain.Shanghai).Format("2006-01")
	rep, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(e.admin), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: month, ToMonth: month, GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY, RegionCode: ent.GetRegionCode()})
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.GetTotals()
	t.Logf("inspections %d, begun %d, scanned %d, mutually_verified %d, mutual_rate %.3f", tot.GetInspections(), tot.GetBegun(), tot.GetScanned(), tot.GetMutuallyVerified(), tot.GetMutualRate())
	if tot.GetInspections() != 1 || tot.GetBegun() != 1 || tot.GetScanned() != 1 {
		t.Fatalf("inspections %d begun %d scanned %d, want 1 1 1", tot.GetInspections(), tot.GetBegun(), tot.GetScanned())
	}
	if tot.GetMutuallyVerified() != 0 || tot.GetMutualRate() != 0 {
		t.Errorf("mutually_verified %d (两码互核率 %.1f%%), want 0: no inspection was mutually verified; the one counted is the 走访调研 visit %s, which begun (the rate's denominator) leaves out",
			tot.GetMutuallyVerified(), tot.GetMutualRate()*100, survey.GetInspection().GetId())
	}
}

// 亮码率 = scanned / begun, where begun leaves out the inspections whose
// window starts after the report is read. A code is scanned valid up to the
// clock leeway (2 minutes) before its window: that scan counted in scanned
// while its inspection was not in begun, and two inspections, one begun and
// never scanned, one starting in under two minutes and scanned already, read
// 亮码率 100% (1 scanned ÷ 1 begun). An inspection scanned valid has begun:
// 1 ÷ 2.
func TestReport_ScanRate_ScanBeforeTheWindowCountsItAsBegun(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now().Truncate(time.Minute).Add(10 * time.Second)
	e := newEnvOn(t, st, "", func(c *service.Config) { c.Now = func() time.Time { return t0 } })
	r := e.registrar(t, "AG-01")
	ent := e.dir.GetEnterprises()[2]
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	register := func(uscc string, start time.Time, ref string) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		resp, err := ins.RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: ref, Reason: "个案"})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	var other *ruqiv1.Enterprise
	for _, x := range e.dir.GetEnterprises() {
		if x.GetRegionCode() == ent.GetRegionCode() && x.GetUscc() != ent.GetUscc() {
			other = x
			break
		}
	}
	register(other.GetUscc(), t0.Add(-10*time.Second), "JB-1")       // begun, never scanned
	soon := register(ent.GetUscc(), t0.Add(110*time.Second), "JB-2") // begins in under 2 minutes
	scan, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, ent.GetUscc())),
		&ruqiv1.ScanCodeRequest{Code: soon.GetCodes()[0].GetToken()})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scan 100 s before the window: %v", scan.GetVerdict())
	if scan.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("scan 100 s before the window: %v, want VALID (within the clock leeway)", scan.GetVerdict())
	}
	month := t0.In(domain.Shanghai).Format("2006-01")
	rep, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(e.admin), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: month, ToMonth: month, GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY, RegionCode: ent.GetRegionCode()})
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.GetTotals()
	t.Logf("inspections %d, begun %d, scanned %d, 亮码率 %.1f%%", tot.GetInspections(), tot.GetBegun(), tot.GetScanned(), tot.GetScanRate()*100)
	if tot.GetScanned() != 1 || tot.GetBegun() != 2 || tot.GetScanRate() != 0.5 {
		t.Errorf("亮码率 %.1f%% (%d scanned ÷ %d begun), want 50%% (1 ÷ 2): the inspection whose code was scanned valid a little before its window has begun",
			tot.GetScanRate()*100, tot.GetScanned(), tot.GetBegun())
	}
}
