package service_test

import (
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 走访调研 visit (not an inspection) whose window passed without a scan
// may be evaluated (domain.MayEvaluate: "its window over"), and may still be
// cancelled afterwards (inspection.Cancel: nothing "happened": no check-in,
// no arrival, no result). The cancellation takes back the entry count but
// not the evaluation: the report then averages an evaluation of a visit it
// counts as cancelled, and the agency's figures keep it for good.
// A visit that is not an inspection, evaluated once its window was over,
// could then be cancelled: the report took the visit out and kept its
// evaluation (an operator's trial of the reports, 2026-12-05). An evaluated
// visit took place, as the enterprise says, and is not cancelled.
func TestCancel_EvaluatedVisit_Refused(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	t0 := *clock.Load()
	r := e.registrar(t, "AG-01")
	reg, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY, EnterpriseUscc: regionE1, OfficerIds: r.officers[:1],
		WindowStart: timestamppb.New(t0.Add(time.Hour)), WindowEnd: timestamppb.New(t0.Add(2 * time.Hour)), Reason: "了解企业用工需求"})
	if err != nil {
		t.Fatal(err)
	}
	id := reg.GetInspection().GetId()
	later := t0.Add(3 * time.Hour)
	clock.Store(&later)
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, regionE1)
	if _, err := ruqiv1.NewEnterpriseServiceClient(e.cc).EvaluateInspection(e.as(ent), &ruqiv1.EvaluateInspectionRequest{
		InspectionId: id, CertificateShown: true, RightsExplained: true, ConductedProperly: true, Overall: 5}); err != nil {
		t.Fatalf("evaluating the visit whose window is over: %v", err)
	}
	_, err = ruqiv1.NewInspectionServiceClient(e.cc).CancelInspection(e.as(r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "未成行"})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "INSPECTION_HAPPENED" {
		t.Errorf("cancelling the evaluated visit: %v, want FAILED_PRECONDITION INSPECTION_HAPPENED", err)
	}
	m := t0.Format("2006-01")
	if lm := later.Format("2006-01"); lm > m {
		m = lm
	}
	rep, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(e.admin), &ruqiv1.GetFrequencyReportRequest{FromMonth: t0.Format("2006-01"), ToMonth: m})
	if err != nil {
		t.Fatal(err)
	}
	var entries int64
	for _, k := range rep.GetTotals().GetVisitsByKind() {
		if k.GetVisitKind() == ruqiv1.VisitKind_VISIT_KIND_SURVEY {
			entries = k.GetCount()
		}
	}
	var evals int64
	for _, a := range rep.GetEvaluations() {
		evals += a.GetEvaluations()
	}
	if entries != 1 || evals != 1 {
		t.Errorf("the report counts %d survey visits and %d evaluations; want the visit and its evaluation, 1 and 1", entries, evals)
	}
}
