// Package coordtest is the conformance suite every coordinator passes against
// its real engine: coord/local in process, coord/redis against a real
// redis-server.
package coordtest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
)

// Backend makes coordinator clients of one shared backend.
type Backend interface {
	// Client returns a new client, as another server replica would hold;
	// seed reads the enterprise's record.
	Client(t *testing.T, seed coord.Seeder) coord.Coordinator
}

var ctx = context.Background()

// Beijing is the zone of the calendar tests.
var Beijing = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(n int) *int { return &n }

// Recorder is the store as the suite sees it: what a service writes after
// each decision and cancellation, and the seeder that reads it back. Record
// keeps it in memory; coordtest/storeseed writes a real store the way the
// service does and seeds through the service's own Seed.
type Recorder interface {
	// Apply writes what a decision says: the plan if accepted or joined,
	// and joint membership where the decision is newer. It writes nothing
	// and answers false for a plan decided under a fence behind the
	// store's (inspection.Register refuses it: ErrFenced).
	Apply(p coord.Plan, d coord.Decision) bool
	// Withdraw records a cancellation and what the coordinator's
	// withdrawal decided.
	Withdraw(p coord.Plan, d coord.Decision)
	// Cancel marks a plan cancelled.
	Cancel(p coord.Plan)
	// Close marks a plan closed (办结), as closing an inspection does
	// (inspection.MarkClosed).
	Close(p coord.Plan)
	// Seed is the coordinator's seeder (coord.Seeder): with fence it
	// raises the enterprise's fence first.
	Seed(ctx context.Context, uscc string, fence bool) (coord.Seed, error)
}

// Now is the suite's clock: the time most decisions are made at.
func Now() time.Time { return now }

// Record is the store as the suite keeps it in memory: what a service writes
// after each decision, and what a seeder reads back.
type Record struct {
	mu      sync.Mutex
	plans   map[string][]coord.Plan // by enterprise, registration order
	joint   map[string]string       // inspection → joint, as of jointV
	jointV  map[string]int64
	version map[string]int64
	fence   map[string]int64
}

// NewRecord returns an empty record.
func NewRecord() *Record {
	return &Record{plans: map[string][]coord.Plan{}, joint: map[string]string{}, jointV: map[string]int64{}, version: map[string]int64{}, fence: map[string]int64{}}
}

// Apply writes what a decision says, as the service does: the plan if
// accepted, and joint membership where the decision's version is newer;
// nothing for a plan decided under a fence behind the record's.
func (r *Record) Apply(p coord.Plan, d coord.Decision) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if (d.Outcome == coord.Accepted || d.Outcome == coord.Joined) && d.Fence < r.fence[p.USCC] {
		return false
	}
	if d.Outcome == coord.Accepted || d.Outcome == coord.Joined {
		known := false
		for _, q := range r.plans[p.USCC] {
			known = known || q.InspectionID == p.InspectionID
		}
		if !known { // a retried decision writes nothing new
			r.plans[p.USCC] = append(r.plans[p.USCC], p)
		}
	}
	for _, id := range append(append([]string{}, d.Members...), d.Regrouped...) {
		if d.Version > r.jointV[id] {
			r.joint[id], r.jointV[id] = d.JointID, d.Version
		}
	}
	if d.Version > r.version[p.USCC] {
		r.version[p.USCC] = d.Version
	}
	return true
}

// Withdraw records a cancellation and the joint it leaves behind.
func (r *Record) Withdraw(p coord.Plan, d coord.Decision) {
	r.Cancel(p)
	d.Outcome = coord.Capped // nothing to add
	r.Apply(p, d)
}

// Cancel marks a plan cancelled.
func (r *Record) Cancel(p coord.Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	list := r.plans[p.USCC]
	for i := range list {
		if list[i].InspectionID == p.InspectionID {
			r.plans[p.USCC] = append(list[:i:i], list[i+1:]...)
			return
		}
	}
}

// Close marks a plan closed.
func (r *Record) Close(p coord.Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, q := range r.plans[p.USCC] {
		if q.InspectionID == p.InspectionID {
			r.plans[p.USCC][i].Closed = true
		}
	}
}

// Seed derives the seed: joint ids from the newest decisions, and the visit
// held by the earliest plan of each joint inspection. With fence it raises
// the enterprise's fence first.
func (r *Record) Seed(_ context.Context, uscc string, fence bool) (coord.Seed, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if fence {
		r.fence[uscc]++
	}
	seed := coord.Seed{Version: r.version[uscc], Fence: r.fence[uscc]}
	holder := map[string]bool{}
	for _, p := range r.plans[uscc] {
		p.JointID = r.joint[p.InspectionID]
		p.NewVisit = p.JointID == "" || !holder[p.JointID]
		if p.JointID != "" {
			holder[p.JointID] = true
		}
		seed.Plans = append(seed.Plans, p)
	}
	return seed, nil
}

// Run runs the suite, the store kept in memory (Record).
func Run(t *testing.T, b Backend) {
	RunWith(t, b, func(*testing.T) Recorder { return NewRecord() })
}

// RunWith runs the suite with a new record from newRecord for every test:
// the coordinator is seeded from what that record holds.
func RunWith(t *testing.T, b Backend, newRecord func(*testing.T) Recorder) {
	b = recorded{b, newRecord}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"Alone_IsAcceptedAsNewVisit", testAlone},
		{"TouchingWindows_DoNotMerge_NoPlanBridgesTwoVisits", testEdge},
		{"ChainABC_OverlapsAMemberNotTheCommonTime_IsASeparateVisit", testChain},
		{"CancelTheBridge_VisitsAndCountsRestored", testCancelBridge},
		{"MinimumCommonTime_FromPolicy", testMinimumCommon},
		{"SeveralVisitsToJoin_LargestOverlapThenEarliest", testPickRule},
		{"CancelAfterWindow_GivesCapBack_SameAfterRestart", testCancelAfterWindow},
		{"Rollback_NextToAnotherPendingPlan", testRollback},
		{"PendingPastConfirmBy_CheckedAgainstTheStore", testPendingExpiry},
		{"Fence_EachDecisionCarriesTheStores_ACheckOfPendingPlansRaisesIt", testFence},
		{"SameIDOtherPlan_FirstStands", testSameIDOtherPlan},
		{"SameAgencyOverlap_IsDuplicate", testDuplicate},
		{"Closed_NeitherJoinedNorDuplicated_StillCounted", testClosed},
		{"Withdrawal_JointGoesOnWithNewLead", testWithdraw},
		{"AgencyCapPerYear_ExemptCaseChecks", testAgencyCap},
		{"YearBoundary_InBeijingTime", testYearBoundary},
		{"LeapYear_CountLastsToDecember31", testLeapYear},
		{"GradeA_NoProactiveInspection", testGradeA},
		{"Warnings_DayWeekMonth", testWarnings},
		{"Release_UndoesReservation", testRelease},
		{"Release_KeepsARetrysHold", testReleaseKeepsRetry},
		{"Reseed_AfterLoss_DecidesTheSame", testReseed},
		{"Reseed_LegacyTransitiveJoint_SplitByTheRule", testLegacySeed},
		{"Concurrent_ManyClients_OneJointInspection", testConcurrent},
		{"Fence_InterleavedTakeBacks_FewReseeds", testInterleavedTakeBacks},
		{"NotInspection_NeverMerged_SameAgencyStillDuplicate", testNotInspection},
		{"Entries_AllKindsCappedAndWarned_ApartFromInspections", testEntries},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

// recorded is a backend with the records its tests keep.
type recorded struct {
	Backend
	newRecord func(*testing.T) Recorder
}

