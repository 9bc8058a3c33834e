package service_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// heirEnv is a service on bbolt and the in-process coordinator with the
// default policy cfg, and enterprise 91510104… (锦江区) to plan visits at.
type heirEnv struct {
	e    *env
	st   *failingUpdate
	uscc string
	regs map[string]*registrar
	day  time.Time // 10:00 Beijing time, two days from now
}

func newHeirEnv(t *testing.T, cfg coord.PolicyConfig) *heirEnv {
	t.Helper()
	pols, err := coord.NewPolicies(coord.PolicyFile{Default: cfg})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &failingUpdate{Store: b}
	e := newEnvWith(t, st, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil },
		func(c *service.Config) { c.Policies = pols })
	now := time.Now().In(domain.Shanghai)
	h := &heirEnv{e: e, st: st, uscc: e.dir.GetEnterprises()[1].GetUscc(), regs: map[string]*registrar{},
		day: time.Date(now.Year(), now.Month(), now.Day(), 10, 0, 0, 0, domain.Shanghai).AddDate(0, 0, 2)}
	if h.day.AddDate(0, 0, 10).Year() != now.Year() {
		// Late in December the plans would cross the turn of the year,
		// which the caps count apart: plan them in January instead.
		h.day = time.Date(now.Year()+1, 1, 5, 10, 0, 0, 0, domain.Shanghai)
	}
	return h
}

func (h *heirEnv) reg(t *testing.T, agency string) *registrar {
	if r, ok := h.regs[agency]; ok {
		return r
	}
	r := h.e.registrar(t, agency)
	h.regs[agency] = r
	return r
}

func (h *heirEnv) register(t *testing.T, agency string, start time.Time, typ ruqiv1.InspectionType) (*ruqiv1.RegisterInspectionResponse, error) {
	t.Helper()
	r := h.reg(t, agency)
	req := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: h.uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: typ, Reason: "日常检查",
	}
	if typ == ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
		req.TriggerReference, req.Reason = "TS-2026-009", "投诉核查"
	}
	return ruqiv1.NewInspectionServiceClient(h.e.cc).RegisterInspection(h.e.as(r.tok), req)
}

func (h *heirEnv) mustRegister(t *testing.T, agency string, start time.Time, typ ruqiv1.InspectionType) *ruqiv1.RegisterInspectionResponse {
	t.Helper()
	resp, err := h.register(t, agency, start, typ)
	if err != nil {
		t.Fatalf("%s %v at %s: %v", agency, typ, start.Format("01-02 15:04"), err)
	}
	return resp
}

func (h *heirEnv) cancel(t *testing.T, agency, id string) {
	t.Helper()
	_, err := ruqiv1.NewInspectionServiceClient(h.e.cc).CancelInspection(h.e.as(h.reg(t, agency).tok),
		&ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "计划调整"})
	if err != nil {
		t.Fatalf("cancel %s: %v", id, err)
	}
}

func (h *heirEnv) get(t *testing.T, id string) *ruqiv1.Inspection {
	t.Helper()
	resp, err := ruqiv1.NewInspectionServiceClient(h.e.cc).GetInspection(h.e.as(h.e.admin), &ruqiv1.GetInspectionRequest{InspectionId: id})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetInspection()
}

var (
	routine = ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	caseT   = ruqiv1.InspectionType_INSPECTION_TYPE_CASE
)

// The hand-over rule (holdHeirToCaps), from a review of it (2026-12-06);
// each test failed on the rule's first version.

// A visit that is not an inspection (日常巡查) is no visit for
// visits_per_year (coord.Policy.Counters), and Service.standing counts as
// the coordinator does: the routine plan that inherits the year's one
// inspection visit keeps it. Counted as a visit, the patrol had it
// withdrawn "by the rule".
func TestHeir_APatrolIsNoVisit_HeirKeepsTheYearsOneVisit(t *testing.T) {
	one := 1
	h := newHeirEnv(t, coord.PolicyConfig{TimeZone: "Asia/Shanghai", VisitsPerYear: &one})
	// A patrol (not an inspection): no inspection visit counted.
	r1 := h.reg(t, "AG-01")
	patrolAt := h.day.AddDate(0, 0, 1)
	if _, err := ruqiv1.NewInspectionServiceClient(h.e.cc).RegisterInspection(h.e.as(r1.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: h.uscc, OfficerIds: r1.officers[:1], VisitKind: ruqiv1.VisitKind_VISIT_KIND_PATROL,
		WindowStart: timestamppb.New(patrolAt), WindowEnd: timestamppb.New(patrolAt.Add(time.Hour)), Reason: "日常巡查",
	}); err != nil {
		t.Fatalf("patrol: %v", err)
	}
	s := h.day.AddDate(0, 0, 3)
	a := h.mustRegister(t, "AG-01", s, routine) // the year's one inspection visit
	j := h.mustRegister(t, "AG-02", s, routine) // joins it
	if j.GetJointInspection() == nil {
		t.Fatal("AG-02 did not join AG-01's visit")
	}
	h.cancel(t, "AG-01", a.GetInspection().GetId())
	if in := h.get(t, j.GetInspection().GetId()); in.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
		t.Errorf("AG-02's plan, heir of the year's only inspection visit (the other entry is a patrol): %v, reason %q; want registered",
			in.GetState(), in.GetCancelReason())
	}
}

