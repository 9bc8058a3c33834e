package domain

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestCommonTime(t *testing.T) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, Shanghai)
	plan := func(from, to int, cancelled bool) *ruqiv1.Inspection {
		p := &ruqiv1.Inspection{WindowStart: timestamppb.New(day.Add(time.Duration(from) * time.Hour)), WindowEnd: timestamppb.New(day.Add(time.Duration(to) * time.Hour))}
		if cancelled {
			p.State = ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED
		}
		return p
	}
	for _, tc := range []struct {
		name     string
		plans    []*ruqiv1.Inspection
		from, to int
		ok       bool
	}{
		{"one plan", []*ruqiv1.Inspection{plan(10, 12, false)}, 10, 12, true},
		{"overlap", []*ruqiv1.Inspection{plan(10, 12, false), plan(11, 13, false)}, 11, 12, true},
		{"cancelled plan left out", []*ruqiv1.Inspection{plan(10, 12, false), plan(11, 13, true)}, 10, 12, true},
		{"only touching: no common time", []*ruqiv1.Inspection{plan(10, 12, false), plan(12, 14, false)}, 0, 0, false},
		{"all cancelled", []*ruqiv1.Inspection{plan(10, 12, true)}, 0, 0, false},
	} {
		start, end, ok := CommonTime(tc.plans)
		if ok != tc.ok || (ok && (!start.Equal(day.Add(time.Duration(tc.from)*time.Hour)) || !end.Equal(day.Add(time.Duration(tc.to)*time.Hour)))) {
			t.Errorf("%s: %v–%v %v", tc.name, start, end, ok)
		}
	}
}

// 一表通查: the same check listed by two agencies is one line under both; a
// check with the same name but another legal basis is another line.
func TestChecklist_SameCheckOnceUnderBothAgencies(t *testing.T) {
	item := func(id, agency, name, law string) *ruqiv1.CheckItem {
		return &ruqiv1.CheckItem{Id: id, AgencyId: agency, Name: name, LegalBasis: &ruqiv1.LegalBasis{Law: law, Article: "第十条"}}
	}
	got := Checklist([]*ruqiv1.CheckItem{
		item("CI-1", "AG-1", "消防通道", "消防法"),
		item("CI-2", "AG-1", "特种设备", "特种设备安全法"),
		item("CI-7", "AG-2", "消防通道", "消防法"),
		item("CI-8", "AG-2", "消防通道", "安全生产法"),
		item("CI-1", "AG-1", "消防通道", "消防法"),
	})
	var lines []string
	for _, cv := range got {
		lines = append(lines, fmt.Sprintf("%s %v %v", cv.GetCheckItemId(), cv.GetAgencyIds(), cv.GetCheckItemIds()))
	}
	if want := "[CI-1 [AG-1 AG-2] [CI-1 CI-7] CI-2 [AG-1] [CI-2] CI-8 [AG-2] [CI-8]]"; fmt.Sprint(lines) != want {
		t.Errorf("checklist %v, want %s", lines, want)
	}
}

// A check taken off the catalogue since the registration is marked on the
// line, unless another agency of the visit still lists it.
func TestChecklist_RetiredLineOnlyWhenNoAgencyListsIt(t *testing.T) {
	item := func(id, agency string, retired bool) *ruqiv1.CheckItem {
		return &ruqiv1.CheckItem{Id: id, AgencyId: agency, Name: "消防通道", LegalBasis: &ruqiv1.LegalBasis{Law: "消防法", Article: "第十条"}, Retired: retired}
	}
	for _, tc := range []struct {
		name  string
		items []*ruqiv1.CheckItem
		want  bool
	}{
		{"listed", []*ruqiv1.CheckItem{item("CI-1", "AG-1", false)}, false},
		{"retired", []*ruqiv1.CheckItem{item("CI-1", "AG-1", true)}, true},
		{"retired by one agency, listed by the other", []*ruqiv1.CheckItem{item("CI-1", "AG-1", true), item("CI-7", "AG-2", false)}, false},
		{"listed by one agency, retired by the other", []*ruqiv1.CheckItem{item("CI-1", "AG-1", false), item("CI-7", "AG-2", true)}, false},
		{"retired by both", []*ruqiv1.CheckItem{item("CI-1", "AG-1", true), item("CI-7", "AG-2", true)}, true},
	} {
		lines := Checklist(tc.items)
		if len(lines) != 1 || lines[0].GetRetired() != tc.want {
			t.Errorf("%s: %v, want one line retired=%v", tc.name, lines, tc.want)
		}
		if got := LineName(lines[0]); (got != "消防通道") != tc.want {
			t.Errorf("%s: the line reads %q", tc.name, got)
		}
	}
}