// recordFor is a new, empty record for test t.
func recordFor(t *testing.T, b Backend) Recorder {
	if r, ok := b.(recorded); ok {
		return r.newRecord(t)
	}
	return NewRecord()
}

// fixture is one enterprise, a record and a client.
type fixture struct {
	t    *testing.T
	rec  Recorder
	c    coord.Coordinator
	uscc string
	pol  coord.Policy
	n    int
}

var enterpriseSeq struct {
	sync.Mutex
	n int
}

// freshUSCC gives every test its own enterprise, so that tests sharing one
// Redis never meet. Only uniqueness matters to the coordinator.
func freshUSCC() string {
	enterpriseSeq.Lock()
	defer enterpriseSeq.Unlock()
	enterpriseSeq.n++
	return fmt.Sprintf("9151010%011d", time.Now().UnixNano()%1e9*100+int64(enterpriseSeq.n%100))
}

func newFixture(t *testing.T, b Backend, pol coord.Policy) *fixture {
	rec := recordFor(t, b)
	f := &fixture{t: t, rec: rec, uscc: freshUSCC(), pol: pol}
	f.c = b.Client(t, rec.Seed)
	if err := f.c.Forget(ctx, f.uscc); err != nil {
		t.Fatal(err)
	}
	return f
}

// permissive has no caps and no warnings.
func permissive() coord.Policy { return coord.Policy{Zone: Beijing} }

func (f *fixture) plan(agency, from, to string) coord.Plan {
	f.n++
	return coord.Plan{InspectionID: fmt.Sprintf("INS-T-%04d", f.n), AgencyID: agency, USCC: f.uscc, Start: at(from), End: at(to), Grade: "B"}
}

func (f *fixture) decide(p coord.Plan, now time.Time) coord.Decision {
	f.t.Helper()
	d, err := f.c.Decide(ctx, p, f.pol, now)
	if err != nil {
		f.t.Fatalf("decide %s: %v", p.InspectionID, err)
	}
	f.rec.Apply(p, d)
	return d
}

func (f *fixture) want(d coord.Decision, o coord.Outcome) {
	f.t.Helper()
	if d.Outcome != o {
		f.t.Fatalf("outcome %s, want %s (%+v)", d.Outcome, o, d)
	}
}

var now = at("2026-11-20 09:00")

func testAlone(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	p := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 12:00")
	d := f.decide(p, now)
	f.want(d, coord.Accepted)
	if d.JointID != "" || len(d.Members) != 1 || d.Members[0] != p.InspectionID || d.LeadAgency != "AG-1" || d.Version < 1 {
		t.Fatalf("decision %+v", d)
	}
	// A retry of the same plan answers the same.
	again := f.decide(p, now)
	if again.Outcome != coord.Accepted || again.Version != d.Version {
		t.Fatalf("retry decision %+v, want %+v", again, d)
	}
}

func testEdge(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, WarnVisitsPerDay: ptr(1)})
	a := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 12:00")
	bb := f.plan("AG-2", "2026-11-23 12:00", "2026-11-23 15:00") // touches a at 12:00
	f.want(f.decide(a, now), coord.Accepted)
	db := f.decide(bb, now)
	f.want(db, coord.Accepted)
	if len(db.Warnings) != 1 || db.Warnings[0].Rule != "visits_per_day" || db.Warnings[0].Count != 2 {
		t.Fatalf("second visit of the day: warnings %+v", db.Warnings)
	}
	// An hour over the boundary overlaps each by 30 minutes: it joins one
	// of them (the one registered first, overlaps being equal) and never
	// makes the two one visit.
	c := f.plan("AG-3", "2026-11-23 11:30", "2026-11-23 12:30")
	dc := f.decide(c, now)
	f.want(dc, coord.Joined)
	if dc.JointID != coord.JointIDFor(a.InspectionID) || fmt.Sprint(dc.Members) != fmt.Sprint([]string{a.InspectionID, c.InspectionID}) {
		t.Fatalf("join: %+v", dc)
	}
	if fmt.Sprint(dc.Regrouped) != fmt.Sprint([]string{a.InspectionID}) || !dc.CommonStart.Equal(at("2026-11-23 11:30")) || !dc.CommonEnd.Equal(at("2026-11-23 12:00")) {
		t.Fatalf("join: regrouped %v, common time %v–%v", dc.Regrouped, dc.CommonStart, dc.CommonEnd)
	}
	// Still two visits that day: a new one is the third.
	d := f.decide(f.plan("AG-4", "2026-11-23 18:00", "2026-11-23 19:00"), now)
	if len(d.Warnings) != 1 || d.Warnings[0].Count != 3 {
		t.Fatalf("a new visit after the join should be the day's third: %+v", d.Warnings)
	}
}

// testChain: A [08:00,10:00), B [09:00,11:00) joins A (common time
// 09:00–10:00); C [10:30,12:00) overlaps B but not the common time, so it is
// a visit of its own.
func testChain(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, WarnVisitsPerDay: ptr(1)})
	a := f.plan("AG-1", "2026-11-23 08:00", "2026-11-23 10:00")
	bb := f.plan("AG-2", "2026-11-23 09:00", "2026-11-23 11:00")
	c := f.plan("AG-3", "2026-11-23 10:30", "2026-11-23 12:00")
	f.want(f.decide(a, now), coord.Accepted)
	db := f.decide(bb, now)
	f.want(db, coord.Joined)
	if !db.CommonStart.Equal(at("2026-11-23 09:00")) || !db.CommonEnd.Equal(at("2026-11-23 10:00")) || db.LeadAgency != "AG-1" {
		t.Fatalf("A and B: %+v", db)
	}
	dc := f.decide(c, now)
	f.want(dc, coord.Accepted)
	if dc.JointID != "" || fmt.Sprint(dc.Members) != fmt.Sprint([]string{c.InspectionID}) || len(dc.Warnings) != 1 || dc.Warnings[0].Count != 2 {
		t.Fatalf("C, overlapping B only: %+v, want a second visit of its own", dc)
	}
	if dc.Version <= db.Version {
		t.Fatalf("versions do not grow: %d then %d", db.Version, dc.Version)
	}
	// A fourth plan in C's window and B's joins C, not the A–B visit.
	dd := f.decide(f.plan("AG-4", "2026-11-23 10:30", "2026-11-23 11:30"), now)
	f.want(dd, coord.Joined)
	if dd.JointID != coord.JointIDFor(c.InspectionID) || dd.LeadAgency != "AG-3" {
		t.Fatalf("D: %+v, want C's visit", dd)
	}
}

