package coord

import (
	"testing"
	"time"
)

// A late record (深圳: inspected first, registered within 10 days) is a visit
// on the day it took place: the 成都 warnings (>1 a day, >2 a week) count it
// with the other visits of that day and week, though the day is over.
func TestDecide_LateRecord_WarnedInItsOwnDay(t *testing.T) {
	pol := DefaultPolicies().For("510104")
	zone := pol.Zone
	day := time.Date(2026, 12, 1, 9, 0, 0, 0, zone)
	registered := day.Add(-48 * time.Hour)
	s := NewState(Seed{}, pol, registered)
	// Registered ahead, for 1 December 09:00–11:00.
	if d := s.Decide(Plan{InspectionID: "INS-A", AgencyID: "AG-01", USCC: "U", Start: day, End: day.Add(2 * time.Hour), Grade: "B"}, pol, registered); d.Outcome != Accepted {
		t.Fatalf("first plan: %v", d.Outcome)
	}
	// Another agency inspected the same enterprise at 14:00 that day in an
	// emergency and records it late on 5 December.
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, zone)
	late := Plan{InspectionID: "INS-B", AgencyID: "AG-02", USCC: "U", Start: day.Add(5 * time.Hour), End: day.Add(6 * time.Hour), Grade: "B", Exempt: true, Late: true}
	d := s.Decide(late, pol, now)
	if d.Outcome != Accepted {
		t.Fatalf("late record: %v", d.Outcome)
	}
	rules := map[string]bool{}
	for _, w := range d.Warnings {
		rules[w.Rule] = true
	}
	if !rules["visits_per_day"] {
		t.Fatalf("two visits on 2026-12-01, the second recorded late on 12-05: warnings %+v, want visits_per_day (>1 a day)", d.Warnings)
	}
}

// The same agency recording the same emergency twice (the officer runs the
// command again, with a new request id): the second overlaps its own plan,
// a duplicate, as it would be before the window.
func TestDecide_LateRecordTwice_Duplicate(t *testing.T) {
	pol := DefaultPolicies().For("510104")
	zone := pol.Zone
	day := time.Date(2026, 12, 1, 14, 0, 0, 0, zone)
	now := time.Date(2026, 12, 5, 10, 0, 0, 0, zone)
	s := NewState(Seed{}, pol, now)
	first := Plan{InspectionID: "INS-A", AgencyID: "AG-02", USCC: "U", Start: day, End: day.Add(time.Hour), Grade: "B", Exempt: true, Late: true}
	if d := s.Decide(first, pol, now); d.Outcome != Accepted {
		t.Fatalf("first late record: %v", d.Outcome)
	}
	again := first
	again.InspectionID = "INS-B"
	if d := s.Decide(again, pol, now.Add(time.Minute)); d.Outcome != Duplicate {
		t.Fatalf("the same emergency recorded again by the same agency: %v, want duplicate of INS-A", d.Outcome)
	}
}
