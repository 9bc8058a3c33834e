package local_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/local"
)

var (
	ctx = context.Background()
	// now is the decision time of these tests: late November 2026, the
	// plans in the following days, Beijing time.
	now = at("2026-11-20 09:00")
)

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, coordtest.Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(n int) *int { return &n }

// countingSeeder counts the seeds read, to tell a reseed from a held state.
type countingSeeder struct {
	rec *coordtest.Record
	n   atomic.Int64
}

func (s *countingSeeder) Seed(ctx context.Context, uscc string, fence bool) (coord.Seed, error) {
	s.n.Add(1)
	return s.rec.Seed(ctx, uscc, fence)
}

// summary is what a decision says, but its version: a withdrawal the
// forgotten coordinator never saw bumps the other's version only.
func summary(d coord.Decision) string {
	s := fmt.Sprintf("%s joint=%s lead=%s members=%v existing=%s new=%v common=%d–%d", d.Outcome, d.JointID, d.LeadAgency, d.Members, d.Existing, d.NewVisit, d.CommonStart.UnixMilli(), d.CommonEnd.UnixMilli())
	if d.Cap != nil {
		s += fmt.Sprintf(" cap=%+v", *d.Cap)
	}
	for _, w := range d.Warnings {
		s += fmt.Sprintf(" warn=%+v", w)
	}
	return s
}

// TestEvicted_DecidesAsBefore: a coordinator that holds one enterprise and
// forgets it before every step (another enterprise's call pushes it out)
// decides, after each reseed, as one that never forgot: joins, the
// largest-overlap pick, duplicates, the agency cap, visit warnings, and
// withdrawals of a lead and of a plan alone (written to the store as the
// service does).
func TestEvicted_DecidesAsBefore(t *testing.T) {
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(2), WarnVisitsPerDay: ptr(1), WarnVisitsPerWeek: ptr(2)}
	const uscc, other = "915101000000000001", "915101000000000002"
	refRec, evRec := coordtest.NewRecord(), coordtest.NewRecord()
	ref := local.New(refRec.Seed)
	seeder := &countingSeeder{rec: evRec}
	ev := local.NewBounded(seeder.Seed, local.Bound{MaxEnterprises: 1})

	type step struct {
		agency, from, to string
		withdraw         int // withdraw the plan of this step (1-based) instead
	}
	script := []step{
		{agency: "AG-1", from: "2026-11-23 08:00", to: "2026-11-23 10:00"},
		{agency: "AG-2", from: "2026-11-23 09:00", to: "2026-11-23 11:00"}, // joins
		{agency: "AG-3", from: "2026-11-23 10:30", to: "2026-11-23 12:00"}, // overlaps a member, not the common time
		{agency: "AG-1", from: "2026-11-24 08:00", to: "2026-11-24 09:00"},
		{agency: "AG-1", from: "2026-11-25 08:00", to: "2026-11-25 09:00"}, // AG-1's third: capped
		{agency: "AG-2", from: "2026-11-23 10:00", to: "2026-11-23 10:30"}, // AG-2's own plan: duplicate
		{agency: "AG-4", from: "2026-11-23 09:00", to: "2026-11-23 10:00"}, // joins the first visit
		{agency: "AG-5", from: "2026-11-25 08:00", to: "2026-11-25 09:00"}, // warnings: day and week
		{withdraw: 1}, // the lead withdraws: AG-2 holds the visit
		{agency: "AG-6", from: "2026-11-23 09:30", to: "2026-11-23 10:00"}, // joins what remains
		{withdraw: 4}, // a plan alone: its cap and visit come back
		{agency: "AG-1", from: "2026-11-26 08:00", to: "2026-11-26 09:00"}, // AG-1 has room again
		{agency: "AG-7", from: "2026-11-26 08:30", to: "2026-11-26 09:30"}, // joins it
	}
	plans := make([]coord.Plan, len(script))
	for i, s := range script {
		// Another enterprise's call: the working set of one forgets uscc.
		if err := ev.Confirm(ctx, coord.Plan{USCC: other, InspectionID: "INS-NOISE"}, now); err != nil {
			t.Fatal(err)
		}
		if st := ev.Stats(); st.Enterprises != 1 {
			t.Fatalf("step %d: %d enterprises held, want 1", i, st.Enterprises)
		}
		if s.withdraw > 0 {
			p := plans[s.withdraw-1]
			refRec.Cancel(p)
			evRec.Cancel(p)
			rd, err := ref.Withdraw(ctx, p, 0, now)
			if err != nil {
				t.Fatal(err)
			}
			refRec.Withdraw(p, rd)
			ed, err := ev.Withdraw(ctx, p, 0, now)
			if err != nil {
				t.Fatal(err)
			}
			if ed.Version != 0 {
				t.Fatalf("step %d: withdrawal from a forgotten enterprise answered %+v, want nothing held", i, ed)
			}
			evRec.Withdraw(p, ed)
			continue
		}
		p := coord.Plan{InspectionID: fmt.Sprintf("INS-E-%02d", i+1), AgencyID: s.agency, USCC: uscc, Start: at(s.from), End: at(s.to), Grade: "B"}
		plans[i] = p
		seeds := seeder.n.Load()
		want, err := ref.Decide(ctx, p, pol, now)
		if err != nil {
			t.Fatal(err)
		}
		refRec.Apply(p, want)
		got, err := ev.Decide(ctx, p, pol, now)
		if err != nil {
			t.Fatal(err)
		}
		evRec.Apply(p, got)
		if seeder.n.Load() != seeds+1 {
			t.Fatalf("step %d: %d seeds read, want one: the enterprise was not forgotten", i, seeder.n.Load()-seeds)
		}
		if summary(got) != summary(want) {
			t.Fatalf("step %d after a reseed: got  %s\nwant %s", i, summary(got), summary(want))
		}
	}
	if st := ev.Stats(); st.Evictions < uint64(len(script)) {
		t.Fatalf("%d evictions, want one before each of %d steps at least", st.Evictions, len(script))
	}
}