// testCancelBridge is the case: A [10:00,12:00) and C [12:30,14:00)
// are two visits; B [11:00,13:00) overlaps both but joins only one (A, by
// the larger overlap). Cancelling B leaves A and C alone, and every count as
// before B.
func testCancelBridge(t *testing.T, b Backend) {
	pol := coord.Policy{Zone: Beijing, WarnVisitsPerDay: ptr(1), VisitsPerYear: ptr(3)}
	f := newFixture(t, b, pol)
	a := f.plan("AG-1", "2026-11-23 10:00", "2026-11-23 12:00")
	c := f.plan("AG-3", "2026-11-23 12:30", "2026-11-23 14:00")
	bb := f.plan("AG-2", "2026-11-23 11:00", "2026-11-23 13:00")
	f.want(f.decide(a, now), coord.Accepted)
	f.want(f.decide(c, now), coord.Accepted)
	db := f.decide(bb, now)
	f.want(db, coord.Joined)
	if fmt.Sprint(db.Members) != fmt.Sprint([]string{a.InspectionID, bb.InspectionID}) || !db.CommonEnd.Equal(at("2026-11-23 12:00")) {
		t.Fatalf("B: %+v, want A's visit only", db)
	}
	d, err := f.c.Withdraw(ctx, bb, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	f.rec.Withdraw(bb, d)
	if d.JointID != "" || fmt.Sprint(d.Members) != fmt.Sprint([]string{a.InspectionID}) || fmt.Sprint(d.Regrouped) != fmt.Sprint([]string{a.InspectionID}) || d.NewVisit {
		t.Fatalf("after B withdrew: %+v, want A alone again", d)
	}
	// Two visits that year: a third is allowed, a fourth capped.
	third := f.decide(f.plan("AG-4", "2026-11-24 09:00", "2026-11-24 10:00"), now)
	f.want(third, coord.Accepted)
	f.want(f.decide(f.plan("AG-5", "2026-11-25 09:00", "2026-11-25 10:00"), now), coord.Capped)
	// C is a visit on its own: a plan in C's window joins C.
	dc := f.decide(f.plan("AG-6", "2026-11-23 12:30", "2026-11-23 13:30"), now)
	if dc.Outcome != coord.Joined || dc.LeadAgency != "AG-3" || len(dc.Members) != 2 {
		t.Fatalf("a plan in C's window: %+v", dc)
	}
}

// testMinimumCommon: the policy's minimum common time decides whether a
// plan joins.
func testMinimumCommon(t *testing.T, b Backend) {
	for i, tc := range []struct {
		minutes int
		from    string // the second plan's start; the first is 09:00–11:00
		want    coord.Outcome
	}{
		{0, "2026-11-23 10:31", coord.Accepted}, // 29 min < the default 30
		{0, "2026-11-23 10:30", coord.Joined},
		{60, "2026-11-23 10:30", coord.Accepted},
		{60, "2026-11-23 10:00", coord.Joined},
		{1, "2026-11-23 10:59", coord.Joined},
	} {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			f := newFixture(t, b, coord.Policy{Zone: Beijing, JointMinutes: tc.minutes})
			f.want(f.decide(f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 11:00"), now), coord.Accepted)
			d := f.decide(f.plan("AG-2", tc.from, "2026-11-23 13:00"), now)
			if d.Outcome != tc.want {
				t.Fatalf("minimum %d min, second plan from %s: %s, want %s", tc.minutes, tc.from, d.Outcome, tc.want)
			}
		})
	}
	// Windows shorter than the minimum: a plan wholly inside the common
	// time joins, one half inside does not; a plan covering the whole of a
	// short common time joins.
	t.Run("ShortWindows", func(t *testing.T) {
		f := newFixture(t, b, permissive())
		f.decide(f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 11:00"), now)
		f.want(f.decide(f.plan("AG-2", "2026-11-23 10:00", "2026-11-23 10:20"), now), coord.Joined) // common 10:00–10:20
		f.want(f.decide(f.plan("AG-3", "2026-11-23 10:10", "2026-11-23 10:30"), now), coord.Accepted)
		d := f.decide(f.plan("AG-4", "2026-11-23 09:30", "2026-11-23 12:00"), now)
		if d.Outcome != coord.Joined || len(d.Members) != 3 {
			t.Fatalf("a plan covering the whole common time: %+v", d)
		}
	})
	// A joined visit's common time shrinks: a third plan must overlap that,
	// not the first plan's window.
	f := newFixture(t, b, permissive())
	f.decide(f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 12:00"), now)
	f.want(f.decide(f.plan("AG-2", "2026-11-23 11:00", "2026-11-23 13:00"), now), coord.Joined) // common 11:00–12:00
	f.want(f.decide(f.plan("AG-3", "2026-11-23 09:00", "2026-11-23 11:20"), now), coord.Accepted)
	d := f.decide(f.plan("AG-4", "2026-11-23 11:00", "2026-11-23 11:30"), now) // 30 min with the common time, 20 with AG-3's
	f.want(d, coord.Joined)
	if len(d.Members) != 3 || !d.CommonStart.Equal(at("2026-11-23 11:00")) || !d.CommonEnd.Equal(at("2026-11-23 11:30")) {
		t.Fatalf("third member: %+v", d)
	}
}

// testPickRule: a plan that could join two visits joins the one it
// overlaps most; on equal overlaps, the visit registered first.
func testPickRule(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	v1 := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:40")
	v2 := f.plan("AG-2", "2026-11-23 10:20", "2026-11-23 12:00") // 20 min with v1: separate
	f.want(f.decide(v1, now), coord.Accepted)
	f.want(f.decide(v2, now), coord.Accepted)
	d := f.decide(f.plan("AG-3", "2026-11-23 09:30", "2026-11-23 12:00"), now) // 70 min with v1, 100 with v2
	if d.Outcome != coord.Joined || d.LeadAgency != "AG-2" || len(d.Members) != 2 {
		t.Fatalf("largest overlap: %+v, want v2's visit", d)
	}
	t.Run("EqualOverlaps", func(t *testing.T) { pickEqual(t, b) })
}

func pickEqual(t *testing.T, b Backend) {
	g := newFixture(t, b, permissive())
	w1 := g.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:40")
	w2 := g.plan("AG-2", "2026-11-23 10:20", "2026-11-23 12:00")
	g.want(g.decide(w1, now), coord.Accepted)
	g.want(g.decide(w2, now), coord.Accepted)
	d := g.decide(g.plan("AG-3", "2026-11-23 09:40", "2026-11-23 11:20"), now) // 60 min with each
	if d.Outcome != coord.Joined || d.LeadAgency != "AG-1" || d.JointID != coord.JointIDFor(w1.InspectionID) {
		t.Fatalf("equal overlaps: %+v, want the visit registered first", d)
	}
}

// testCancelAfterWindow: a plan cancelled after its window, never visited,
// stops counting against the cap, and the answer is the same whether the
// coordinator kept its state or was reseeded from the store.
func testCancelAfterWindow(t *testing.T, b Backend) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) { cancelAfterWindow(t, b, restart) })
	}
}

func cancelAfterWindow(t *testing.T, b Backend, restart bool) {
	{
		pol := coord.Policy{Zone: Beijing, AgencyPerYear: ptr(2), WarnVisitsPerWeek: ptr(1)}
		f := newFixture(t, b, pol)
		p1 := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00")
		f.want(f.decide(p1, now), coord.Accepted)
		f.want(f.decide(f.plan("AG-2", "2026-11-23 09:00", "2026-11-23 10:00"), now), coord.Joined)
		f.want(f.decide(f.plan("AG-1", "2026-11-24 09:00", "2026-11-24 10:00"), now), coord.Accepted)
		later := at("2026-11-26 09:00") // p1's window is over
		f.want(f.decide(f.plan("AG-1", "2026-11-27 09:00", "2026-11-27 10:00"), later), coord.Capped)
		d, err := f.c.Withdraw(ctx, p1, 0, later)
		if err != nil {
			t.Fatal(err)
		}
		f.rec.Withdraw(p1, d)
		if !d.NewVisit || d.Heir == "" || d.LeadAgency != "AG-2" {
			t.Fatalf("restart=%v: withdrawing the ended holder: %+v, want AG-2's plan to hold the visit", restart, d)
		}
		if restart {
			if err := f.c.Forget(ctx, f.uscc); err != nil {
				t.Fatal(err)
			}
		}
		f.want(f.decide(f.plan("AG-1", "2026-11-27 09:00", "2026-11-27 10:00"), later), coord.Accepted)
		// The visit of the 23rd still counts once, now held by AG-2's plan:
		// with the 24th's and the 27th's, a new one is the week's fourth.
		dd := f.decide(f.plan("AG-3", "2026-11-28 09:00", "2026-11-28 10:00"), later)
		if len(dd.Warnings) != 1 || dd.Warnings[0].Count != 4 {
			t.Fatalf("restart=%v: a second visit on the 23rd: %+v", restart, dd.Warnings)
		}
	}
}

