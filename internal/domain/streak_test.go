package domain

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestNoFindingStreaks(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, Shanghai)
	result := func(outcomes ...ruqiv1.ItemOutcome) *ruqiv1.InspectionResult {
		r := &ruqiv1.InspectionResult{}
		for _, o := range outcomes {
			r.Items = append(r.Items, &ruqiv1.ItemResult{CheckItemId: "I", Outcome: o})
		}
		return r
	}
	nothing := result(ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM, ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM)
	finding := result(ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM, ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED)
	closed := func(id string, daysAgo int, r *ruqiv1.InspectionResult, officers ...string) *ruqiv1.Inspection {
		return &ruqiv1.Inspection{Id: id, OfficerIds: officers, State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED,
			CompletedAt: timestamppb.New(now.AddDate(0, 0, -daysAgo)), Result: r}
	}
	this := closed("INS-3", 0, nothing, "O1", "O2")
	for _, tc := range []struct {
		name    string
		ins     *ruqiv1.Inspection
		history []*ruqiv1.Inspection
		want    []NoFindingStreak
	}{
		{"third in a row, for each officer in all three", this,
			[]*ruqiv1.Inspection{closed("INS-1", 60, nothing, "O1", "O2"), closed("INS-2", 30, nothing, "O1", "O2"), this},
			[]NoFindingStreak{{"O1", [2]string{"INS-1", "INS-2"}}, {"O2", [2]string{"INS-1", "INS-2"}}}},
		{"only the officer in all three", this,
			[]*ruqiv1.Inspection{closed("INS-1", 60, nothing, "O1"), closed("INS-2", 30, nothing, "O1", "O2")},
			[]NoFindingStreak{{"O1", [2]string{"INS-1", "INS-2"}}}},
		{"only two", this, []*ruqiv1.Inspection{closed("INS-2", 30, nothing, "O1", "O2")}, nil},
		{"a finding between breaks it", this,
			[]*ruqiv1.Inspection{closed("INS-0", 90, nothing, "O1"), closed("INS-1", 60, nothing, "O1"), closed("INS-2", 30, finding, "O1")}, nil},
		{"an older finding does not", this,
			[]*ruqiv1.Inspection{closed("INS-0", 90, finding, "O1"), closed("INS-1", 60, nothing, "O1"), closed("INS-2", 30, nothing, "O1")},
			[]NoFindingStreak{{"O1", [2]string{"INS-1", "INS-2"}}}},
		{"older than a year does not count", this,
			[]*ruqiv1.Inspection{closed("INS-1", 400, nothing, "O1"), closed("INS-2", 30, nothing, "O1")}, nil},
		{"not closed does not count", this,
			[]*ruqiv1.Inspection{{Id: "INS-1", OfficerIds: []string{"O1"}, Result: nothing}, closed("INS-2", 30, nothing, "O1")}, nil},
		{"this one found something", closed("INS-3", 0, finding, "O1"),
			[]*ruqiv1.Inspection{closed("INS-1", 60, nothing, "O1"), closed("INS-2", 30, nothing, "O1")}, nil},
		{"an empty result is no streak", closed("INS-3", 0, result(), "O1"),
			[]*ruqiv1.Inspection{closed("INS-1", 60, nothing, "O1"), closed("INS-2", 30, nothing, "O1")}, nil},
	} {
		got := NoFindingStreaks(tc.ins, tc.history, now)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
			}
		}
	}
}
