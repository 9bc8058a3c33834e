package service_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Plans, draws and accompaniment: what a read-only review (2026-12-03)
// found, each test failing before its fix, and what it found sound.

func specialPlanReq(items []string, t0 time.Time) *ruqiv1.FilePlanRequest {
	return &ruqiv1.FilePlanRequest{Title: "餐饮专项", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{regionE1}}, CheckItemIds: items[:1], Reason: "专项整治",
		PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0))}
}

// SECURITY.md: only the head approves, "so approval cannot be given by
// whoever filed the plan". Heads are one identity per agency, so a head who
// could file could approve their own plan (the review found it) or leave it
// for no one: a head now neither files nor amends.
func TestPlan_HeadNeitherFilesNorAmends(t *testing.T) {
	e := regionEnv(t)
	r := e.registrar(t, "AG-01")
	head := e.token(t, ruqiv1.Role_ROLE_AGENCY_HEAD, "AG-01")
	plans := ruqiv1.NewPlanServiceClient(e.cc)
	if _, err := plans.FilePlan(e.as(head), specialPlanReq(r.items, time.Now().Add(24*time.Hour))); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("a head filing: %v, want PermissionDenied", err)
	}
	filed, err := plans.FilePlan(e.as(r.tok), specialPlanReq(r.items, time.Now().Add(24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.AmendPlan(e.as(head), &ruqiv1.AmendPlanRequest{PlanId: filed.GetPlan().GetId(), Title: "改", Reason: "修订"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("a head amending: %v, want PermissionDenied", err)
	}
	if _, err := plans.ApprovePlan(e.as(head), &ruqiv1.ApprovePlanRequest{PlanId: filed.GetPlan().GetId(), Version: 1}); err != nil {
		t.Fatalf("the head approving an officer's plan: %v", err)
	}
}

// The refusal to another agency's head names neither agency (it used to
// name the plan's as "本部门").
func TestPlan_ForeignHeadRefused_PlanAgencyNotNamed(t *testing.T) {
	e := regionEnv(t)
	r := e.registrar(t, "AG-01")
	plans := ruqiv1.NewPlanServiceClient(e.cc)
	filed, err := plans.FilePlan(e.as(r.tok), specialPlanReq(r.items, time.Now().Add(24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = plans.ApprovePlan(e.as(e.token(t, ruqiv1.Role_ROLE_AGENCY_HEAD, "AG-02")), &ruqiv1.ApprovePlanRequest{PlanId: filed.GetPlan().GetId(), Version: 1})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("AG-02's head approving AG-01's plan: %v", err)
	}
	if msg := status.Convert(err).Message(); strings.Contains(msg, "AG-01") {
		t.Fatalf("AG-02's head is told about AG-01: %q", msg)
	}
}

// A draw picks k enterprises for one 双随机 inspection each: a second
// registration of the same picked enterprise under the same draw is refused
// while the first stands (nothing stopped it before).
func TestDraw_OneInspectionPerPick(t *testing.T) {
	f := newDoorFixture(t)
	d, reg := f.revealedDraw(t, "DRW-20261203-REVIEW01")
	first, err := reg(f.t0.Add(24*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	second, err := reg(f.t0.Add(10*24*time.Hour), "")
	if err == nil {
		t.Fatalf("draw %s (1 pick) used for two inspections of %s: %s and %s", d.GetId(), regionE1,
			first.GetInspection().GetId(), second.GetInspection().GetId())
	}
}

// No accompaniment is recorded on an inspection the agency cancelled (never
// visited): its 否 used to open a lead against the agency.
func TestAccompaniment_NoRecordOfACancelledInspection(t *testing.T) {
	f := newDoorFixture(t)
	reg := f.register(t, regionE1, f.t0.Add(time.Hour), f.t0.Add(3*time.Hour), f.r.officers[:2])
	id := reg.GetInspection().GetId()
	sup := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	sv := ruqiv1.NewSupervisionServiceClient(f.e.cc)
	if _, err := sv.AttachSupervisor(f.e.as(sup), &ruqiv1.AttachSupervisorRequest{InspectionId: id, SupervisorName: "王监督"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ruqiv1.NewInspectionServiceClient(f.e.cc).CancelInspection(f.e.as(f.r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "企业停业"}); err != nil {
		t.Fatal(err)
	}
	no := ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NO
	rec, err := sv.RecordAccompaniment(f.e.as(sup), &ruqiv1.RecordAccompanimentRequest{InspectionId: id, SupervisorName: "王监督",
		CertificateShown: no, RightsExplained: no, SamplingProper: no, ConductCivil: no, Notes: "未亮证"})
	if err == nil {
		t.Fatalf("accompaniment recorded on cancelled inspection %s; lead %s opened against %s", id, rec.GetLead().GetId(), rec.GetLead().GetAgencyId())
	}
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("record on a cancelled inspection: %v; want FailedPrecondition", err)
	}
}

// ARCHITECTURE: a supervisor "attaches to a registered inspection that has
// not ended". A day after the window closed (no result recorded) the
// supervisor used to attach still, and the scan listed them as 伴随监督人员.
func TestAccompaniment_NoAttachAfterTheWindow(t *testing.T) {
	f := newDoorFixture(t)
	reg := f.register(t, regionE1, f.t0.Add(time.Hour), f.t0.Add(3*time.Hour), f.r.officers[:2])
	f.at(27 * time.Hour)
	sup := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	_, err := ruqiv1.NewSupervisionServiceClient(f.e.cc).AttachSupervisor(f.e.as(sup), &ruqiv1.AttachSupervisorRequest{InspectionId: reg.GetInspection().GetId(), SupervisorName: "王监督"})
	if err == nil {
		t.Fatalf("supervisor attached to %s a day after its window (%s) ended", reg.GetInspection().GetId(), reg.GetInspection().GetWindowEnd().AsTime())
	}
}

// A 双随机 inspection that took place (late record) two days before the draw
// that "picked" it was committed is not that draw's (it was accepted).
func TestDraw_LateRecordBeforeTheDraw_Refused(t *testing.T) {
	f := newDoorFixture(t)
	d, register := f.revealedDraw(t, "DRW-20261203-REVIEW02")
	start := f.t0.Add(-48 * time.Hour)
	reg, err := register(start, "系统故障")
	if err == nil {
		t.Fatalf("inspection %s of %s (window from %s) registered under draw %s committed and revealed at %s",
			reg.GetInspection().GetId(), regionE1, start, d.GetId(), f.t0)
	}
	t.Logf("refused: %v", err)
}

// A 专项 inspection that took place (late record) before the head approved
// the plan does not carry out the approved plan, though the period was
// filed reaching back (it was accepted: nothing compared the window with
// the approval).
func TestPlan_LateRecordBeforeApproval_Refused(t *testing.T) {
	f := newDoorFixture(t)
	plans := ruqiv1.NewPlanServiceClient(f.e.cc)
	filed, err := plans.FilePlan(f.e.as(f.r.tok), specialPlanReq(f.r.items, f.t0.AddDate(0, 0, -5)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plans.ApprovePlan(f.e.as(f.e.token(t, ruqiv1.Role_ROLE_AGENCY_HEAD, "AG-01")), &ruqiv1.ApprovePlanRequest{PlanId: filed.GetPlan().GetId(), Version: 1}); err != nil {
		t.Fatal(err)
	}
	start := f.t0.Add(-48 * time.Hour)
	reg, err := ruqiv1.NewInspectionServiceClient(f.e.cc).RegisterInspection(f.e.as(f.r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: regionE1, CheckItemIds: f.r.items[:1], OfficerIds: f.r.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, Reason: "专项", PlanId: filed.GetPlan().GetId(), LateReason: "系统故障"})
	if err == nil {
		t.Fatalf("inspection %s (window from %s) registered under plan %s v%d approved at %s", reg.GetInspection().GetId(), start,
			filed.GetPlan().GetId(), reg.GetInspection().GetPlanVersion(), f.t0)
	}
	t.Logf("refused: %v", err)
}

// The rules the review found holding.
func TestPlansDrawsAccompaniment_RulesThatHold(t *testing.T) {
	f := newDoorFixture(t)
	const e2 = "915101070AL6JK1YWK"
	plans := ruqiv1.NewPlanServiceClient(f.e.cc)
	head := f.e.token(t, ruqiv1.Role_ROLE_AGENCY_HEAD, "AG-01")
	filed, err := plans.FilePlan(f.e.as(f.r.tok), specialPlanReq(f.r.items, f.t0.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	id := filed.GetPlan().GetId()
	if _, err := plans.PublishPlan(f.e.as(f.r.tok), &ruqiv1.PublishPlanRequest{PlanId: id}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("publish unapproved: %v", err)
	}
	if _, err := plans.ApprovePlan(f.e.as(head), &ruqiv1.ApprovePlanRequest{PlanId: id, Version: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := plans.PublishPlan(f.e.as(f.r.tok), &ruqiv1.PublishPlanRequest{PlanId: id}); err != nil {
		t.Fatal(err)
	}
	am, err := plans.AmendPlan(f.e.as(f.r.tok), &ruqiv1.AmendPlanRequest{PlanId: id, Reason: "扩大范围", Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{regionE1, e2}}})
	if err != nil {
		t.Fatal(err)
	}
	// Publishing now publishes nothing: version 1 is published already,
	// version 2 waits for approval.
	if pub, err := plans.PublishPlan(f.e.as(f.r.tok), &ruqiv1.PublishPlanRequest{PlanId: id}); err != nil || !pub.GetAlreadyPublished() ||
		domain.Newest(pub.GetPlan()).GetState() != ruqiv1.PlanState_PLAN_STATE_FILED {
		t.Fatalf("publish with the amendment unapproved: %v, %v; want version 1 already published, version 2 still filed", pub, err)
	}
	ins := ruqiv1.NewInspectionServiceClient(f.e.cc)
	special := func(tok, uscc string, start time.Time) error {
		_, err := ins.RegisterInspection(f.e.as(tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: f.r.items[:1], OfficerIds: f.r.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, Reason: "专项", PlanId: id})
		return err
	}
	if err := special(f.r.tok, e2, f.t0.Add(2*time.Hour)); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("enterprise only in the pending amendment: %v", err)
	}
	if err := special(f.r.tok, regionE1, f.t0.AddDate(0, 2, 0)); status.Code(err) == codes.OK {
		t.Fatalf("outside period: %v", err)
	}
	r2 := f.e.registrar(t, "AG-02")
	if err := special(r2.tok, regionE1, f.t0.Add(2*time.Hour)); status.Code(err) == codes.OK {
		t.Fatalf("other agency: %v", err)
	} else {
		t.Logf("other agency's plan: %v", err)
	}
	pl := am.GetPlan()
	if v := pl.GetVersions()[0]; v.GetState() != ruqiv1.PlanState_PLAN_STATE_PUBLISHED || len(v.GetScope().GetEnterpriseUsccs()) != 1 {
		t.Fatalf("published v1 changed: %v", v)
	}
	if _, err := plans.ApprovePlan(f.e.as(head), &ruqiv1.ApprovePlanRequest{PlanId: id, Version: 1}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("approve stale version: %v", err)
	}
	// Accompaniment: other region, agency write.
	reg := f.register(t, regionE1, f.t0.Add(time.Hour), f.t0.Add(3*time.Hour), f.r.officers[:2])
	sv := ruqiv1.NewSupervisionServiceClient(f.e.cc)
	if _, err := sv.AttachSupervisor(f.e.as(f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510107")), &ruqiv1.AttachSupervisorRequest{InspectionId: reg.GetInspection().GetId(), SupervisorName: "李"}); reasonOf(err) != "INSPECTION_UNKNOWN" {
		// Answered as an unknown id: "not in your region" told that it exists.
		t.Fatalf("other region attach: %v", err)
	} else {
		t.Logf("other region: %v", err)
	}
	if _, err := sv.RecordAccompaniment(f.e.as(f.r.tok), &ruqiv1.RecordAccompanimentRequest{InspectionId: reg.GetInspection().GetId(), SupervisorName: "李"}); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("agency record: %v", err)
	}
}

// Registering under another agency's (unpublished) plan: the refusal does
// not name the plan's agency (it did).
func TestPlan_OtherAgencysPlan_NotNamed(t *testing.T) {
	e := regionEnv(t)
	r := e.registrar(t, "AG-01")
	filed, err := ruqiv1.NewPlanServiceClient(e.cc).FilePlan(e.as(r.tok), specialPlanReq(r.items, time.Now().Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	r2 := e.registrar(t, "AG-02")
	start := time.Now().Add(2 * time.Hour)
	_, err = ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(r2.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: regionE1, CheckItemIds: r2.items[:1], OfficerIds: r2.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, Reason: "专项", PlanId: filed.GetPlan().GetId()})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("other agency's plan: %v", err)
	}
	if msg := status.Convert(err).Message(); strings.Contains(msg, "AG-01") {
		t.Fatalf("AG-02's officer is told the owner of an unpublished plan: %q", msg)
	}
}

// An inspection registered before draw_use existed (no counter, no mark)
// and then cancelled gives back nothing: it used to drive the counter to
// -1, after which the pick could be used twice. (Found by a read-only
// review, 2026-12-03.)
func TestDraw_CancelOfAnUncountedInspection_GivesNothingBack(t *testing.T) {
	f := newDoorFixture(t)
	d, reg := f.revealedDraw(t, "DRW-20261203-REVIEW02")
	ic := ruqiv1.NewInspectionServiceClient(f.e.cc)
	first, err := reg(f.t0.Add(24*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	// As a store written before the count holds it: no draw_use counter,
	// no mark on the inspection.
	key := inspection.DrawUseKey(d.GetId(), regionE1)
	mark := "draw_used_by|" + first.GetInspection().GetId()
	if err := f.st.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.AddCount(key, -1); err != nil {
			return err
		}
		return tx.AddCount(mark, -1)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CancelInspection(f.e.as(f.r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: first.GetInspection().GetId(), Reason: "企业停业"}); err != nil {
		t.Fatal(err)
	}
	var n int64
	f.st.View(context.Background(), func(r store.Reader) error { n, _ = r.Count(key); return nil })
	t.Logf("draw_use after cancel = %d", n)
	a, err := reg(f.t0.Add(5*24*time.Hour), "")
	if err != nil {
		t.Fatal(err)
	}
	b, err := reg(f.t0.Add(10*24*time.Hour), "")
	if err == nil {
		t.Fatalf("one pick used by two standing inspections: %s and %s", a.GetInspection().GetId(), b.GetInspection().GetId())
	}
}

// revealedDraw stores AG-01's draw id, revealed at f.t0, that picked
// regionE1, and returns it with a function that registers a 双随机 inspection
// of regionE1 under it from start (late: the late reason, "" for none).
func (f *doorFixture) revealedDraw(t *testing.T, id string) (*ruqiv1.Draw, func(start time.Time, late string) (*ruqiv1.RegisterInspectionResponse, error)) {
	t.Helper()
	d := &ruqiv1.Draw{Id: id, AgencyId: "AG-01", Title: "双随机（测试）", Procedure: "ruqi-draw-v1",
		EnterprisePopulation: []string{regionE1}, EnterpriseCount: 1, Randomness: make([]byte, 32), RandomnessSize: 1,
		PickedEnterprises: []string{regionE1}, CommittedAt: timestamppb.New(f.t0), RevealedAt: timestamppb.New(f.t0)}
	if err := f.st.Update(context.Background(), func(tx store.Tx) error { return tx.PutDraw(d) }); err != nil {
		t.Fatal(err)
	}
	return d, func(start time.Time, late string) (*ruqiv1.RegisterInspectionResponse, error) {
		return ruqiv1.NewInspectionServiceClient(f.e.cc).RegisterInspection(f.e.as(f.r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: regionE1, CheckItemIds: f.r.items[:1], OfficerIds: f.r.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, Reason: "双随机抽查", DrawId: d.GetId(), LateReason: late})
	}
}