// testRollback: two plans decided and not yet written; one write fails and
// its plan is released: the other stays reserved, and holds the visit.
func testRollback(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, AgencyPerYear: ptr(1), WarnVisitsPerDay: ptr(1)})
	hold := now.Add(time.Minute)
	p1 := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 11:00")
	p1.ConfirmBy = hold
	p2 := f.plan("AG-2", "2026-11-23 09:30", "2026-11-23 11:00")
	p2.ConfirmBy = hold
	mustDecide := func(p coord.Plan) coord.Decision {
		d, err := f.c.Decide(ctx, p, f.pol, now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	f.want(mustDecide(p1), coord.Accepted)
	d2 := mustDecide(p2)
	f.want(d2, coord.Joined)
	// p2 commits; p1's write fails.
	if !f.rec.Apply(p2, d2) {
		t.Fatal("p2's decision refused by the record")
	}
	if err := f.c.Confirm(ctx, p2, now); err != nil {
		t.Fatal(err)
	}
	rd, err := f.c.Release(ctx, p1, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	// p2, written, holds the visit now, alone: the service writes that.
	if rd.Heir != p2.InspectionID || rd.JointID != "" || fmt.Sprint(rd.Regrouped) != fmt.Sprint([]string{p2.InspectionID}) || !rd.NewVisit {
		t.Fatalf("release of p1: %+v, want p2 alone holding the visit", rd)
	}
	// A confirmed plan is never released.
	if rd, err := f.c.Release(ctx, p2, 0, now); err != nil || rd.Version != 0 {
		t.Fatalf("release of a confirmed plan: %+v %v", rd, err)
	}
	d := f.decide(f.plan("AG-2", "2026-11-23 10:00", "2026-11-23 10:30"), now)
	if d.Outcome != coord.Duplicate || d.Existing != p2.InspectionID {
		t.Fatalf("p2 after p1's rollback: %+v, want p2 still reserved", d)
	}
	// p1's cap is given back; p2 holds the visit of the day.
	f.want(f.decide(f.plan("AG-1", "2026-11-25 09:00", "2026-11-25 10:00"), now), coord.Accepted)
	d = f.decide(f.plan("AG-3", "2026-11-23 15:00", "2026-11-23 16:00"), now)
	if len(d.Warnings) != 1 || d.Warnings[0].Count != 2 {
		t.Fatalf("warnings %+v: p2's visit should count once", d.Warnings)
	}
}

// testPendingExpiry: plans decided but never confirmed are checked against
// the store once their confirm-by time passes: one the store holds stays,
// one it does not is dropped.
// testSameIDOtherPlan: a plan id decided again with another window (a
// request id reused with other parameters) is refused as a duplicate of
// itself; the first reservation stands.
func testSameIDOtherPlan(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	p := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 11:00")
	p.ConfirmBy = now.Add(time.Minute)
	f.want(f.decide(p, now), coord.Accepted)
	q := p
	q.Start, q.End = at("2026-11-24 09:00"), at("2026-11-24 11:00")
	d := f.decide(q, now)
	if d.Outcome != coord.Duplicate || d.Existing != p.InspectionID {
		t.Fatalf("same id, other window: %+v", d)
	}
	f.want(f.decide(p, now), coord.Accepted)
}

func testPendingExpiry(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, AgencyPerYear: ptr(1)})
	hold := now.Add(time.Minute)
	lost := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 11:00")
	lost.ConfirmBy = hold
	written := f.plan("AG-2", "2026-11-24 09:00", "2026-11-24 11:00")
	written.ConfirmBy = hold
	var dw coord.Decision
	for _, p := range []coord.Plan{lost, written} {
		d, err := f.c.Decide(ctx, p, f.pol, now)
		if err != nil || d.Outcome != coord.Accepted {
			t.Fatalf("%+v %v", d, err)
		}
		dw = d
	}
	if !f.rec.Apply(written, dw) { // committed, its Confirm lost
		t.Fatal("the written plan's decision was refused by the record")
	}
	// Before the deadline both hold: AG-1 is at its cap.
	f.want(f.decide(f.plan("AG-1", "2026-11-25 09:00", "2026-11-25 10:00"), now), coord.Capped)
	after := hold.Add(time.Second)
	d := f.decide(f.plan("AG-1", "2026-11-25 09:00", "2026-11-25 10:00"), after)
	f.want(d, coord.Accepted)
	if len(d.Dropped) != 1 || !d.Dropped[0].NewVisit {
		t.Fatalf("the decision after the hold: dropped %+v, want the lost plan's withdrawal", d.Dropped)
	}
	f.want(f.decide(f.plan("AG-2", "2026-11-26 09:00", "2026-11-26 10:00"), after), coord.Capped)
}

