package domain

import (
	"sort"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// NoFinding reports whether a result found no problem in any of its items
// (an empty result is not a finding of nothing).
func NoFinding(r *ruqiv1.InspectionResult) bool {
	for _, it := range r.GetItems() {
		if it.GetOutcome() != ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM {
			return false
		}
	}
	return len(r.GetItems()) > 0
}

// NoFindingStreak is an officer who has found nothing three times in a row
// at one enterprise within a year: the inspection just closed and the two
// before it (成都 blocks the next check until a reason is given; ruqi raises
// a warning).
type NoFindingStreak struct {
	OfficerID string
	// Previous are the two earlier inspections, older first.
	Previous [2]string
}

// NoFindingStreaks finds the streaks that closing ins completes, among the
// enterprise's inspections (ins itself may be among them). For each officer
// of ins only the officer's two latest closed inspections of the past year
// count: one with a finding breaks the streak.
func NoFindingStreaks(ins *ruqiv1.Inspection, ofEnterprise []*ruqiv1.Inspection, now time.Time) []NoFindingStreak {
	if !NoFinding(ins.GetResult()) {
		return nil
	}
	yearAgo := now.AddDate(-1, 0, 0)
	var out []NoFindingStreak
	for _, officer := range ins.GetOfficerIds() {
		var done []*ruqiv1.Inspection
		for _, other := range ofEnterprise {
			if other.GetId() == ins.GetId() || other.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED ||
				!has(other.GetOfficerIds(), officer) || other.GetCompletedAt().AsTime().Before(yearAgo) {
				continue
			}
			done = append(done, other)
		}
		sort.Slice(done, func(i, j int) bool { return done[i].GetCompletedAt().AsTime().After(done[j].GetCompletedAt().AsTime()) })
		if len(done) < 2 || !NoFinding(done[0].GetResult()) || !NoFinding(done[1].GetResult()) {
			continue
		}
		out = append(out, NoFindingStreak{OfficerID: officer, Previous: [2]string{done[1].GetId(), done[0].GetId()}})
	}
	return out
}
