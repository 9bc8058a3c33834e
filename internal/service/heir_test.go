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