// testFence: a decision carries the store's fence of the read its state
// stands on (coord.Seeder), so that the registration it leads to passes the
// store's check; and a check of pending plans past their hold raises it,
// so that a plan the check dropped as never written can no longer commit
// (its decision's fence is behind).
func testFence(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	stored := func() int64 {
		t.Helper()
		s, err := f.rec.Seed(ctx, f.uscc, false)
		if err != nil {
			t.Fatal(err)
		}
		return s.Fence
	}
	d := f.decide(f.plan("AG-1", "2026-11-23 08:00", "2026-11-23 09:00"), now)
	if d.Fence != stored() {
		t.Fatalf("first decision's fence %d, the store's %d", d.Fence, stored())
	}
	lost := f.plan("AG-2", "2026-11-24 08:00", "2026-11-24 09:00")
	lost.ConfirmBy = now.Add(time.Minute)
	dl, err := f.c.Decide(ctx, lost, f.pol, now) // never written
	if err != nil || dl.Outcome != coord.Accepted {
		t.Fatalf("%+v %v", dl, err)
	}
	if dl.Fence != d.Fence {
		t.Fatalf("a decision on the same state: fence %d, want %d", dl.Fence, d.Fence)
	}
	after := now.Add(2 * time.Minute)
	d = f.decide(f.plan("AG-3", "2026-11-25 08:00", "2026-11-25 09:00"), after)
	if len(d.Dropped) != 1 {
		t.Fatalf("the decision after the hold dropped %+v, want the lost plan", d.Dropped)
	}
	if d.Fence <= dl.Fence || d.Fence != stored() {
		t.Fatalf("after the check: fence %d, the lost plan's %d, the store's %d; want the store's, above the lost plan's", d.Fence, dl.Fence, stored())
	}
	if again := f.decide(f.plan("AG-4", "2026-11-26 08:00", "2026-11-26 09:00"), after); again.Fence != d.Fence {
		t.Fatalf("the next decision's fence %d, want %d", again.Fence, d.Fence)
	}
	// A release after the caller raised the store's fence takes it.
	failed := f.plan("AG-5", "2026-11-27 08:00", "2026-11-27 09:00")
	failed.ConfirmBy = after.Add(time.Minute)
	if _, err := f.c.Decide(ctx, failed, f.pol, after); err != nil {
		t.Fatal(err)
	}
	raised, err := f.rec.Seed(ctx, f.uscc, true)
	if err != nil {
		t.Fatal(err)
	}
	if rd, err := f.c.Release(ctx, failed, raised.Fence, after); err != nil || !rd.NewVisit {
		t.Fatalf("release: %+v %v", rd, err)
	}
	if d := f.decide(f.plan("AG-6", "2026-11-28 08:00", "2026-11-28 09:00"), after); d.Fence != raised.Fence {
		t.Fatalf("after the release: fence %d, want the raised %d", d.Fence, raised.Fence)
	}
	// A release under a fence older than the state's releases nothing: a
	// raise came after it, on which a retry of the plan may have been
	// decided again, its write passing its check; released, it was written
	// uncounted (a review, 2026-12-07). The plan stays held until its hold
	// is up, a duplicate for its agency meanwhile.
	kept := f.plan("AG-10", "2026-12-10 08:00", "2026-12-10 09:00")
	kept.ConfirmBy = after.Add(time.Minute)
	var others []coord.Plan
	for i, agency := range []string{"AG-11", "AG-12"} {
		o := f.plan(agency, fmt.Sprintf("2026-12-1%d 08:00", i+1), fmt.Sprintf("2026-12-1%d 09:00", i+1))
		o.ConfirmBy = after.Add(time.Minute)
		others = append(others, o)
	}
	var fences []int64
	for _, p := range append([]coord.Plan{kept}, others...) {
		if _, err := f.c.Decide(ctx, p, f.pol, after); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range others {
		r, err := f.rec.Seed(ctx, f.uscc, true)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.c.Release(ctx, o, r.Fence, after); err != nil {
			t.Fatal(err)
		}
		fences = append(fences, r.Fence)
	}
	if _, err := f.c.Release(ctx, kept, fences[0], after); err != nil {
		t.Fatal(err)
	}
	f.want(f.decide(f.plan("AG-10", "2026-12-10 08:30", "2026-12-10 09:30"), after), coord.Duplicate)

	// A Forget may drop writes in flight: the next seed raises the fence.
	if err := f.c.Forget(ctx, f.uscc); err != nil {
		t.Fatal(err)
	}
	d = f.decide(f.plan("AG-7", "2026-11-29 08:00", "2026-11-29 09:00"), after)
	if d.Fence <= raised.Fence || d.Fence != stored() {
		t.Fatalf("after a Forget: fence %d, the store's %d; want the store's, above %d", d.Fence, stored(), raised.Fence)
	}
	// A raise the state never took (another replica's seed whose state was
	// never written, a store restored), then a release's: the state cannot
	// stand on the second, since plans may have committed under the first
	// elsewhere. It is dropped, and the next decision stands on a new seed.
	skipped := f.plan("AG-8", "2026-11-30 08:00", "2026-11-30 09:00")
	skipped.ConfirmBy = after.Add(time.Minute)
	if _, err := f.c.Decide(ctx, skipped, f.pol, after); err != nil {
		t.Fatal(err)
	}
	if _, err := f.rec.Seed(ctx, f.uscc, true); err != nil {
		t.Fatal(err)
	}
	second, err := f.rec.Seed(ctx, f.uscc, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.Release(ctx, skipped, second.Fence, after); err != nil {
		t.Fatal(err)
	}
	again := f.plan("AG-8", "2026-11-30 08:30", "2026-11-30 09:30")
	d = f.decide(again, after)
	f.want(d, coord.Accepted) // the released plan is not held
	if d.Fence <= second.Fence || d.Fence != stored() {
		t.Fatalf("after a release past the next fence: fence %d, the store's %d; want the store's, above %d", d.Fence, stored(), second.Fence)
	}
	// A cancellation raises the fence as it writes; its withdrawal takes
	// the next fence, and drops the state past it (a seed read before the
	// cancellation may have written it).
	for i, skip := range []bool{false, true} {
		day := fmt.Sprintf("2026-12-0%d ", i+1)
		p := f.plan("AG-9", day+"08:00", day+"09:00")
		f.want(f.decide(p, after), coord.Accepted)
		if skip {
			if _, err := f.rec.Seed(ctx, f.uscc, true); err != nil {
				t.Fatal(err)
			}
		}
		raised, err := f.rec.Seed(ctx, f.uscc, true)
		if err != nil {
			t.Fatal(err)
		}
		f.rec.Cancel(p)
		wd, err := f.c.Withdraw(ctx, p, raised.Fence, after)
		if err != nil {
			t.Fatal(err)
		}
		if held := wd.Outcome != 0; held == skip {
			t.Fatalf("withdrawal under fence %d (skipping one: %v): %+v", raised.Fence, skip, wd)
		}
		d := f.decide(f.plan("AG-9", day+"08:30", day+"09:30"), after)
		f.want(d, coord.Accepted) // the cancelled plan is not counted
		if d.Fence != stored() || d.Fence < raised.Fence {
			t.Fatalf("after the withdrawal (skipping one: %v): fence %d, the store's %d, the cancellation's %d", skip, d.Fence, stored(), raised.Fence)
		}
	}
}

func testDuplicate(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	a := f.plan("AG-1", "2026-11-23 08:00", "2026-11-23 12:00")
	f.want(f.decide(a, now), coord.Accepted)
	f.want(f.decide(f.plan("AG-2", "2026-11-23 09:00", "2026-11-23 10:00"), now), coord.Joined)
	d := f.decide(f.plan("AG-1", "2026-11-23 11:00", "2026-11-23 13:00"), now)
	f.want(d, coord.Duplicate)
	if d.Existing != a.InspectionID {
		t.Fatalf("duplicate names %q, want %q", d.Existing, a.InspectionID)
	}
	// Not overlapping its own plan is no duplicate.
	f.want(f.decide(f.plan("AG-1", "2026-11-24 08:00", "2026-11-24 12:00"), now), coord.Accepted)
	// A plan whose window has ended is no longer open.
	later := at("2026-11-23 12:30")
	f.want(f.decide(f.plan("AG-1", "2026-11-23 12:40", "2026-11-23 13:00"), later), coord.Accepted)
}

// testClosed: a visit an agency closed (办结) took place. Nothing joins it:
// another agency's plan overlapping it is a visit of its own. Its agency's
// next plan overlapping its window is no duplicate (a 复查 or a 个案 after
// the visit, 有事必到). It still counts towards the warnings, and a late
// record of its agency overlapping it is still the same emergency recorded
// twice. A partner that joined it and has not closed is still open.
func testClosed(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, WarnVisitsPerDay: ptr(1)})
	a := f.plan("AG-1", "2026-11-23 08:00", "2026-11-23 18:00")
	f.want(f.decide(a, now), coord.Accepted)
	partner := f.plan("AG-2", "2026-11-23 09:00", "2026-11-23 17:00")
	f.want(f.decide(partner, now), coord.Joined)

	// AG-1 closes at 11:00, and the service tells the coordinator.
	later := at("2026-11-23 11:00")
	f.rec.Close(a)
	if err := f.c.ClosePlan(ctx, a, later); err != nil {
		t.Fatal(err)
	}

	other := f.plan("AG-3", "2026-11-23 12:00", "2026-11-23 16:00")
	d := f.decide(other, later)
	f.want(d, coord.Accepted)
	if d.JointID != "" || !d.NewVisit {
		t.Fatalf("another agency's plan over a closed visit joined it: %+v", d)
	}
	if len(d.Warnings) != 1 || d.Warnings[0].Count != 2 {
		t.Fatalf("the day's second visit (the closed one counts): warnings %+v, want one at 2", d.Warnings)
	}

	followUp := f.plan("AG-1", "2026-11-23 16:30", "2026-11-23 17:30")
	followUp.Exempt = true // a 个案: a complaint came in after the visit
	d = f.decide(followUp, later)
	f.want(d, coord.Accepted)

	// AG-2 joined AG-1's visit and has not closed its part: still open.
	d = f.decide(f.plan("AG-2", "2026-11-23 09:30", "2026-11-23 10:30"), later)
	f.want(d, coord.Duplicate)
	if d.Existing != partner.InspectionID {
		t.Fatalf("duplicate names %q, want the partner's open plan %q", d.Existing, partner.InspectionID)
	}
	// The emergency of 09:00 recorded late by AG-1: the closed visit.
	late := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00")
	late.Late = true
	d = f.decide(late, later)
	f.want(d, coord.Duplicate)
	if d.Existing != a.InspectionID {
		t.Fatalf("late record's duplicate names %q, want the closed %q", d.Existing, a.InspectionID)
	}

	// A state seeded again reads the close from the store.
	if err := f.c.Forget(ctx, f.uscc); err != nil {
		t.Fatal(err)
	}
	d = f.decide(f.plan("AG-4", "2026-11-23 10:00", "2026-11-23 11:30"), later)
	f.want(d, coord.Accepted)
	if d.JointID != "" {
		t.Fatalf("after a reseed, a plan over the closed visit only joined it: %+v", d)
	}
	followUp2 := f.plan("AG-1", "2026-11-23 17:30", "2026-11-23 18:30")
	followUp2.Exempt = true
	f.want(f.decide(followUp2, later), coord.Accepted)
}

