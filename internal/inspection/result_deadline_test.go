package inspection

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A rectification deadline (责令整改) is after now and at most
// rectificationYears ahead: `CI-0002=rectify:now+800000h` was recorded with
// 整改期限 2118, and a year mistyped (2062 for 2026) would pass the same (an
// officer's trial, 2026-12-06).
func TestValidateItemResults_RectificationDeadline(t *testing.T) {
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, domain.Shanghai)
	ins := &ruqiv1.Inspection{CheckItemIds: []string{"CI-0002"}}
	for _, tc := range []struct {
		deadline time.Time
		want     string
	}{
		{now.Add(-time.Hour), "DEADLINE_PAST"},
		{now.Add(30 * 24 * time.Hour), ""},
		{now.AddDate(rectificationYears, 0, 0), ""},
		{now.AddDate(rectificationYears, 0, 1), "DEADLINE_TOO_FAR"},
		{time.Date(2062, 1, 15, 0, 0, 0, 0, domain.Shanghai), "DEADLINE_TOO_FAR"},
	} {
		err := validateItemResults(ins, []*ruqiv1.ItemResult{{CheckItemId: "CI-0002",
			Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, RectificationDeadline: timestamppb.New(tc.deadline)}}, now)
		if got := domain.ReasonOf(err); got != tc.want {
			t.Errorf("deadline %v: %v, want %q", tc.deadline, err, tc.want)
		}
	}
}