// The heir is the earliest remaining plan; if it is routine and a 个案
// stays in the visit, the visit takes place anyway, and the routine plan
// stays joined to it, as registration itself allows. The rule withdrew the
// routine heir, saying it would enter alone.
func TestHeir_A个案StaysInTheVisit_RoutineHeirKept(t *testing.T) {
	one := 1
	h := newHeirEnv(t, coord.PolicyConfig{TimeZone: "Asia/Shanghai", VisitsPerYear: &one})
	s := h.day.AddDate(0, 0, 3)
	a := h.mustRegister(t, "AG-01", s, routine) // the year's one visit
	r := h.mustRegister(t, "AG-03", s, routine) // joins (the heir: earliest)
	c := h.mustRegister(t, "AG-02", s, caseT)   // 个案 joins too
	if r.GetJointInspection() == nil || c.GetJointInspection() == nil {
		t.Fatal("AG-03 and AG-02 did not join AG-01's visit")
	}
	h.mustRegister(t, "AG-04", s.AddDate(0, 0, 5), caseT) // another 个案 visit (exempt, counted)
	h.cancel(t, "AG-01", a.GetInspection().GetId())
	heir := h.get(t, r.GetInspection().GetId())
	cas := h.get(t, c.GetInspection().GetId())
	t.Logf("AG-03 routine: %v joint=%q reason=%q; AG-02 个案: %v joint=%q", heir.GetState(), heir.GetJointInspectionId(), heir.GetCancelReason(), cas.GetState(), cas.GetJointInspectionId())
	if heir.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
		t.Errorf("AG-03's routine plan withdrawn by the rule (%q) although AG-02's 个案 stays in the visit, which takes place anyway", heir.GetCancelReason())
	}
}

// entries_per_year caps entries (a joint visit is one, counted
// by the plan that makes it, coord.Counter.Visit): a hand-over after a
// cancellation raises the entry count just as it raises the visit count,
// and the rule holds the heir to it too (it checked visits_per_year alone):
// a routine plan refused alone joins a 个案; the 个案 is cancelled; the
// routine plan is withdrawn, not left holding an entry the cap refused it.
func TestHeir_HeldToTheEntriesCap(t *testing.T) {
	one := 1
	h := newHeirEnv(t, coord.PolicyConfig{TimeZone: "Asia/Shanghai", EntriesPerYear: &one})
	s1, s2 := h.day.AddDate(0, 0, 1), h.day.AddDate(0, 0, 4)
	h.mustRegister(t, "AG-01", s1, routine) // the year's one entry
	if _, err := h.register(t, "AG-03", s2, routine); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("AG-03 alone: %v, want RESOURCE_EXHAUSTED", err)
	}
	c := h.mustRegister(t, "AG-02", s2, caseT)
	j := h.mustRegister(t, "AG-03", s2, routine)
	if j.GetJointInspection() == nil {
		t.Fatal("AG-03 did not join the 个案")
	}
	h.cancel(t, "AG-02", c.GetInspection().GetId())
	if in := h.get(t, j.GetInspection().GetId()); in.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		t.Errorf("after the 个案 was cancelled AG-03's plan, refused alone by entries_per_year 1, stands %v holding the year's second entry", in.GetState())
	}
}

