package service_test

import (
	"testing"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An officer fetching the codes of a plan merged into a joint visit learns
// the visit's common time: the codes hold for the agency's own window, and
// only GetInspection said when the visit is (an officer's trial,
// 2026-12-07). A plan alone has no visit.
func TestGetInspectionCodes_JointVisit_NamesItsCommonTime(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	from := t0.Add(48 * time.Hour)
	first := e.registrar(t, "AG-01")
	alone := routineCheck(t, e, first, uscc, from.Add(96*time.Hour), 2*time.Hour)
	id := routineCheck(t, e, first, uscc, from, 4*time.Hour)
	routineCheck(t, e, e.registrar(t, "AG-02"), uscc, from.Add(time.Hour), 4*time.Hour)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	got, err := ins.GetInspectionCodes(e.as(first.tok), &ruqiv1.GetInspectionCodesRequest{InspectionId: id})
	if err != nil {
		t.Fatal(err)
	}
	j := got.GetJointInspection()
	if j == nil || !j.GetCommonStart().AsTime().Equal(from.Add(time.Hour)) || !j.GetCommonEnd().AsTime().Equal(from.Add(4*time.Hour)) {
		t.Errorf("codes of a merged plan: joint %v, want the visit's common time %v to %v", j, from.Add(time.Hour), from.Add(4*time.Hour))
	}
	got, err = ins.GetInspectionCodes(e.as(first.tok), &ruqiv1.GetInspectionCodesRequest{InspectionId: alone})
	if err != nil || got.GetJointInspection() != nil {
		t.Errorf("codes of a plan alone: joint %v, %v; want none", got.GetJointInspection(), err)
	}
}

// officer show names the agency, the enterprise and the joint visit's lead
// agency, where it printed 执法部门 AG-01 and a bare USCC (an officer's
// trial of the CLI, 2026-12-07).
func TestGetInspection_NamesItsIDs(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	ent := e.dir.GetEnterprises()[1]
	from := t0.Add(48 * time.Hour)
	first := e.registrar(t, "AG-01")
	id := routineCheck(t, e, first, ent.GetUscc(), from, 4*time.Hour)
	routineCheck(t, e, e.registrar(t, "AG-02"), ent.GetUscc(), from, 4*time.Hour)
	got, err := ruqiv1.NewInspectionServiceClient(e.cc).GetInspection(e.as(first.tok), &ruqiv1.GetInspectionRequest{InspectionId: id})
	if err != nil {
		t.Fatal(err)
	}
	var ag01 string
	for _, a := range e.dir.GetAgencies() {
		if a.GetId() == "AG-01" {
			ag01 = a.GetName()
		}
	}
	if got.GetAgencyName() != ag01 || got.GetEnterpriseName() != ent.GetName() || got.GetJointInspection() == nil || got.GetLeadAgencyName() == "" {
		t.Errorf("names: agency %q (want %q), enterprise %q (want %q), lead %q", got.GetAgencyName(), ag01, got.GetEnterpriseName(), ent.GetName(), got.GetLeadAgencyName())
	}
}
