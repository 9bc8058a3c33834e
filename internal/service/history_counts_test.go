package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The history's yearly count is of inspections (行政检查): a 走访调研 opens
// the door, a visit, and is no inspection. "今年被检查3次" counted one the page
// marks 非行政检查 (a newcomer's trial, 2026-12-06).
func TestHistory_VisitThatIsNoInspection_CountsAsAVisitOnly(t *testing.T) {
	a := newAnonEnv(t)
	uscc := a.dir.GetEnterprises()[1].GetUscc()
	start := lastMonth(5)         // on the service's clock, which the test sets: the year is its year
	a.closedVisit(t, uscc, start) // an inspection
	a.set(start.Add(2 * time.Hour))
	_, err := ruqiv1.NewInspectionServiceClient(a.cc).RegisterInspection(a.as(a.off.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, OfficerIds: a.off.officers[:1], VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY,
		WindowStart: timestamppb.New(start.Add(3 * time.Hour)), WindowEnd: timestamppb.New(start.Add(4 * time.Hour)), Reason: "了解企业用工需求"})
	if err != nil {
		t.Fatal(err)
	}
	a.set(lastMonth(10))
	h, err := ruqiv1.NewEnterpriseServiceClient(a.cc).ListInspections(a.as(a.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)), &ruqiv1.ListInspectionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(h.GetInspections()) != 2 || h.GetThisYear() != 1 || h.GetVisitsThisYear() != 2 {
		t.Errorf("one inspection and one 走访调研: %d listed, this year %d inspections and %d visits; want 2 listed, 1 and 2",
			len(h.GetInspections()), h.GetThisYear(), h.GetVisitsThisYear())
	}
}