// A hand-over from a dropped reservation (a registration whose store write
// failed, released by afterFailedWrite → handOverDropped) is held to the
// visits cap too: a routine plan, refused alone, joins a 个案 whose write
// then fails; it held the year's second visit.
func TestHeir_OfADroppedReservation_HeldToTheVisitsCap(t *testing.T) {
	one := 1
	h := newHeirEnv(t, coord.PolicyConfig{TimeZone: "Asia/Shanghai", VisitsPerYear: &one})
	s1, s2 := h.day.AddDate(0, 0, 1), h.day.AddDate(0, 0, 4)
	h.mustRegister(t, "AG-01", s1, routine) // the year's one visit
	if _, err := h.register(t, "AG-03", s2, routine); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("AG-03 alone: %v, want RESOURCE_EXHAUSTED", err)
	}
	h.reg(t, "AG-02")
	var joined *ruqiv1.RegisterInspectionResponse
	var jerr error
	// Between the 个案's decision and its write, AG-03 registers and joins it.
	hook := func() { joined, jerr = h.register(t, "AG-03", s2, routine) }
	h.st.before.Store(&hook)
	h.st.failIn.Store(2) // AG-03's write (1st) commits; the 个案's (2nd) fails
	if _, err := h.register(t, "AG-02", s2, caseT); status.Code(err) != codes.Unavailable {
		t.Fatalf("the 个案's registration: %v, want UNAVAILABLE (its write failed)", err)
	}
	if jerr != nil || joined.GetJointInspection() == nil {
		t.Fatalf("AG-03 joining the pending 个案: %v %v", jerr, joined.GetJointInspection())
	}
	in := h.get(t, joined.GetInspection().GetId())
	t.Logf("AG-03's plan after the 个案's write failed: %v joint=%q", in.GetState(), in.GetJointInspectionId())
	if in.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
		var joinedNow bool
		if err := h.st.View(context.Background(), func(r store.Reader) error {
			var err error
			joinedNow, err = report.PlanJoined(r, in.GetId(), false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !joinedNow {
			t.Errorf("AG-03's routine plan, refused alone (visits_per_year 1, spent), holds a visit of its own after the 个案 it joined was dropped; not withdrawn")
		}
	}
}

// From a second review (2026-12-06), each failing before its fix: a
// routine heir kept because a 个案 stays in the visit (exemptBeside) is
// held to the cap when that 个案 leaves. The 个案 did not hold the visit,
// so its withdrawal handed nothing over, and the routine plan, which the
// cap refused alone, entered alone over visits_per_year.
func TestHeir_个案BesideCancelledLater_HolderHeldToTheCap(t *testing.T) {
	one := 1
	h := newHeirEnv(t, coord.PolicyConfig{TimeZone: "Asia/Shanghai", VisitsPerYear: &one})
	s1, s2 := h.day.AddDate(0, 0, 1), h.day.AddDate(0, 0, 4)
	h.mustRegister(t, "AG-01", s1, routine) // the year's one visit
	if _, err := h.register(t, "AG-03", s2, routine); err == nil {
		t.Fatal("AG-03 alone was not refused by visits_per_year 1")
	}
	x := h.mustRegister(t, "AG-04", s2, caseT)   // a 个案 visit (exempt): holds it
	r := h.mustRegister(t, "AG-03", s2, routine) // joins (the heir: earliest after AG-04)
	c := h.mustRegister(t, "AG-02", s2, caseT)   // another 个案 joins
	if r.GetJointInspection() == nil || c.GetJointInspection() == nil {
		t.Fatal("AG-03 and AG-02 did not join AG-04's 个案 visit")
	}
	h.cancel(t, "AG-04", x.GetInspection().GetId()) // heir AG-03 kept: AG-02's 个案 stays
	if in := h.get(t, r.GetInspection().GetId()); in.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
		t.Fatalf("AG-03 withdrawn already: %q", in.GetCancelReason())
	}
	h.cancel(t, "AG-02", c.GetInspection().GetId()) // the 个案 that made the visit take place anyway
	in := h.get(t, r.GetInspection().GetId())
	t.Logf("AG-03 after both 个案 were cancelled: %v joint=%q reason=%q", in.GetState(), in.GetJointInspectionId(), in.GetCancelReason())
	if in.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		t.Errorf("AG-03's routine plan, refused alone by visits_per_year 1, now enters alone as the year's second visit and was never withdrawn by the rule")
	}
}

