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
// could be evaluated, and then not cancelled (an operator's trial of the
// reports, 2026-12-05, found the report keeping the evaluation of a visit
// it had taken out); that refusal told the agency who had evaluated (a
// privacy and access trial, 2026-12-06). Now a visit is evaluated only once
// checked in, so an unscanned one is cancelled with nothing to keep, and
// the report counts neither.
func TestCancel_UnscannedVisit_NotEvaluated_Cancelled(t *testing.T) {
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
	_, err = ruqiv1.NewEnterpriseServiceClient(e.cc).EvaluateInspection(e.as(ent), &ruqiv1.EvaluateInspectionRequest{
		InspectionId: id, CertificateShown: true, RightsExplained: true, ConductedProperly: true, Overall: 5})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "VISIT_NOT_HELD" {
		t.Fatalf("evaluating the visit never scanned: %v, want FAILED_PRECONDITION VISIT_NOT_HELD", err)
	}
	if _, err := ruqiv1.NewInspectionServiceClient(e.cc).CancelInspection(e.as(r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "未成行"}); err != nil {
		t.Errorf("cancelling the visit that did not take place: %v", err)
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
	if entries != 0 || evals != 0 {
		t.Errorf("the report counts %d survey visits and %d evaluations; want neither", entries, evals)
	}
}
