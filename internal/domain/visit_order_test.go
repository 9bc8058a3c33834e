package domain

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The latest visit first, a joint visit placed by its earliest plan and
// its plans together: D, a plan of A's joint visit with a window of its
// own after C's, stays beside A (the page 检查记录 sorted each row by its
// own window and parted them; a review, 2026-12-06).
func TestSortVisitsLatestFirst(t *testing.T) {
	day := func(d int) *timestamppb.Timestamp {
		return timestamppb.New(time.Date(2026, 12, d, 1, 0, 0, 0, time.UTC))
	}
	views := []*ruqiv1.InspectionView{
		{InspectionId: "A", JointInspectionId: "J", WindowStart: day(8)},
		{InspectionId: "B", WindowStart: day(11)},
		{InspectionId: "C", WindowStart: day(9)},
		{InspectionId: "D", JointInspectionId: "J", WindowStart: day(10)},
	}
	SortVisitsLatestFirst(views)
	var got []string
	for _, v := range views {
		got = append(got, v.GetInspectionId())
	}
	if want := []string{"B", "C", "A", "D"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