func testWithdraw(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, WarnVisitsPerDay: ptr(1)})
	a := f.plan("AG-1", "2026-11-23 08:00", "2026-11-23 12:00")
	bb := f.plan("AG-2", "2026-11-23 09:00", "2026-11-23 13:00")
	x := f.plan("AG-6", "2026-11-23 10:00", "2026-11-23 13:00")
	f.decide(a, now)
	joint := f.decide(bb, now).JointID
	f.want(f.decide(x, now), coord.Joined)
	d, err := f.c.Withdraw(ctx, a, 0, now)
	if err != nil {
		t.Fatal(err)
	}
	f.rec.Withdraw(a, d)
	if d.JointID != joint || d.LeadAgency != "AG-2" || fmt.Sprint(d.Members) != fmt.Sprint([]string{bb.InspectionID, x.InspectionID}) || d.Heir != bb.InspectionID {
		t.Fatalf("after the lead withdrew: %+v", d)
	}
	// The common time grew to 10:00–13:00: a plan overlapping only the part
	// a had cut off joins now.
	c := f.plan("AG-3", "2026-11-23 12:30", "2026-11-23 14:00")
	dc := f.decide(c, now)
	f.want(dc, coord.Joined)
	if dc.JointID != joint || !dc.CommonStart.Equal(at("2026-11-23 12:30")) {
		t.Fatalf("joined %+v, want the same joint %s", dc, joint)
	}
	// The visit still counts once: a separate visit that day is the second.
	d2 := f.decide(f.plan("AG-4", "2026-11-23 16:00", "2026-11-23 17:00"), now)
	if len(d2.Warnings) != 1 || d2.Warnings[0].Count != 2 {
		t.Fatalf("warnings %+v, want the day's second visit", d2.Warnings)
	}
	// Withdrawing every member ends the visit.
	for _, p := range []coord.Plan{bb, c, x} {
		if _, err := f.c.Withdraw(ctx, p, 0, now); err != nil {
			t.Fatal(err)
		}
		f.rec.Cancel(p)
	}
	d3 := f.decide(f.plan("AG-5", "2026-11-23 18:00", "2026-11-23 19:00"), now)
	if len(d3.Warnings) != 1 || d3.Warnings[0].Count != 2 {
		t.Fatalf("warnings %+v: the withdrawn visit must not count", d3.Warnings)
	}
}

func testAgencyCap(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, AgencyPerYear: ptr(2)})
	f.want(f.decide(f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00"), now), coord.Accepted)
	f.want(f.decide(f.plan("AG-1", "2026-11-24 09:00", "2026-11-24 10:00"), now), coord.Accepted)
	d := f.decide(f.plan("AG-1", "2026-11-25 09:00", "2026-11-25 10:00"), now)
	f.want(d, coord.Capped)
	if d.Cap.Rule != "agency_per_year" || d.Cap.Limit != 2 || d.Cap.Count != 3 || d.Cap.Period != "2026年" {
		t.Fatalf("cap %+v", d.Cap)
	}
	// 有事必到: a case-triggered check is not capped.
	p := f.plan("AG-1", "2026-11-25 09:00", "2026-11-25 10:00")
	p.Exempt = true
	f.want(f.decide(p, now), coord.Accepted)
	// Another agency has its own count.
	f.want(f.decide(f.plan("AG-2", "2026-11-26 09:00", "2026-11-26 10:00"), now), coord.Accepted)
	// Next year starts again.
	f.want(f.decide(f.plan("AG-1", "2027-01-04 09:00", "2027-01-04 10:00"), now), coord.Accepted)
}

func testYearBoundary(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, AgencyPerYear: ptr(1)})
	decNow := at("2026-12-30 12:00")
	// 23:30 on 31 December and 00:30 on 1 January, Beijing time, are
	// different years, though both are 31 December in UTC.
	f.want(f.decide(f.plan("AG-1", "2026-12-31 23:30", "2026-12-31 23:50"), decNow), coord.Accepted)
	f.want(f.decide(f.plan("AG-1", "2027-01-01 00:30", "2027-01-01 01:00"), decNow), coord.Accepted)
	d := f.decide(f.plan("AG-1", "2026-12-31 10:00", "2026-12-31 11:00"), decNow)
	f.want(d, coord.Capped)
	if d.Cap.Period != "2026年" {
		t.Fatalf("cap period %q", d.Cap.Period)
	}
	d = f.decide(f.plan("AG-1", "2027-01-05 10:00", "2027-01-05 11:00"), decNow)
	if d.Outcome != coord.Capped || d.Cap.Period != "2027年" {
		t.Fatalf("second 2027 inspection: %+v", d)
	}
}

func testLeapYear(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, AgencyPerYear: ptr(1)})
	f.want(f.decide(f.plan("AG-1", "2028-02-29 09:00", "2028-02-29 10:00"), at("2028-02-28 09:00")), coord.Accepted)
	// 366 days in 2028: a 365-day period would have ended on 30 December.
	d := f.decide(f.plan("AG-1", "2028-12-31 20:00", "2028-12-31 21:00"), at("2028-12-31 08:00"))
	f.want(d, coord.Capped)
	f.want(f.decide(f.plan("AG-1", "2029-01-01 09:00", "2029-01-01 10:00"), at("2028-12-31 08:00")), coord.Accepted)
}

func testGradeA(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, ProactivePerYearByGrade: map[string]int{"A": 0, "C": 3}})
	p := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00")
	p.Grade = "A"
	d := f.decide(p, now)
	f.want(d, coord.Capped)
	if d.Cap.Rule != "grade_A_per_year" || d.Cap.Limit != 0 {
		t.Fatalf("cap %+v", d.Cap)
	}
	p = f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00")
	p.Grade, p.Exempt = "A", true
	f.want(f.decide(p, now), coord.Accepted)
}

