package service_test

import (
	"crypto/sha256"
	"encoding/base32"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// suffixOf is the id suffix a registration with request id rid of agency
// gets (service.inspectionIDFor), to order two plans' ids in a test.
func suffixOf(agency, rid string) string {
	sum := sha256.Sum256([]byte("ruqi.request.v1\x00" + agency + "\x00" + rid))
	return base32.StdEncoding.EncodeToString(sum[:5])
}

// TestUpcoming_JointVisit_NamedByItsLeadPlan: AG-01's routine check holds a
// visit, AG-02's 个案 joins it. Once the 个案 begins (个案 are not announced
// ahead), 检查预告 lists the visit once, under the lead's plan: its id, its
// type. It was listed as a 个案检查 under the 个案's id when that id sorted
// before the lead's (a walk through a joint visit, 2026-12-07), where the
// verify page and the history call the visit by the lead's plan.
func TestUpcoming_JointVisit_NamedByItsLeadPlan(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	base := t0.Add(time.Hour)
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	a1, a2 := e.registrar(t, "AG-01"), e.registrar(t, "AG-02")
	// Request ids under which the 个案's id sorts before the routine check's.
	var routineRID, caseRID string
	for i := 0; routineRID == ""; i++ {
		r, c := fmt.Sprintf("routine-%d", i), fmt.Sprintf("case-%d", i)
		if suffixOf("AG-02", c) < suffixOf("AG-01", r) {
			routineRID, caseRID = r, c
		}
	}
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	routine, err := ins.RegisterInspection(e.as(a1.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2], RequestId: routineRID,
		WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	if err != nil {
		t.Fatal(err)
	}
	caseCheck, err := ins.RegisterInspection(e.as(a2.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a2.items[:1], OfficerIds: a2.officers[:2], RequestId: caseRID,
		WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-2026-0001", Reason: "投诉举报核查"})
	if err != nil {
		t.Fatal(err)
	}
	routineID, caseID := routine.GetInspection().GetId(), caseCheck.GetInspection().GetId()
	if caseCheck.GetJointInspection().GetLeadAgencyId() != "AG-01" || caseID >= routineID {
		t.Fatalf("setup: joint %v, ids %s %s; want the 个案 joining AG-01's visit, its id first", caseCheck.GetJointInspection(), caseID, routineID)
	}
	begun := base.Add(time.Minute)
	clock.Store(&begun)
	up, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ListUpcomingVisits(e.as(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)), &ruqiv1.ListUpcomingVisitsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(up.GetVisits()) != 1 {
		t.Fatalf("upcoming: %v; want the joint visit once", up.GetVisits())
	}
	v := up.GetVisits()[0]
	if v.GetInspectionId() != routineID || v.GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE || len(v.GetInspectionIds()) != 2 ||
		!v.GetNoticedFrom().AsTime().Equal(base.AddDate(0, 0, -3)) {
		t.Errorf("the joint visit listed as %s (%v), plans %v, announced from %v; want the lead's plan %s (routine), both plans, from the routine check's notice",
			v.GetInspectionId(), v.GetType(), v.GetInspectionIds(), v.GetNoticedFrom().AsTime(), routineID)
	}
}
