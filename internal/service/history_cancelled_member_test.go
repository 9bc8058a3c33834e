package service_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// TestHistory_CancelledMemberOfJointVisit_IsShownAsItself: AG-01, AG-02 and
// AG-03 plan one joint visit; AG-01 (the lead) cancels. In the enterprise's
// history, and when its code is scanned, the cancelled plan is AG-01's, with
// its own item, officers and id: it was shown as the visit that goes on, AG-02's
// and AG-03's agencies, officers, items and plans (a walk through a joint
// visit, 2026-12-07), so the enterprise read that the agencies still coming
// had withdrawn, a cancelled code named officers other than the one showing
// it, and AG-01's withdrawal was nowhere.
func TestHistory_CancelledMemberOfJointVisit_IsShownAsItself(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	base := t0.Add(2 * time.Hour)
	var ids []string
	var leadCode string
	regs := map[string]*registrar{}
	for _, ag := range []string{"AG-01", "AG-02", "AG-03"} {
		reg := e.registrar(t, ag)
		regs[ag] = reg
		resp, err := ins.RegisterInspection(e.as(reg.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: reg.items[:1], OfficerIds: reg.officers[:2],
			WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, resp.GetInspection().GetId())
		if leadCode == "" {
			leadCode = resp.GetCodes()[0].GetToken()
		}
	}
	if _, err := ins.CancelInspection(e.as(regs["AG-01"].tok), &ruqiv1.CancelInspectionRequest{InspectionId: ids[0], Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	ent := e.as(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc))
	// AG-01's code shown at the door after all: it named AG-02's and AG-03's
	// officers and items, and not the officer showing it.
	scan, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(ent, &ruqiv1.ScanCodeRequest{Code: leadCode})
	if err != nil {
		t.Fatal(err)
	}
	var officers []string
	for _, o := range scan.GetInspection().GetOfficers() {
		officers = append(officers, o.GetOfficerId())
	}
	if scan.GetVerdict() != ruqiv1.Verdict_VERDICT_CANCELLED || len(scan.GetInspection().GetAgencies()) != 1 ||
		scan.GetInspection().GetAgencies()[0].GetId() != "AG-01" || len(officers) != 2 || officers[0] != regs["AG-01"].officers[0] {
		t.Errorf("the cancelled lead's code scanned: %v, agencies %d, officers %v; want 已撤销, AG-01 and its officers %v",
			scan.GetVerdict(), len(scan.GetInspection().GetAgencies()), officers, regs["AG-01"].officers[:2])
	}
	hist, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ListInspections(ent, &ruqiv1.ListInspectionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var cancelled, standing *ruqiv1.InspectionView
	for _, v := range hist.GetInspections() {
		switch v.GetInspectionId() {
		case ids[0]:
			cancelled = v
		case ids[1]:
			standing = v
		}
	}
	if cancelled == nil || standing == nil {
		t.Fatalf("history %v: want the cancelled plan and the standing ones", hist)
	}
	var agencies []string
	for _, a := range cancelled.GetAgencies() {
		agencies = append(agencies, a.GetId())
	}
	var items []string
	for _, it := range cancelled.GetCheckItems() {
		items = append(items, it.GetCheckItemId())
	}
	if len(agencies) != 1 || agencies[0] != "AG-01" || cancelled.GetLeadAgencyId() != "AG-01" ||
		len(cancelled.GetInspectionIds()) != 1 || cancelled.GetInspectionIds()[0] != ids[0] ||
		len(items) != 1 || items[0] != regs["AG-01"].items[0] || cancelled.GetJointInspectionId() != "" {
		t.Errorf("the cancelled lead's plan: agencies %v lead %s plans %v items %v joint %q; want AG-01's own plan alone (%s, %s), no joint",
			agencies, cancelled.GetLeadAgencyId(), cancelled.GetInspectionIds(), items, cancelled.GetJointInspectionId(), ids[0], regs["AG-01"].items[0])
	}
	if standing.GetLeadAgencyId() != "AG-02" || len(standing.GetInspectionIds()) != 2 || len(standing.GetAgencies()) != 2 {
		t.Errorf("the visit as it stands: lead %s plans %v agencies %d; want AG-02 leading AG-02's and AG-03's plans",
			standing.GetLeadAgencyId(), standing.GetInspectionIds(), len(standing.GetAgencies()))
	}
	if hist.GetThisYear() != 2 || hist.GetVisitsThisYear() != 1 {
		t.Errorf("counts: %d inspections, %d visits; want 2 and 1", hist.GetThisYear(), hist.GetVisitsThisYear())
	}
}

// TestGetInspection_CancelledMember_JointAsItStands: `officer show` of a plan
// cancelled out of a joint visit reads the visit as it stands. With two
// plans, the visit ends when one leaves, and its record was answered as it
// was: both plans, the cancelled one among them, and the common time with
// its window (a walk through a joint visit, 2026-12-07: 该联合检查继续进行 to
// the agency that left a visit that no longer was). With three, the two
// that stay.
func TestGetInspection_CancelledMember_JointAsItStands(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	base := clock.Load().Add(2 * time.Hour)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	register := func(reg *registrar, uscc string) string {
		t.Helper()
		resp, err := ins.RegisterInspection(e.as(reg.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: reg.items[:1], OfficerIds: reg.officers[:2],
			WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetInspection().GetId()
	}
	a1, a2, a3 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02"), e.registrar(t, "AG-03")

	two := e.dir.GetEnterprises()[1].GetUscc()
	stays, leaves := register(a1, two), register(a2, two)
	if _, err := ins.CancelInspection(e.as(a2.tok), &ruqiv1.CancelInspectionRequest{InspectionId: leaves, Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	got, err := ins.GetInspection(e.as(a2.tok), &ruqiv1.GetInspectionRequest{InspectionId: leaves})
	if err != nil {
		t.Fatal(err)
	}
	if j := got.GetJointInspection(); j != nil {
		t.Errorf("the cancelled plan of a visit that ended: joint %s of %v, lead %s; want none", j.GetId(), j.GetInspectionIds(), j.GetLeadAgencyId())
	}
	alone, err := ins.GetInspection(e.as(a1.tok), &ruqiv1.GetInspectionRequest{InspectionId: stays})
	if err != nil || alone.GetJointInspection() != nil || alone.GetInspection().GetJointInspectionId() != "" {
		t.Errorf("the plan left alone: %v, joint %v; want alone", err, alone.GetJointInspection())
	}

	three := ""
	for _, ent := range e.dir.GetEnterprises() {
		if ent.GetRegionCode() == "510104" && ent.GetUscc() != two && ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			three = ent.GetUscc() // in AG-03's territory
			break
		}
	}
	lead := register(a1, three)
	register(a2, three)
	register(a3, three)
	if _, err := ins.CancelInspection(e.as(a1.tok), &ruqiv1.CancelInspectionRequest{InspectionId: lead, Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	got, err = ins.GetInspection(e.as(a1.tok), &ruqiv1.GetInspectionRequest{InspectionId: lead})
	if err != nil {
		t.Fatal(err)
	}
	if j := got.GetJointInspection(); j == nil || len(j.GetInspectionIds()) != 2 || slices.Contains(j.GetInspectionIds(), lead) || j.GetLeadAgencyId() != "AG-02" {
		t.Errorf("the cancelled lead of a visit that goes on: joint %v; want the two plans that stay, led by AG-02", j)
	}
}

// TestRecordResult_NamesTheJointVisit: the answer to a result of a plan in a
// joint visit names the visit, as registering, showing and cancelling do;
// `officer result` printed the plan without its 联合检查 (a walk through a
// joint visit, 2026-12-07).
func TestRecordResult_NamesTheJointVisit(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	base := *clock.Load()
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	var first, last *ruqiv1.RegisterInspectionResponse
	a1 := e.registrar(t, "AG-01")
	for _, reg := range []*registrar{a1, e.registrar(t, "AG-02")} {
		var err error
		last, err = ins.RegisterInspection(e.as(reg.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: reg.items[:1], OfficerIds: reg.officers[:2],
			WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = last
		}
	}
	joint := last.GetJointInspection().GetId()
	if joint == "" {
		t.Fatal("no joint visit")
	}
	res, err := ins.RecordResult(e.as(a1.tok), &ruqiv1.RecordResultRequest{InspectionId: first.GetInspection().GetId(), Items: []*ruqiv1.ItemResult{
		{CheckItemId: a1.items[0], Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM}}, Close: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.GetInspection().GetJointInspectionId(); got != joint {
		t.Errorf("the result's answer names joint %q; want %s", got, joint)
	}
}
