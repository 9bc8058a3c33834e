package domain

import (
	"fmt"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An agency's trial, 2026-12-06. Two agencies' catalogues list the same
// check, 公共场所卫生状况监督检查 under 《公共场所卫生管理条例》第十条; one
// writes the law with its title marks 《》 and the other without (or with
// a stray space, as a spreadsheet export leaves). The enterprise's scan
// prints both lines alike (the CLI and the verify page add the 《》), yet
// the 一表通查 lists the check two or three times: Checklist compares the
// stored strings exactly.
func TestChecklist_SameCheckWrittenDifferently_Once(t *testing.T) {
	item := func(id, agency, name, law, article string) *ruqiv1.CheckItem {
		return &ruqiv1.CheckItem{Id: id, AgencyId: agency, Name: name, LegalBasis: &ruqiv1.LegalBasis{Law: law, Article: article}}
	}
	got := Checklist([]*ruqiv1.CheckItem{
		item("CI-0051", "AG-01", "公共场所卫生状况监督检查", "《公共场所卫生管理条例》", "第十条"),
		item("CI-0052", "AG-05", "公共场所卫生状况监督检查", "公共场所卫生管理条例", "第十条"),
		item("CI-0053", "AG-07", "公共场所卫生状况监督检查 ", "《公共场所卫生管理条例》", " 第十条"),
	})
	var lines []string
	for _, cv := range got {
		lines = append(lines, fmt.Sprintf("%s %v %v", cv.GetCheckItemId(), cv.GetAgencyIds(), cv.GetCheckItemIds()))
	}
	if want := "[CI-0051 [AG-01 AG-05 AG-07] [CI-0051 CI-0052 CI-0053]]"; fmt.Sprint(lines) != want {
		t.Errorf("一表通查 of one check written three ways: %v, want %s", lines, want)
	}
}
