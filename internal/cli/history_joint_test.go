package cli

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// jointHistory is an enterprise's history of one joint visit (综合查一次) of
// 应急管理 (AG-03) and 消防救援 (AG-04), as ListInspections gives it: one view
// per plan, each naming the whole visit (both agencies, the 一表通查 in which
// the fire check both list, CI-0017 and CI-0018, is one line, CI-0017, under
// both, standing for both ids) and carrying the results of every plan of the visit.
func jointHistory() *ruqiv1.ListInspectionsResponse {
	fire := &ruqiv1.LegalBasis{Law: "《中华人民共和国消防法》", Article: "第十六条"}
	safety := &ruqiv1.InspectionResult{InspectionId: "INS-A", AgencyId: "AG-03", Items: []*ruqiv1.ItemResult{
		{CheckItemId: "CI-0012", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
		{CheckItemId: "CI-0017", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
	}, RecordedAt: tspb(windowStart.Add(2 * time.Hour)), RecordedBy: "officer:O-0003"}
	fireRes := &ruqiv1.InspectionResult{InspectionId: "INS-B", AgencyId: "AG-04", Items: []*ruqiv1.ItemResult{
		{CheckItemId: "CI-0018", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, RectificationDeadline: tspb(windowStart.Add(240 * time.Hour))},
		{CheckItemId: "CI-0022", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
	}, RecordedAt: tspb(windowStart.Add(2 * time.Hour)), RecordedBy: "officer:O-0004"}
	a := &ruqiv1.InspectionView{
		InspectionId: "INS-A", JointInspectionId: "JNT-A", LeadAgencyId: "AG-03", InspectionIds: []string{"INS-A", "INS-B"},
		Agencies: []*ruqiv1.Agency{{Id: "AG-03", Name: "锦江区应急管理局"}, {Id: "AG-04", Name: "成都市消防救援支队"}},
		CheckItems: []*ruqiv1.CheckItemView{
			{CheckItemId: "CI-0012", AgencyId: "AG-03", Name: "安全生产责任制落实情况检查", AgencyIds: []string{"AG-03"}},
			{CheckItemId: "CI-0017", AgencyId: "AG-03", Name: "消防设施器材完好有效情况检查", LegalBasis: fire, AgencyIds: []string{"AG-03", "AG-04"}, CheckItemIds: []string{"CI-0017", "CI-0018"}},
			{CheckItemId: "CI-0022", AgencyId: "AG-04", Name: "疏散通道、安全出口畅通情况检查", AgencyIds: []string{"AG-04"}},
		},
		WindowStart: tspb(windowStart), WindowEnd: tspb(windowStart.Add(3 * time.Hour)),
		Type:  ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
		State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, Results: []*ruqiv1.InspectionResult{safety, fireRes},
	}
	a.AgencyId = "AG-03"
	b := proto.Clone(a).(*ruqiv1.InspectionView)
	b.InspectionId, b.AgencyId = "INS-B", "AG-04"
	return &ruqiv1.ListInspectionsResponse{Inspections: []*ruqiv1.InspectionView{a, b}, ThisYear: 2, VisitsThisYear: 1}
}

// The enterprise's history of one joint visit of two agencies printed each
// agency's results once per plan of the visit: with four agencies, every
// result line four times (a trial of a county's 综合查一次, 2026-12-06:
// `ruqi company history` after a visit of 市场监管, 生态环境, 应急管理 and
// 消防救援 listed 16 result lines for 4 results).
func TestTablePrinter_History_JointVisit_ResultsOnce(t *testing.T) {
	got := tableOf(func(p printer) { p.History(jointHistory()) })
	_, results, _ := strings.Cut(got, "检查结果：")
	if n := strings.Count(results, "责令整改"); n != 1 {
		t.Errorf("the one rectification ordered is listed %d times:\n%s", n, got)
	}
	if n := strings.Count(results, "CI-0012"); n != 1 {
		t.Errorf("AG-03's result on CI-0012 is listed %d times:\n%s", n, got)
	}
	// Two inspections, one door opened (进一次门).
	if !strings.Contains(got, "今年被检查2次（入企1次）") {
		t.Errorf("the year's counts do not say the two inspections were one visit:\n%s", got)
	}
}

// A result on a check the 一表通查 shows once under two agencies was printed
// with its id alone when the recording agency's item is not the line's
// ("CI-0018" with an empty name), while every other result is named.
func TestTablePrinter_History_JointVisit_SharedCheckNamed(t *testing.T) {
	got := tableOf(func(p printer) { p.History(jointHistory()) })
	assertContains(t, got, "CI-0018 消防设施器材完好有效情况检查")
}

// Each row of a joint visit names its own plan's agency: both rows named
// both agencies alike, while each is evaluated on its own (a walk through
// joint visits, 2026-12-06).
func TestTablePrinter_History_JointVisit_EachRowItsAgency(t *testing.T) {
	got := tableOf(func(p printer) { p.History(jointHistory()) })
	rows := map[string][]string{}
	for _, line := range strings.Split(got, "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[0], "INS-") && rows[f[0]] == nil {
			rows[f[0]] = f
		}
	}
	// 应急管理 checks CI-0012 and the shared fire check, 消防 the fire
	// check and CI-0022: two lines of the 一表通查 each, not three.
	for id, want := range map[string]string{"INS-A": "锦江区应急管理局（联合检查，共2个部门）", "INS-B": "成都市消防救援支队（联合检查，共2个部门）"} {
		if f := rows[id]; len(f) < 2 || f[1] != want || !slices.Contains(f, "2") || slices.Contains(f, "3") {
			t.Errorf("the row of %s: %q, want %q and 2 items:\n%s", id, f, want, got)
		}
	}
}

// ListInspections lists an enterprise's inspections by id, whose suffix is
// random within a day: `ruqi company history` printed a visit of the 9th
// between the two plans of a joint visit of the 8th, and a visit of the
// 11th above the 9th's (a planner's walk through a quarter, 2026-12-07,
// reading what the enterprise sees). The page /history orders by when the
// visit is, the latest first; so does the command line, the plans of one
// joint visit together.
// D, a plan of the joint visit with a window of its own after C's, stays
// beside A: a visit is sorted by its earliest plan (a review).
func TestTablePrinter_History_LatestVisitFirst(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 12, d, 1, 0, 0, 0, time.UTC) }
	view := func(id, joint string, d int) *ruqiv1.InspectionView {
		return &ruqiv1.InspectionView{InspectionId: id, JointInspectionId: joint, AgencyId: "AG-01", Agencies: []*ruqiv1.Agency{{Id: "AG-01", Name: "成都市市场监督管理局"}},
			WindowStart: tspb(day(d)), WindowEnd: tspb(day(d).Add(4 * time.Hour)), Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED}
	}
	got := tableOf(func(p printer) {
		p.History(&ruqiv1.ListInspectionsResponse{Inspections: []*ruqiv1.InspectionView{
			view("INS-20261207-AAAAAAAA", "JNT-20261207-AAAAAAAA", 8), view("INS-20261207-BBBBBBBB", "", 11),
			view("INS-20261207-CCCCCCCC", "", 9), view("INS-20261207-DDDDDDDD", "JNT-20261207-AAAAAAAA", 10),
		}, ThisYear: 4, VisitsThisYear: 3})
	})
	var order []string
	for _, line := range strings.Split(got, "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], "INS-") {
			order = append(order, f[0][len(f[0])-1:])
		}
	}
	if want := []string{"B", "C", "A", "D"}; !slices.Equal(order, want) {
		t.Errorf("rows in order %v, want %v (latest visit first, a joint visit's plans together):\n%s", order, want, got)
	}
}
