package domain

import (
	"slices"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// CheckDrawForInspection is the rule for a registration that names a 双随机
// draw: only a 双随机 inspection may name one; the draw must be the
// agency's and revealed; the enterprise must be among its picks, and, when
// officers were drawn too, every officer of the inspection among theirs.
func CheckDrawForInspection(d *ruqiv1.Draw, agency string, typ ruqiv1.InspectionType, uscc string, officers []string, windowStart time.Time) error {
	if typ != ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM {
		return Invalidf("DRAW_NOT_RANDOM", "只有双随机抽查可以填写抽取编号（本次检查类型不是双随机）")
	}
	if d.GetAgencyId() != agency {
		return PermissionDeniedf("DRAW_OTHER_AGENCY", "抽取 %s 属于部门 %s，不是本部门的", d.GetId(), d.GetAgencyId())
	}
	if len(d.GetRandomness()) == 0 {
		return FailedPreconditionf("DRAW_NOT_REVEALED", "抽取 %s 尚未揭晓，请先揭晓（ruqi draw reveal）再报备", d.GetId())
	}
	// A visit before the draw was revealed was not chosen by it (a late
	// record naming a draw made afterwards).
	if at := d.GetRevealedAt(); at != nil && windowStart.Before(at.AsTime()) {
		return FailedPreconditionf("DRAW_AFTER_WINDOW", "检查时段开始于 %s，早于抽取 %s 揭晓的 %s：揭晓之前的检查不是该次抽取抽中的", FormatTime(windowStart), d.GetId(), FormatTime(at.AsTime()))
	}
	if !slices.Contains(d.GetPickedEnterprises(), uscc) {
		return FailedPreconditionf("DRAW_ENTERPRISE_NOT_PICKED", "企业 %s 不在抽取 %s 抽中的企业中，不能作为该次双随机抽查报备", uscc, d.GetId())
	}
	if len(d.GetOfficerPopulation()) > 0 {
		for _, o := range officers {
			if !slices.Contains(d.GetPickedOfficers(), o) {
				return FailedPreconditionf("DRAW_OFFICER_NOT_PICKED", "执法人员 %s 不在抽取 %s 抽中的执法人员中", o, d.GetId())
			}
		}
	}
	return nil
}

// DrawOfficerCount checks how many officers a draw picks: none (the agency
// names them at registration) or at least the officers an inspection
// needs, since every officer named under the draw must be among its picks
// (CheckDrawForInspection). A draw of fewer could never be used, and the
// agency would have to draw again over the same list, which committing
// first is meant to rule out (an agency's trial, 2026-12-06).
func DrawOfficerCount(n int32, l Limits) error {
	if n != 0 && int(n) < l.MinOfficers {
		return Invalidf("DRAW_TOO_FEW_OFFICERS", "双随机抽取的执法人员不能少于%d名：现场检查须有至少%d名执法人员，且都须在抽中的人员之中", l.MinOfficers, l.MinOfficers)
	}
	return nil
}

// AccompanimentAnswers are the four items of an accompanying supervisor's
// checklist (亮证, 告知权利义务, 规范取样, 文明执法), with their labels.
func AccompanimentAnswers(a *ruqiv1.Accompaniment) []struct {
	Label  string
	Answer ruqiv1.ChecklistAnswer
} {
	return []struct {
		Label  string
		Answer ruqiv1.ChecklistAnswer
	}{
		{"亮证", a.GetCertificateShown()},
		{"告知权利义务", a.GetRightsExplained()},
		{"规范取样", a.GetSamplingProper()},
		{"文明执法", a.GetConductCivil()},
	}
}

// CheckAccompanimentRecord: every item answered (是, 否 or 不适用), notes
// within bounds, and notes required when a lead is asked for without a 否.
// It says whether the record is a finding that opens a lead: any 否, or the
// supervisor asking for one.
func CheckAccompanimentRecord(a *ruqiv1.Accompaniment, openLead bool) (finding bool, err error) {
	for _, it := range AccompanimentAnswers(a) {
		switch it.Answer {
		case ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_YES, ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NOT_APPLICABLE:
		case ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NO:
			finding = true
		default:
			return false, Invalidf("CHECKLIST_INCOMPLETE", "请回答“%s”：是、否或不适用", it.Label)
		}
	}
	if err := ValidateText("监督记录", a.GetNotes(), 2000); err != nil {
		return false, err
	}
	if openLead && !finding && Blank(a.GetNotes()) {
		return false, Invalidf("NOTES_MISSING", "转为问题线索时请在监督记录中写明发现的问题")
	}
	return finding || openLead, nil
}