func testWarnings(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, WarnVisitsPerDay: ptr(1), WarnVisitsPerWeek: ptr(2), WarnVisitsPerMonth: ptr(3)})
	// 2026-11-23 is a Monday.
	rules := func(d coord.Decision) string {
		var out []string
		for _, w := range d.Warnings {
			out = append(out, fmt.Sprintf("%s=%d", w.Rule, w.Count))
		}
		sort.Strings(out)
		return fmt.Sprint(out)
	}
	steps := []struct{ agency, from, to, want string }{
		{"AG-1", "2026-11-23 09:00", "2026-11-23 10:00", "[]"},
		{"AG-2", "2026-11-23 09:30", "2026-11-23 10:30", "[]"}, // joins: no new visit
		{"AG-3", "2026-11-24 09:00", "2026-11-24 10:00", "[]"},
		{"AG-4", "2026-11-24 14:00", "2026-11-24 15:00", "[visits_per_day=2 visits_per_week=3]"},
		{"AG-5", "2026-11-30 09:00", "2026-11-30 10:00", "[visits_per_month=4]"}, // next week
	}
	for i, s := range steps {
		d := f.decide(f.plan(s.agency, s.from, s.to), now)
		if d.Outcome != coord.Accepted && d.Outcome != coord.Joined {
			t.Fatalf("step %d: %+v", i, d)
		}
		if got := rules(d); got != s.want {
			t.Fatalf("step %d (%s): warnings %s, want %s", i, s.from, got, s.want)
		}
	}
}

func testRelease(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, AgencyPerYear: ptr(1)})
	p := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00")
	p.ConfirmBy = now.Add(time.Minute)
	d, err := f.c.Decide(ctx, p, f.pol, now)
	if err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("%+v %v", d, err)
	}
	// The store write failed: the reservation is released and not recorded.
	if _, err := f.c.Release(ctx, p, 0, now); err != nil {
		t.Fatal(err)
	}
	f.want(f.decide(f.plan("AG-1", "2026-11-23 09:30", "2026-11-23 10:30"), now), coord.Accepted)
}

// testReleaseKeepsRetry: a request's first attempt decides a plan and its
// write fails late, while a retry (the same plan, a later hold) is still
// writing. The first attempt's release leaves the retry's hold: the plan
// stays counted (an overlapping plan of the same agency is a duplicate),
// and the retry's confirmation finds it. The retry's own release, had its
// write failed too, takes it back. Found by a read-only review, 2026-12-03:
// the first release dropped the plan the retry then wrote.
func testReleaseKeepsRetry(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing})
	first := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00")
	first.ConfirmBy = now.Add(30 * time.Second)
	// Not recorded: the store never holds it.
	if d, err := f.c.Decide(ctx, first, f.pol, now); err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("%+v %v", d, err)
	}
	retry := first
	retry.ConfirmBy = now.Add(50 * time.Second)
	if d, err := f.c.Decide(ctx, retry, f.pol, now.Add(20*time.Second)); err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("the retry's decision: %+v %v, want the first's answer", d, err)
	}
	if rd, err := f.c.Release(ctx, first, 0, now.Add(25*time.Second)); err != nil || rd.Version != 0 {
		t.Fatalf("the first attempt's release: %+v %v; want nothing released", rd, err)
	}
	overlap := f.plan("AG-1", "2026-11-23 09:30", "2026-11-23 10:30")
	f.want(f.decide(overlap, now.Add(26*time.Second)), coord.Duplicate)
	if rd, err := f.c.Release(ctx, retry, 0, now.Add(27*time.Second)); err != nil || rd.Version == 0 {
		t.Fatalf("the retry's release: %+v %v; want the plan released", rd, err)
	}
	f.want(f.decide(overlap, now.Add(28*time.Second)), coord.Accepted)
}

// testReseed loses the coordinator's state halfway (a Redis restarted
// empty, a new process) and checks that the decisions that follow are the
// ones an uninterrupted coordinator makes.
func testReseed(t *testing.T, b Backend) {
	pol := coord.Policy{Zone: Beijing, AgencyPerYear: ptr(2), WarnVisitsPerDay: ptr(1), WarnVisitsPerWeek: ptr(2)}
	f := newFixture(t, b, pol)
	ref := coord.NewState(coord.Seed{}, pol, now)
	script := []struct{ agency, from, to string }{
		{"AG-1", "2026-11-23 08:00", "2026-11-23 10:00"},
		{"AG-2", "2026-11-23 09:00", "2026-11-23 11:00"},
		{"AG-3", "2026-11-23 10:30", "2026-11-23 12:00"},
		{"AG-1", "2026-11-24 08:00", "2026-11-24 09:00"},
		{"AG-4", "2026-11-24 14:00", "2026-11-24 15:00"},
		// --- state lost here ---
		{"AG-1", "2026-11-25 08:00", "2026-11-25 09:00"}, // third of AG-1: capped
		{"AG-5", "2026-11-23 11:30", "2026-11-23 13:00"}, // joins the first visit
		{"AG-2", "2026-11-23 10:00", "2026-11-23 10:30"}, // duplicate of AG-2's plan
		{"AG-6", "2026-11-25 08:00", "2026-11-25 09:00"}, // warnings
		{"AG-2", "2026-11-26 08:00", "2026-11-26 09:00"},
	}
	for i, s := range script {
		if i == 5 {
			if err := f.c.Forget(ctx, f.uscc); err != nil {
				t.Fatal(err)
			}
		}
		p := f.plan(s.agency, s.from, s.to)
		got := f.decide(p, now)
		want := ref.Decide(p, pol, now)
		if summary(got) != summary(want) {
			t.Fatalf("step %d: got %s\nwant %s", i, summary(got), summary(want))
		}
	}
}

// testLegacySeed: the store holds A–B–C as one joint inspection, as the
// older transitive rule made it, though A and C share no minute. The seed
// splits it: A and B stay one visit (common time 11:00–12:00), C is alone.
func testLegacySeed(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	a := f.plan("AG-1", "2026-11-23 10:00", "2026-11-23 12:00")
	bb := f.plan("AG-2", "2026-11-23 11:00", "2026-11-23 13:00")
	c := f.plan("AG-3", "2026-11-23 12:30", "2026-11-23 14:00")
	for i, p := range []coord.Plan{a, bb, c} {
		f.rec.Apply(p, coord.Decision{Outcome: coord.Joined, JointID: "JNT-LEGACY", Members: []string{p.InspectionID}, Version: int64(i + 1)})
	}
	d := f.decide(f.plan("AG-4", "2026-11-23 12:30", "2026-11-23 13:30"), now)
	if d.Outcome != coord.Joined || d.JointID != coord.JointIDFor(c.InspectionID) || fmt.Sprint(d.Members) != fmt.Sprint([]string{c.InspectionID, d.Members[1]}) || d.LeadAgency != "AG-3" {
		t.Fatalf("a plan in C's window after the reseed: %+v, want C's visit", d)
	}
	e := f.decide(f.plan("AG-5", "2026-11-23 11:00", "2026-11-23 12:00"), now)
	if e.Outcome != coord.Joined || e.JointID != "JNT-LEGACY" || len(e.Members) != 3 || e.Members[0] != a.InspectionID || !e.CommonStart.Equal(at("2026-11-23 11:00")) {
		t.Fatalf("a plan in A and B's common time: %+v", e)
	}
}

func summary(d coord.Decision) string {
	s := fmt.Sprintf("%s joint=%s lead=%s members=%v existing=%s common=%d–%d", d.Outcome, d.JointID, d.LeadAgency, d.Members, d.Existing, d.CommonStart.UnixMilli(), d.CommonEnd.UnixMilli())
	if d.Cap != nil {
		s += fmt.Sprintf(" cap=%+v", *d.Cap)
	}
	for _, w := range d.Warnings {
		s += fmt.Sprintf(" warn=%+v", w)
	}
	return s
}

