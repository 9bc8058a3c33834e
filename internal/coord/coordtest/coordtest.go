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

// Record is the store as the suite keeps it: what a service writes after
// each decision, and what a seeder reads back.
type Record struct {
	mu      sync.Mutex
	plans   map[string][]coord.Plan // by enterprise, registration order
	joint   map[string]string       // inspection → joint, as of jointV
	jointV  map[string]int64
	version map[string]int64
}

// NewRecord returns an empty record.
func NewRecord() *Record {
	return &Record{plans: map[string][]coord.Plan{}, joint: map[string]string{}, jointV: map[string]int64{}, version: map[string]int64{}}
}

// Apply writes what a decision says, as the service does: the plan if
// accepted, and joint membership where the decision's version is newer.
func (r *Record) Apply(p coord.Plan, d coord.Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
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

// Seed derives the seed: joint ids from the newest decisions, and the visit
// held by the earliest plan of each joint inspection.
func (r *Record) Seed(_ context.Context, uscc string) (coord.Seed, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	seed := coord.Seed{Version: r.version[uscc]}
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

// Run runs the suite.
func Run(t *testing.T, b Backend) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Backend)
	}{
		{"Alone_IsAcceptedAsNewVisit", testAlone},
		{"TouchingWindows_DoNotMerge_OverlapBridges", testEdge},
		{"ChainOfThree_ThirdJoinsViaSecond", testChain},
		{"SameAgencyOverlap_IsDuplicate", testDuplicate},
		{"Withdrawal_JointGoesOnWithNewLead", testWithdraw},
		{"AgencyCapPerYear_ExemptCaseChecks", testAgencyCap},
		{"YearBoundary_InBeijingTime", testYearBoundary},
		{"LeapYear_CountLastsToDecember31", testLeapYear},
		{"GradeA_NoProactiveInspection", testGradeA},
		{"Warnings_DayWeekMonth", testWarnings},
		{"Release_UndoesReservation", testRelease},
		{"Reseed_AfterLoss_DecidesTheSame", testReseed},
		{"Concurrent_ManyClients_OneJointInspection", testConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, b) })
	}
}

// fixture is one enterprise, a record and a client.
type fixture struct {
	t    *testing.T
	rec  *Record
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
	rec := NewRecord()
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
	// One minute of overlap with each bridges them into one visit.
	c := f.plan("AG-3", "2026-11-23 11:59", "2026-11-23 12:01")
	dc := f.decide(c, now)
	f.want(dc, coord.Joined)
	if dc.JointID != coord.JointIDFor(a.InspectionID) || fmt.Sprint(dc.Members) != fmt.Sprint([]string{a.InspectionID, bb.InspectionID, c.InspectionID}) {
		t.Fatalf("bridge: %+v", dc)
	}
	if dc.VisitsMerged != 1 {
		t.Fatalf("bridge of two visits: VisitsMerged %d, want 1", dc.VisitsMerged)
	}
	sort.Strings(dc.Regrouped)
	if fmt.Sprint(dc.Regrouped) != fmt.Sprint([]string{a.InspectionID, bb.InspectionID}) {
		t.Fatalf("regrouped %v", dc.Regrouped)
	}
	// The bridge made two visits one: a new visit that day is the second.
	d := f.decide(f.plan("AG-4", "2026-11-23 18:00", "2026-11-23 19:00"), now)
	if len(d.Warnings) != 1 || d.Warnings[0].Count != 2 {
		t.Fatalf("after the bridge, a new visit should be the day's second: %+v", d.Warnings)
	}
}

func testChain(t *testing.T, b Backend) {
	f := newFixture(t, b, permissive())
	a := f.plan("AG-1", "2026-11-23 08:00", "2026-11-23 10:00")
	bb := f.plan("AG-2", "2026-11-23 09:00", "2026-11-23 11:00")
	c := f.plan("AG-3", "2026-11-23 10:30", "2026-11-23 12:00") // overlaps b only
	f.want(f.decide(a, now), coord.Accepted)
	db := f.decide(bb, now)
	f.want(db, coord.Joined)
	dc := f.decide(c, now)
	f.want(dc, coord.Joined)
	if dc.JointID != db.JointID || dc.LeadAgency != "AG-1" || len(dc.Members) != 3 || len(dc.Regrouped) != 0 {
		t.Fatalf("chain: %+v (first join %+v)", dc, db)
	}
	if dc.Version <= db.Version {
		t.Fatalf("versions do not grow: %d then %d", db.Version, dc.Version)
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

func testWithdraw(t *testing.T, b Backend) {
	f := newFixture(t, b, coord.Policy{Zone: Beijing, WarnVisitsPerDay: ptr(1)})
	a := f.plan("AG-1", "2026-11-23 08:00", "2026-11-23 12:00")
	bb := f.plan("AG-2", "2026-11-23 09:00", "2026-11-23 13:00")
	f.decide(a, now)
	joint := f.decide(bb, now).JointID
	d, err := f.c.Withdraw(ctx, a, now)
	if err != nil {
		t.Fatal(err)
	}
	f.rec.Withdraw(a, d)
	if d.JointID != joint || d.LeadAgency != "AG-2" || fmt.Sprint(d.Members) != fmt.Sprint([]string{bb.InspectionID}) {
		t.Fatalf("after the lead withdrew: %+v", d)
	}
	c := f.plan("AG-3", "2026-11-23 12:30", "2026-11-23 14:00") // overlaps b only
	dc := f.decide(c, now)
	f.want(dc, coord.Joined)
	if dc.JointID != joint {
		t.Fatalf("joined %s, want the same joint %s", dc.JointID, joint)
	}
	// The visit still counts once: a separate visit that day is the second.
	d2 := f.decide(f.plan("AG-4", "2026-11-23 16:00", "2026-11-23 17:00"), now)
	if len(d2.Warnings) != 1 || d2.Warnings[0].Count != 2 {
		t.Fatalf("warnings %+v, want the day's second visit", d2.Warnings)
	}
	// Withdrawing every member ends the visit.
	for _, p := range []coord.Plan{bb, c} {
		if _, err := f.c.Withdraw(ctx, p, now); err != nil {
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
	d, err := f.c.Decide(ctx, p, f.pol, now)
	if err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("%+v %v", d, err)
	}
	// The store write failed: the reservation is released and not recorded.
	if err := f.c.Release(ctx, p, now); err != nil {
		t.Fatal(err)
	}
	f.want(f.decide(f.plan("AG-1", "2026-11-23 09:30", "2026-11-23 10:30"), now), coord.Accepted)
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

func summary(d coord.Decision) string {
	s := fmt.Sprintf("%s joint=%s lead=%s members=%v existing=%s merged=%d", d.Outcome, d.JointID, d.LeadAgency, d.Members, d.Existing, d.VisitsMerged)
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
	rec := NewRecord()
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
				d, err := cs[i%clients].Decide(ctx, p, pol, now)
				if err != nil {
					errs <- err
					return
				}
				rec.Apply(p, d)
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
