package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a review of the no-finding streak hold (2026-12-06): the hold is
// 成都's on the officer's next check (行政检查), but streakHeld held every
// registration naming the officer, a 走访调研 or 服务 visit too, which has no
// check items and no result. Such a visit was refused NO_FINDING_STREAK, and
// the reason it then gave released the hold: the officer's next inspection
// of the enterprise went through without a word. A visit that is not an
// inspection is neither held nor releases the hold.
func TestNoFindingStreak_VisitThatIsNoInspectionLeavesTheHold(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	for i := range 3 {
		a.closedVisit(t, uscc, start.Add(time.Duration(i)*3*time.Hour))
	}
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	held := a.off.officers[:2]
	next := start.Add(10 * time.Hour)
	survey := func(from time.Time, streakReason string) error {
		_, err := ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, OfficerIds: held, VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY,
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(time.Hour)), Reason: "了解企业用工需求",
			StreakReason: streakReason})
		return err
	}
	if err := survey(next, ""); err != nil {
		t.Fatalf("a survey visit (走访调研) by the officers is no check: %v, want it registered", err)
	}
	// Given a reason anyway (a client that always sends it), the visit
	// still does not release the hold on the next inspection.
	if err := survey(next.Add(2*time.Hour), "顺便了解情况"); err != nil {
		t.Fatalf("a survey visit with a reason: %v", err)
	}
	_, err := ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: held,
		WindowStart: timestamppb.New(next.Add(4 * time.Hour)), WindowEnd: timestamppb.New(next.Add(5 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-next", Reason: "投诉举报"})
	if reasonOf(err) != "NO_FINDING_STREAK" {
		t.Fatalf("the officers' next inspection after the visits: %v, want still NO_FINDING_STREAK", err)
	}
}