// testConcurrent: 8 clients (replicas) make 64 decisions at once for one
// enterprise, every window overlapping, 9 agencies. Exactly one plan per
// agency is accepted, all in one joint inspection, repeated 50 times.
func testConcurrent(t *testing.T, b Backend) {
	const clients, decisions, rounds, agencies = 8, 64, 50, 9
	rec := recordFor(t, b)
	cs := make([]coord.Coordinator, clients)
	for i := range cs {
		cs[i] = b.Client(t, rec.Seed)
	}
	pol := coord.Policy{Zone: Beijing, AgencyPerYear: ptr(2)}
	for round := 0; round < rounds; round++ {
		uscc := freshUSCC()
		var mu sync.Mutex
		var accepted []coord.Plan
		var decided []coord.Decision
		var wg sync.WaitGroup
		errs := make(chan error, decisions)
		for i := 0; i < decisions; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				start := at("2026-11-23 08:00").Add(time.Duration(i%7) * 10 * time.Minute)
				p := coord.Plan{InspectionID: fmt.Sprintf("INS-C%02d-%03d", round, i), AgencyID: fmt.Sprintf("AG-%d", i%agencies), USCC: uscc, Start: start, End: start.Add(3 * time.Hour), Grade: "B"}
				// As the service registers: a plan the store refuses as
				// decided under a fence behind its own (a seed of another
				// client came between) is decided again; behind twice on
				// one fence, the state is forgotten first.
				var d coord.Decision
				last, stuck := int64(-1), 0
				for attempt := 1; ; attempt++ {
					var err error
					if d, err = cs[i%clients].Decide(ctx, p, pol, now); err != nil {
						errs <- err
						return
					}
					if rec.Apply(p, d) {
						break
					}
					if attempt == 6 {
						errs <- fmt.Errorf("%s decided under a fence behind the store's six times", p.InspectionID)
						return
					}
					if d.Fence == last {
						stuck++
					} else {
						stuck = 0
					}
					last = d.Fence
					if stuck == 2 {
						if err := cs[i%clients].Forget(ctx, uscc); err != nil {
							errs <- err
							return
						}
					}
					time.Sleep(time.Duration(attempt) * 10 * time.Millisecond)
				}
				mu.Lock()
				defer mu.Unlock()
				if d.Outcome == coord.Accepted || d.Outcome == coord.Joined {
					accepted = append(accepted, p)
					decided = append(decided, d)
				}
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if len(accepted) != agencies {
			t.Fatalf("round %d: %d plans accepted, want one per agency (%d)", round, len(accepted), agencies)
		}
		perAgency := map[string]int{}
		for _, p := range accepted {
			perAgency[p.AgencyID]++
		}
		for a, n := range perAgency {
			if n != 1 {
				t.Fatalf("round %d: agency %s has %d overlapping plans accepted", round, a, n)
			}
		}
		// The decision with the highest version sees the final joint.
		last := decided[0]
		for _, d := range decided {
			if d.Version > last.Version {
				last = d
			}
		}
		if len(last.Members) != agencies || last.JointID == "" {
			t.Fatalf("round %d: final joint %s has %d members, want %d", round, last.JointID, len(last.Members), agencies)
		}
		joints := map[string]bool{}
		for _, d := range decided {
			if d.Outcome == coord.Joined {
				joints[d.JointID] = true
			}
		}
		if len(joints) != 1 {
			t.Fatalf("round %d: plans joined %d different joint inspections: %v", round, len(joints), joints)
		}
	}
}

// visit is a plan for a visit that is not an inspection (走访调研 and the like).
func (f *fixture) visit(agency, from, to string) coord.Plan {
	p := f.plan(agency, from, to)
	p.NotInspection = true
	return p
}

func testNotInspection(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	ins := f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 12:00")
	f.want(f.decide(ins, now), coord.Accepted)
	// A survey in the same window joins no inspection: it is a visit of its own.
	survey := f.visit("AG-2", "2026-11-23 09:00", "2026-11-23 12:00")
	d := f.decide(survey, now)
	f.want(d, coord.Accepted)
	if !d.NewVisit || d.JointID != "" {
		t.Fatalf("survey: %s, want a visit of its own", summary(d))
	}
	// An inspection joins the inspection, never the survey.
	second := f.plan("AG-3", "2026-11-23 10:00", "2026-11-23 11:00")
	d = f.decide(second, now)
	f.want(d, coord.Joined)
	if fmt.Sprint(d.Members) != fmt.Sprint([]string{ins.InspectionID, second.InspectionID}) {
		t.Fatalf("members %v, want the two inspections", d.Members)
	}
	// A survey first: an inspection of another agency at that time is
	// alone, not merged into it.
	early := f.visit("AG-4", "2026-11-24 09:00", "2026-11-24 12:00")
	f.want(f.decide(early, now), coord.Accepted)
	later := f.plan("AG-5", "2026-11-24 09:00", "2026-11-24 12:00")
	if d := f.decide(later, now); d.Outcome != coord.Accepted || d.JointID != "" {
		t.Fatalf("inspection after a survey: %s, want alone", summary(d))
	}
	// The same agency overlapping its own plan is a duplicate, whatever the kind.
	f.want(f.decide(f.visit("AG-1", "2026-11-23 11:00", "2026-11-23 13:00"), now), coord.Duplicate)
	// The same id asked again as another kind is another request: refused.
	again := survey
	again.NotInspection = false
	f.want(f.decide(again, now), coord.Duplicate)
}

func testEntries(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, AgencyPerYear: ptr(1), WarnVisitsPerDay: ptr(1),
		EntriesPerYear: ptr(4), WarnEntriesPerDay: ptr(1), WarnEntriesPerWeek: ptr(3)})
	rules := func(d coord.Decision) string {
		var out []string
		for _, w := range d.Warnings {
			out = append(out, fmt.Sprintf("%s=%d", w.Rule, w.Count))
		}
		sort.Strings(out)
		return fmt.Sprint(out)
	}
	// 2026-11-23 is a Monday.
	steps := []struct {
		p    coord.Plan
		want coord.Outcome
		warn string
	}{
		{f.plan("AG-1", "2026-11-23 09:00", "2026-11-23 10:00"), coord.Accepted, "[]"},
		// A survey the same day: a second entry, not a second inspection.
		{f.visit("AG-2", "2026-11-23 14:00", "2026-11-23 15:00"), coord.Accepted, "[entries_per_day=2]"},
		// An inspection joining the first adds no entry.
		{f.plan("AG-3", "2026-11-23 09:00", "2026-11-23 10:00"), coord.Joined, "[]"},
		// The agency's cap counts inspections only: AG-1 may still visit.
		{f.visit("AG-1", "2026-11-24 09:00", "2026-11-24 10:00"), coord.Accepted, "[]"},
		{f.visit("AG-4", "2026-11-25 09:00", "2026-11-25 10:00"), coord.Accepted, "[entries_per_week=4]"},
		// Over the cap on all entries: refused, inspection or not.
		{f.visit("AG-5", "2026-11-26 09:00", "2026-11-26 10:00"), coord.Capped, "[]"},
		{f.plan("AG-6", "2026-11-27 09:00", "2026-11-27 10:00"), coord.Capped, "[]"},
	}
	for i, s := range steps {
		d := f.decide(s.p, now)
		if d.Outcome != s.want {
			t.Fatalf("step %d: %s, want %s", i, summary(d), s.want)
		}
		if d.Outcome == coord.Capped {
			if d.Cap == nil || d.Cap.Rule != "entries_per_year" || d.Cap.Count != 5 {
				t.Fatalf("step %d: cap %+v, want entries_per_year at 5", i, d.Cap)
			}
			continue
		}
		if got := rules(d); got != s.warn {
			t.Fatalf("step %d: warnings %s, want %s", i, got, s.warn)
		}
	}
	// A case-triggered check is never capped (有事必到), but still counted.
	c := f.plan("AG-7", "2026-11-27 14:00", "2026-11-27 15:00")
	c.Exempt = true
	f.want(f.decide(c, now), coord.Accepted)
}