// TestPending_NeverEvicted: an enterprise whose decision waits for its
// store write stays held however many others pass, and however long it
// waits; once confirmed it is forgotten like the others.
func TestPending_NeverEvicted(t *testing.T) {
	const max, others = 10, 1000
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(1)}
	rec := coordtest.NewRecord()
	seeder := &countingSeeder{rec: rec}
	clock := now
	c := local.NewBounded(seeder.Seed, local.Bound{MaxEnterprises: max, IdleAfter: time.Minute, Clock: func() time.Time { return clock }})
	fill := func(round int) {
		t.Helper()
		for i := range others {
			clock = clock.Add(time.Second)
			p := coord.Plan{InspectionID: fmt.Sprintf("INS-O-%d-%d", round, i), AgencyID: "AG-1", USCC: fmt.Sprintf("O%d-%d", round, i), Start: at("2026-11-23 08:00"), End: at("2026-11-23 09:00"), Grade: "B"}
			d, err := c.Decide(ctx, p, pol, now)
			if err != nil || d.Outcome != coord.Accepted {
				t.Fatalf("%+v %v", d, err)
			}
			rec.Apply(p, d)
			if st := c.Stats(); st.Enterprises > max+1 {
				t.Fatalf("%d enterprises held, bound %d and one pending", st.Enterprises, max)
			}
		}
	}

	p := coord.Plan{InspectionID: "INS-P-1", AgencyID: "AG-1", USCC: "PENDING", Start: at("2026-11-23 08:00"), End: at("2026-11-23 10:00"), Grade: "B", ConfirmBy: now.Add(time.Hour)}
	if d, err := c.Decide(ctx, p, pol, now); err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("%+v %v", d, err)
	}
	fill(1) // the store has not got p: forgetting it would lose the reservation
	seeds := seeder.n.Load()
	q := coord.Plan{InspectionID: "INS-P-2", AgencyID: "AG-1", USCC: "PENDING", Start: at("2026-11-23 09:00"), End: at("2026-11-23 11:00"), Grade: "B"}
	d, err := c.Decide(ctx, q, pol, now)
	if err != nil || d.Outcome != coord.Duplicate || d.Existing != p.InspectionID {
		t.Fatalf("the same agency again after %d others: %+v %v, want a duplicate of the pending plan", others, d, err)
	}
	if seeder.n.Load() != seeds {
		t.Fatal("the pending enterprise was seeded again: it had been forgotten")
	}

	// Its write commits: it is now the store's, and may be forgotten.
	rec.Apply(p, coord.Decision{Outcome: coord.Accepted})
	if err := c.Confirm(ctx, p, now); err != nil {
		t.Fatal(err)
	}
	fill(2)
	seeds = seeder.n.Load()
	r := coord.Plan{InspectionID: "INS-P-3", AgencyID: "AG-1", USCC: "PENDING", Start: at("2026-11-25 09:00"), End: at("2026-11-25 10:00"), Grade: "B"}
	d, err = c.Decide(ctx, r, pol, now)
	if err != nil || d.Outcome != coord.Capped {
		t.Fatalf("after a reseed, AG-1's second plan of the year: %+v %v, want capped by the stored one", d, err)
	}
	if seeder.n.Load() != seeds+1 {
		t.Fatal("the confirmed enterprise was still held: it was never forgotten")
	}
}

