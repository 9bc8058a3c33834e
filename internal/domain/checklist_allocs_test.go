package domain

import (
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A review of b3a4184. Checklist builds the 一表通查 of every visit that
// matching proposes (half a million for a province's month,
// docs/BENCHMARKS.md, whose figures count "about 30 allocations per
// proposal": the members and the checklist's lines). Comparing two items
// as one check now builds a key string per item (checkKey: NormalizeWidth,
// which copies any string that is not ASCII, of the name, the law and the
// article, then their concatenation): four to five allocations for every
// item of every proposal, more than the lines themselves take, where a
// comparison that walks the runes of both strings needs none. The lines:
// the slice, and per line its view and its two id lists.
func TestChecklist_NoAllocationsBeyondItsLines(t *testing.T) {
	item := func(id, agency, name, law, article string) *ruqiv1.CheckItem {
		return &ruqiv1.CheckItem{Id: id, AgencyId: agency, Name: name, LegalBasis: &ruqiv1.LegalBasis{Law: law, Article: article}}
	}
	// Two agencies' plans of three items each, as matching's benchmark has.
	items := []*ruqiv1.CheckItem{
		item("CI-0001", "AG-01", "食品经营许可情况检查", "《中华人民共和国食品安全法》", "第三十五条"),
		item("CI-0002", "AG-01", "食品安全管理制度落实情况检查", "《中华人民共和国食品安全法》", "第四十四条"),
		item("CI-0003", "AG-01", "从业人员健康管理检查", "《中华人民共和国食品安全法》", "第四十五条"),
		item("CI-0011", "AG-02", "消防安全责任制落实情况检查", "《中华人民共和国消防法》", "第十六条"),
		item("CI-0012", "AG-02", "疏散通道、安全出口检查", "《中华人民共和国消防法》", "第二十八条"),
		item("CI-0013", "AG-02", "消防设施、器材检查", "《中华人民共和国消防法》", "第十六条"),
	}
	if got := len(Checklist(items)); got != 6 {
		t.Fatalf("%d lines, want 6", got)
	}
	lines := 1 + 3*len(items)
	allocs := testing.AllocsPerRun(200, func() { Checklist(items) })
	if allocs > float64(lines) {
		t.Errorf("Checklist of %d distinct items: %.0f allocations, %d of them its lines: %.0f per item only to compare the items",
			len(items), allocs, lines, (allocs-float64(lines))/float64(len(items)))
	}
}
