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

// Found by a review of the no-finding streak hold (2026-12-06): the
// registration that gave the reason released the hold for good, and
// cancelling it (撤销: the check never took place) did not give the hold
// back, so the officers' next check, the one that took place, went through
// without a reason on its record. A cancellation gives back the hold it
// released, as it gives back a draw's pick, and only to the officers it
// released (another officer of the cancelled plan was never held).
func TestNoFindingStreak_CancelGivesTheHoldBack(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(time.Minute)
	for i := range 3 {
		a.closedVisit(t, uscc, start.Add(time.Duration(i)*3*time.Hour))
	}
	if len(a.off.officers) < 3 {
		t.Fatal("AG-01 has fewer than three officers in the sample")
	}
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	held, other := a.off.officers[:2], a.off.officers[2]
	next := start.Add(10 * time.Hour)
	register := func(officers []string, from time.Time, streakReason string) (*ruqiv1.RegisterInspectionResponse, error) {
		return ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: a.off.items[:1], OfficerIds: officers,
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: "JB-next", Reason: "投诉举报",
			StreakReason: streakReason})
	}
	resp, err := register(append(append([]string{}, held...), other), next, "新收到投诉举报")
	if err != nil {
		t.Fatalf("with a reason: %v", err)
	}
	if _, err := ins.CancelInspection(a.as(a.off.tok), &ruqiv1.CancelInspectionRequest{InspectionId: resp.GetInspection().GetId(), Reason: "投诉人撤回"}); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if _, err := register(held, next.Add(2*time.Hour), ""); reasonOf(err) != "NO_FINDING_STREAK" {
		t.Fatalf("the officers' next check after the one with the reason was cancelled: %v, want NO_FINDING_STREAK", err)
	}
	if _, err := register([]string{other, a.off.officers[3]}, next.Add(4*time.Hour), ""); err != nil {
		t.Fatalf("an officer of the cancelled plan who was never held: %v, want registered", err)
	}
	// Given again, the reason releases the hold again.
	if _, err := register(held, next.Add(6*time.Hour), "投诉人再次投诉"); err != nil {
		t.Fatalf("with a reason again: %v", err)
	}
	if _, err := register(held, next.Add(8*time.Hour), ""); err != nil {
		t.Fatalf("the check after it: %v", err)
	}
}