// An heir whose registration is still being written when the plan holding
// its visit is cancelled is held to the cap once written: decided as
// joining, which the visits cap does not check, it commits holding the
// visit (HeirNoted, or decided again after the fence), and nothing held it.
func TestHeir_StillBeingWritten_HeldToTheCap(t *testing.T) {
	one := 1
	h := newHeirEnv(t, coord.PolicyConfig{TimeZone: "Asia/Shanghai", VisitsPerYear: &one})
	s1, s2 := h.day.AddDate(0, 0, 1), h.day.AddDate(0, 0, 4)
	h.mustRegister(t, "AG-01", s1, routine) // the year's one visit
	if _, err := h.register(t, "AG-03", s2, routine); err == nil {
		t.Fatal("AG-03 alone was not refused by visits_per_year 1")
	}
	x := h.mustRegister(t, "AG-04", s2, caseT) // a 个案 visit (exempt)
	h.reg(t, "AG-03")
	h.reg(t, "AG-04")
	// Between AG-03's decision (joined the 个案) and its write, the 个案 is
	// cancelled: AG-03, not written yet, is the heir.
	hook := func() { h.cancel(t, "AG-04", x.GetInspection().GetId()) }
	h.st.before.Store(&hook)
	r, err := h.register(t, "AG-03", s2, routine)
	if err != nil {
		t.Logf("AG-03's registration: %v (refused: fine)", err)
		return
	}
	in := h.get(t, r.GetInspection().GetId())
	t.Logf("AG-03 after the 个案 it joined was cancelled mid-write: %v joint=%q reason=%q", in.GetState(), in.GetJointInspectionId(), in.GetCancelReason())
	if in.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED && in.GetJointInspectionId() == "" {
		t.Errorf("AG-03's routine plan, refused alone by visits_per_year 1, holds the year's second visit alone; the rule never withdrew it")
	}
}

// A 个案 beside the heir keeps it only if of the heir's year: across the
// turn of the year the count is not the same whoever holds the visit. A visit from 31 December into 1 January: the routine heir of
// 1 January holds it and charges it to January, whose one visit is spent,
// while the 个案 beside it (31 December) would charge it to December, whose
// one visit the cancelled plan held. The heir was kept over January's cap.
func TestHeir_个案BesideInTheYearBefore_HeirHeldToItsYearsCap(t *testing.T) {
	one := 1
	h := newHeirEnv(t, coord.PolicyConfig{TimeZone: "Asia/Shanghai", VisitsPerYear: &one})
	now := time.Now().In(domain.Shanghai)
	y := now.Year()
	if now.Month() == time.December && now.Day() > 28 {
		y++
	}
	eve := time.Date(y, 12, 31, 22, 0, 0, 0, domain.Shanghai)
	newYear := time.Date(y+1, 1, 1, 0, 0, 0, 0, domain.Shanghai)
	if eve.Sub(now) > 60*24*time.Hour {
		t.Skip("the turn of the year is too far ahead to register for")
	}
	reg := func(agency string, start, end time.Time, typ ruqiv1.InspectionType) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		r := h.reg(t, agency)
		req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: h.uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end), Type: typ, Reason: "日常检查"}
		if typ == caseT {
			req.TriggerReference, req.Reason = "TS-2026-010", "投诉核查"
		}
		resp, err := ruqiv1.NewInspectionServiceClient(h.e.cc).RegisterInspection(h.e.as(r.tok), req)
		if err != nil {
			t.Fatalf("%s %v at %s: %v", agency, typ, start.Format("2006-01-02 15:04"), err)
		}
		return resp
	}
	jan5 := time.Date(y+1, 1, 5, 10, 0, 0, 0, domain.Shanghai)
	reg("AG-01", jan5, jan5.Add(2*time.Hour), routine)                     // January's one visit
	x := reg("AG-04", eve, newYear.Add(2*time.Hour), routine)              // December's one visit
	r := reg("AG-03", newYear, newYear.Add(2*time.Hour), routine)          // joins; alone it is January's second
	c := reg("AG-02", eve.Add(time.Hour), newYear.Add(2*time.Hour), caseT) // a 个案 of 31 December joins
	if r.GetJointInspection() == nil || c.GetJointInspection() == nil {
		t.Fatal("AG-03 and AG-02 did not join AG-04's visit")
	}
	h.cancel(t, "AG-04", x.GetInspection().GetId())
	in := h.get(t, r.GetInspection().GetId())
	t.Logf("AG-03 (1 January) after AG-04 (31 December) was cancelled: %v joint=%q reason=%q", in.GetState(), in.GetJointInspectionId(), in.GetCancelReason())
	if in.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
		var joined bool
		if err := h.st.View(context.Background(), func(rd store.Reader) error {
			var err error
			joined, err = report.PlanJoined(rd, in.GetId(), false)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if !joined {
			t.Errorf("AG-03's plan of 1 January holds the visit, charged to %d (visits_per_year 1, spent by AG-01): kept because a 个案 of 31 December stays in it, which would have held it within %d's cap", y+1, y)
		}
	}
}
