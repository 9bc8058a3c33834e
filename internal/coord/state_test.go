package coord

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// TestWithdrawAndReseed_OneRule: whatever decisions and withdrawals an
// enterprise's state has been through, rebuilding it from what the store
// holds (NewState, which regroups the stored joint inspections) gives the
// same visits and the same counts. A reseed happens on every restart, when
// coord/local forgets an enterprise and when Redis is emptied, so any
// difference would count one visit more or fewer after it than before.
//
// The case that found the difference: plan A has a short window and B a
// long one, B joins A (their common time is all of A), C joins the two
// through that short common time; A is then cancelled. B and C share what
// they shared when C joined, less than the region's minimum.
func TestWithdrawAndReseed_OneRule(t *testing.T) {
	zone := time.FixedZone("CST", 8*3600)
	pol := Policy{Zone: zone, JointMinutes: 60}
	now := time.Date(2026, 11, 20, 9, 0, 0, 0, zone)
	day := time.Date(2026, 11, 23, 8, 0, 0, 0, zone)
	lengths := []time.Duration{10, 20, 30, 45, 60, 90, 120, 180}
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 1))
		s := NewState(Seed{}, pol, now)
		var ids []string
		for step := 0; step < 40; step++ {
			what := ""
			if len(ids) > 0 && rng.IntN(4) == 0 {
				id := ids[rng.IntN(len(ids))]
				s.Withdraw(id, now)
				what = "withdraw " + id
			} else {
				start := day.Add(time.Duration(rng.IntN(30)) * 10 * time.Minute)
				p := Plan{
					InspectionID: fmt.Sprintf("INS-%03d", step), AgencyID: fmt.Sprintf("AG-%d", rng.IntN(12)), USCC: "U",
					Start: start, End: start.Add(lengths[rng.IntN(len(lengths))] * time.Minute), Grade: "B",
				}
				if d := s.Decide(p, pol, now); d.Outcome == Accepted || d.Outcome == Joined {
					ids = append(ids, p.InspectionID)
				}
				what = fmt.Sprintf("decide %s %s %s–%s", p.InspectionID, p.AgencyID, p.Start.Format("15:04"), p.End.Format("15:04"))
			}
			var stored []Plan
			for _, ps := range s.sorted() {
				stored = append(stored, ps.Plan)
			}
			again := NewState(Seed{Plans: stored, Version: s.Version}, pol, now)
			if got, want := visitsOf(again), visitsOf(s); got != want {
				t.Fatalf("seed %d, step %d (%s): reseeded visits\n%s\nwant\n%s", seed, step, what, got, want)
			}
			if fmt.Sprint(again.Counts) != fmt.Sprint(s.Counts) {
				t.Fatalf("seed %d, step %d (%s): reseeded counts\n%v\nwant\n%v", seed, step, what, again.Counts, s.Counts)
			}
		}
	}
}

// visitsOf lists the state's visits, a line each: the plans in it, the
// holder first. Joint ids are left out: a reseed may name a visit after
// another of its plans.
func visitsOf(s *State) string {
	out := ""
	for _, g := range s.groups() {
		for _, m := range g.members {
			mark := ""
			if m.NewVisit {
				mark = "*"
			}
			out += m.InspectionID + mark + " "
		}
		out += "\n"
	}
	return out
}

// TestRegroupSeed_KeepsTheMarkedHolder: the visit of a stored joint
// inspection stays with the plan the seed marks as holding it (the store's
// record), not the first registered; with none or more than one marked, the
// first holds it.
func TestRegroupSeed_KeepsTheMarkedHolder(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	plan := func(id string, holds bool) Plan {
		return Plan{InspectionID: id, JointID: "J", Start: start, End: start.Add(2 * time.Hour), NewVisit: holds}
	}
	for _, c := range []struct {
		name  string
		seed  []Plan
		holds string
	}{
		{"the second marked", []Plan{plan("A", false), plan("B", true), plan("C", false)}, "B"},
		{"none marked", []Plan{plan("A", false), plan("B", false)}, "A"},
		{"two marked", []Plan{plan("A", false), plan("B", true), plan("C", true)}, "A"},
	} {
		var got []string
		for _, p := range RegroupSeed(c.seed) {
			if p.NewVisit {
				got = append(got, p.InspectionID)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint([]string{c.holds}) {
			t.Errorf("%s: %v hold the visit, want %s", c.name, got, c.holds)
		}
	}
}

// A release under a fence older than the state's releases nothing: a raise
// came after it, and what the state decided since may stand on that raise
// (a retry of the released plan, decided again under it), whose write
// passes its check; released, it was written uncounted (a review,
// 2026-12-07). TakeFence still takes such a fence as changing nothing, so
// that a batch of take-backs does not rebuild the state for each (a second
// review).
func TestReleaseStale_OlderThanTheStates(t *testing.T) {
	s := &State{Fence: 5}
	for f, want := range map[int64]bool{0: false, 5: false, 6: false, 4: true, 1: true} {
		if got := s.ReleaseStale(f); got != want {
			t.Errorf("ReleaseStale(%d) at 5: %t, want %t", f, got, want)
		}
	}
	if !s.TakeFence(4) || s.Fence != 5 {
		t.Errorf("TakeFence(4) at 5: fence %d, want it taken as changing nothing", s.Fence)
	}
}