// TestIdle_Forgotten: an enterprise not used for IdleAfter is forgotten at
// the next call, whatever the count.
func TestIdle_Forgotten(t *testing.T) {
	rec := coordtest.NewRecord()
	clock := now
	c := local.NewBounded(rec.Seed, local.Bound{MaxEnterprises: 100, IdleAfter: time.Minute, Clock: func() time.Time { return clock }})
	pol := coord.Policy{Zone: coordtest.Beijing}
	decide := func(uscc string) {
		t.Helper()
		p := coord.Plan{InspectionID: "INS-" + uscc, AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 08:00"), End: at("2026-11-23 09:00"), Grade: "B"}
		if _, err := c.Decide(ctx, p, pol, now); err != nil {
			t.Fatal(err)
		}
	}
	decide("A")
	clock = clock.Add(30 * time.Second)
	decide("B")
	if st := c.Stats(); st.Enterprises != 2 || st.Evictions != 0 {
		t.Fatalf("%+v, want A and B held", st)
	}
	clock = clock.Add(45 * time.Second) // A idle 75 s, B 45 s
	decide("C")
	if st := c.Stats(); st.Enterprises != 2 || st.Evictions != 1 {
		t.Fatalf("%+v, want A forgotten, B and C held", st)
	}
}

// TestBound_ManyEnterprisesConcurrently: 8 callers deciding for 20,000
// enterprises keep at most the bound, plus the calls in progress.
func TestBound_ManyEnterprisesConcurrently(t *testing.T) {
	const max, callers, enterprises = 100, 8, 20_000
	c := local.NewBounded(func(context.Context, string, bool) (coord.Seed, error) { return coord.Seed{}, nil }, local.Bound{MaxEnterprises: max})
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(2)}
	var wg sync.WaitGroup
	var over atomic.Int64
	for w := range callers {
		wg.Go(func() {
			for i := w; i < enterprises; i += callers {
				p := coord.Plan{InspectionID: fmt.Sprintf("INS-%d", i), AgencyID: "AG-1", USCC: fmt.Sprintf("E%d", i), Start: at("2026-11-23 08:00"), End: at("2026-11-23 09:00"), Grade: "B", ConfirmBy: now.Add(time.Minute)}
				if d, err := c.Decide(ctx, p, pol, now); err != nil || d.Outcome != coord.Accepted {
					t.Errorf("%+v %v", d, err)
					return
				}
				// Held pending until confirmed, as the service does.
				if err := c.Confirm(ctx, p, now); err != nil {
					t.Error(err)
					return
				}
				if n := c.Stats().Enterprises; n > max+callers {
					over.Store(int64(n))
				}
			}
		})
	}
	wg.Wait()
	if n := over.Load(); n > 0 {
		t.Fatalf("%d enterprises held at once, bound %d with %d calls in progress", n, max, callers)
	}
	st := c.Stats()
	if st.Enterprises > max || st.Evictions != uint64(enterprises-st.Enterprises) {
		t.Fatalf("%+v after %d enterprises, want at most %d held and the rest evicted", st, enterprises, max)
	}
}

// TestPendingNeverForgotten: an enterprise holding a pending decision is
// never forgotten, however hard the bound presses (one enterprise held,
// others decided without pause). Two callers deciding and releasing plans
// of one enterprise once let the second mark the entry not pending while
// the first held a plan, between unlocking the entry and taking the
// coordinator's lock; the next decision then reseeded without the plan.
// Found by a read-only review, 2026-12-03.
func TestPendingNeverForgotten(t *testing.T) {
	const uscc = "915101000000000009"
	var pending, violations atomic.Int64
	seeder := func(_ context.Context, u string, _ bool) (coord.Seed, error) {
		if u == uscc && pending.Load() > 0 {
			violations.Add(1)
		}
		return coord.Seed{}, nil
	}
	c := local.NewBounded(seeder, local.Bound{MaxEnterprises: 1})
	pol := coord.Policy{Zone: coordtest.Beijing}
	var workers, noise sync.WaitGroup
	done := make(chan struct{})
	for w, agency := range []string{"AG-1", "AG-2"} {
		workers.Go(func() {
			start := now.Add(time.Duration(w+1)*24*time.Hour + time.Hour)
			for i := range 20_000 {
				p := coord.Plan{InspectionID: fmt.Sprintf("INS-%s-%d", agency, i), AgencyID: agency, USCC: uscc,
					Start: start, End: start.Add(time.Hour), Exempt: true, ConfirmBy: now.Add(time.Hour)}
				if _, err := c.Decide(ctx, p, pol, now); err != nil {
					t.Error(err)
					return
				}
				pending.Add(1)
				runtime.Gosched()
				pending.Add(-1)
				if _, err := c.Release(ctx, p, 0, now); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for k := range 4 {
		noise.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				start := now.Add(48 * time.Hour)
				p := coord.Plan{InspectionID: fmt.Sprintf("INS-N-%d-%d", k, i), AgencyID: "AG-N", USCC: fmt.Sprintf("91510100000%07d", k*1_000_000+i%1000),
					Start: start, End: start.Add(time.Hour), Exempt: true}
				if _, err := c.Decide(ctx, p, pol, now); err != nil {
					t.Error(err)
					return
				}
				if _, err := c.Withdraw(ctx, p, 0, now); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	workers.Wait()
	close(done)
	noise.Wait()
	if n := violations.Load(); n > 0 {
		t.Fatalf("the enterprise was reseeded %d times while a decision of it was pending", n)
	}
}
