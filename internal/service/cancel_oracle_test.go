package service_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A privacy trial, 2026-12-06, fixed since. Evaluations are 不可见、不可溯 towards the agency.
// A visit that is not an inspection (走访调研) may be evaluated once its
// window is over, scanned or not; inspection.Cancel then refuses to cancel
// it as INSPECTION_HAPPENED, because it was evaluated. Everything else that
// makes a visit "happened" (a check-in, an arrival, a result) the agency
// reads itself (GetInspection, its own arrivals), so CancelInspection's
// answer tells the agency whether that one enterprise evaluated its visit.
func TestCancel_VisitAnswersAlikeWhetherEvaluatedOrNot(t *testing.T) {
	a := newAnonEnv(t)
	ents := a.dir.GetEnterprises()
	ins := ruqiv1.NewInspectionServiceClient(a.cc)
	start := lastMonth(5)
	visit := func(uscc string) string {
		t.Helper()
		a.set(start.Add(-time.Hour))
		reg, err := ins.RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, OfficerIds: a.off.officers[:1], VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY,
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)), Reason: "了解企业用工需求"})
		if err != nil {
			t.Fatal(err)
		}
		return reg.GetInspection().GetId()
	}
	evaluated, silent := ents[0].GetUscc(), ents[1].GetUscc()
	idEvaluated, idSilent := visit(evaluated), visit(silent)

	a.set(start.Add(2 * time.Hour)) // the window is over; neither was scanned
	// Fixed by evaluating a visit only once checked in (domain.MayEvaluate):
	// this one cannot be evaluated, so nothing is left to tell.
	if err := a.evaluate(t, evaluated, idEvaluated, false, 1); status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "VISIT_NOT_HELD" {
		t.Fatalf("evaluating a visit never scanned: %v, want FAILED_PRECONDITION VISIT_NOT_HELD", err)
	}

	// The agency, as it sees both visits: same state, no check-in, no result.
	for _, id := range []string{idEvaluated, idSilent} {
		g, err := ins.GetInspection(a.as(a.admin), &ruqiv1.GetInspectionRequest{InspectionId: id})
		if err != nil {
			t.Fatal(err)
		}
		if g.GetInspection().GetFirstCheckedInAt() != nil || g.GetInspection().GetResult() != nil {
			t.Fatalf("visit %s: the agency sees a check-in or result: %v", id, g.GetInspection())
		}
	}
	cancel := func(id string) error {
		_, err := ins.CancelInspection(a.as(a.admin), &ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "走访取消"})
		return err
	}
	errE, errS := cancel(idEvaluated), cancel(idSilent)
	if status.Code(errE) != status.Code(errS) || errE != nil {
		t.Errorf("the agency tells the visit %s evaluated the agency (%v: %v) from %s that did not (%v): CancelInspection is an oracle for who evaluated",
			evaluated, status.Code(errE), status.Convert(errE).Message(), silent, status.Code(errS))
	}
}
