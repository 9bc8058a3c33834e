package domain

import (
	"crypto/rand"
	"encoding/base32"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// MaxIndustryRunes bounds an industry (行业): a plan's scope, a draw's
// filter, and an enterprise's in the directory, which they name.
const MaxIndustryRunes = 50

// Inspection plans (检查计划): an agency files a plan for a period; a
// special-campaign (专项) plan needs the agency head's approval, which files
// it with the 司法局, and must then be published within the region's
// deadline (上海, 2026: within a month). Amendments are new versions; every
// version is kept.

// MaxPlanPeriod is the longest period one plan may cover: a year's campaign.
const MaxPlanPeriod = 366 * 24 * time.Hour

// MaxPlanEnterprises bounds an explicit list of enterprises; a larger
// population is named by region and industry.
const MaxPlanEnterprises = 1000

// DefaultPublishDays is how long after approval a special-campaign plan must
// be published unless the region's policy says otherwise (上海: a month).
const DefaultPublishDays = 30

// PlanID makes a plan id: PLAN-, the month its period starts (Beijing time),
// and a random suffix (plans are filed on any replica).
func PlanID(periodStart time.Time) (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("PLAN-%s-%s", periodStart.In(Shanghai).Format("200601"), base32.StdEncoding.EncodeToString(b[:])), nil
}

// ValidatePlanVersion checks a version's contents: a title, a type, a scope
// (a list of enterprises or a region), items, and a forward period of at
// most a year that has not ended by now: a plan whose period is over plans
// nothing, and a 专项 one would be approved and published after its
// campaign (an agency's trial, 2026-12-06).
func ValidatePlanVersion(v *ruqiv1.PlanVersion, now time.Time) error {
	if Blank(v.GetTitle()) {
		return Invalidf("PLAN_TITLE_MISSING", "请填写检查计划名称")
	}
	if err := ValidateText("计划名称", v.GetTitle(), 100); err != nil {
		return err
	}
	if err := ValidateText("计划说明", v.GetReason(), 500); err != nil {
		return err
	}
	switch v.GetType() {
	case ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL:
	case ruqiv1.InspectionType_INSPECTION_TYPE_CASE:
		return Invalidf("PLAN_TYPE_CASE", "个案检查因投诉举报、转办交办或事故而起，无法事先列入计划：请选择日常、双随机或专项")
	default:
		return Invalidf("PLAN_TYPE_MISSING", "请选择计划的检查类型：日常、双随机或专项")
	}
	sc := v.GetScope()
	if len(sc.GetEnterpriseUsccs()) == 0 && sc.GetRegionCode() == "" && strings.TrimSpace(sc.GetIndustry()) != "" {
		// An amendment's scope replaces the whole scope: an industry alone
		// was answered "name the enterprises" (an agency's trial,
		// 2026-12-06).
		return Invalidf("PLAN_SCOPE_REGION_MISSING", "行业须与行政区划一起指定（计划覆盖某行政区划内某行业的企业）；调整计划时范围整体替换，请同时给出行政区划")
	}
	if len(sc.GetEnterpriseUsccs()) == 0 && sc.GetRegionCode() == "" {
		return Invalidf("PLAN_SCOPE_MISSING", "请指定计划覆盖的企业：列出统一社会信用代码，或指定行政区划（可加行业）")
	}
	if len(sc.GetEnterpriseUsccs()) > 0 && (sc.GetRegionCode() != "" || sc.GetIndustry() != "") {
		return Invalidf("PLAN_SCOPE_AMBIGUOUS", "计划覆盖的企业只能二选一：列出企业，或指定行政区划和行业")
	}
	if len(sc.GetEnterpriseUsccs()) > MaxPlanEnterprises {
		return Invalidf("PLAN_TOO_MANY_ENTERPRISES", "计划列出了%d家企业，最多%d家：范围更大的计划请按行政区划和行业指定", len(sc.GetEnterpriseUsccs()), MaxPlanEnterprises)
	}
	for _, u := range sc.GetEnterpriseUsccs() {
		if err := ValidateUSCC(u); err != nil {
			return err
		}
	}
	if dup := firstDuplicate(sc.GetEnterpriseUsccs()); dup != "" {
		return Invalidf("PLAN_ENTERPRISE_REPEATED", "企业 %s 重复填写", dup)
	}
	if r := sc.GetRegionCode(); r != "" {
		if err := ValidateRegion(r); err != nil {
			return err
		}
	}
	if err := ValidateText("行业", sc.GetIndustry(), MaxIndustryRunes); err != nil {
		return err
	}
	if len(v.GetCheckItemIds()) == 0 {
		return Invalidf("ITEMS_EMPTY", "检查事项不能为空：请从本部门公布的检查事项清单中选择至少一项")
	}
	if dup := firstDuplicate(v.GetCheckItemIds()); dup != "" {
		return Invalidf("ITEM_REPEATED", "检查事项 %s 重复填写", dup)
	}
	if v.GetPeriodStart() == nil || v.GetPeriodEnd() == nil {
		return Invalidf("PLAN_PERIOD_MISSING", "请填写计划的起止日期")
	}
	start, end := v.GetPeriodStart().AsTime(), v.GetPeriodEnd().AsTime()
	if !end.After(start) {
		return Invalidf("PLAN_PERIOD_BACKWARDS", "计划结束时间（%s）须晚于开始时间（%s）", FormatTime(end), FormatTime(start))
	}
	if end.Sub(start) > MaxPlanPeriod {
		return Invalidf("PLAN_PERIOD_TOO_LONG", "计划期限为%s，最长一年：请分期制定计划", Composed(FormatSpan(start, end)))
	}
	if !end.After(now) {
		return Invalidf("PLAN_PERIOD_OVER", "计划期间已于 %s 结束：检查计划应在期间结束前制定或调整", FormatTime(end))
	}
	// A plan is for this year or the next: one starting fifty years ahead
	// was filed, published and shown to the public without a word (a trial
	// of bad input, 2026-12-06), a mistyped year as a deadline is
	// (DEADLINE_TOO_FAR).
	if start.After(now.AddDate(MaxPlanYearsAhead, 0, 0)) {
		return Invalidf("PLAN_PERIOD_TOO_FAR", "计划开始于 %s，距今超过%d年：请核对年份（检查计划最多提前%d年制定）", FormatTime(start), MaxPlanYearsAhead, MaxPlanYearsAhead)
	}
	return nil
}

// MaxPlanYearsAhead is how far ahead a plan's period may start: next
// year's plan, filed early, with room to spare.
const MaxPlanYearsAhead = 2

// NeedsApproval reports whether a plan of this type needs the agency head's
// approval before it is in force: special campaigns (专项) do.
func NeedsApproval(t ruqiv1.InspectionType) bool {
	return t == ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL
}

// Newest is a plan's newest version (nil for none).
func Newest(p *ruqiv1.Plan) *ruqiv1.PlanVersion {
	if n := len(p.GetVersions()); n > 0 {
		return p.GetVersions()[n-1]
	}
	return nil
}

// InForce is the version a plan is carried out under: the newest version
// approved (published or not) for a plan that needs approval, the newest
// version otherwise. An amendment waiting for approval leaves the version
// approved before it in force. Nil if none is.
func InForce(p *ruqiv1.Plan) *ruqiv1.PlanVersion {
	vs := p.GetVersions()
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		if !NeedsApproval(v.GetType()) || v.GetState() != ruqiv1.PlanState_PLAN_STATE_FILED {
			return v
		}
	}
	return nil
}

// Covers reports whether a version's scope includes an enterprise: listed
// by its code, or in the region (and industry, if named).
func Covers(v *ruqiv1.PlanVersion, e *ruqiv1.Enterprise) bool {
	sc := v.GetScope()
	if len(sc.GetEnterpriseUsccs()) > 0 {
		return slices.Contains(sc.GetEnterpriseUsccs(), e.GetUscc())
	}
	if !RegionCovers(sc.GetRegionCode(), e.GetRegionCode()) {
		return false
	}
	return sc.GetIndustry() == "" || sc.GetIndustry() == e.GetIndustry()
}

// CheckSpecialRegistration checks a 专项 registration against the plan it
// names: the registering agency's own plan, a version in force (approved),
// the enterprise covered, the items planned and the window inside the
// period. It returns the version the inspection carries out.
func CheckSpecialRegistration(p *ruqiv1.Plan, agencyID string, e *ruqiv1.Enterprise, items []string, start, end time.Time) (*ruqiv1.PlanVersion, error) {
	if p.GetAgencyId() != agencyID {
		return nil, PermissionDeniedf("PLAN_OTHER_AGENCY", "检查计划 %s 不是本部门的计划：专项检查须依据本部门经批准的计划", p.GetId())
	}
	v := InForce(p)
	if v == nil || !NeedsApproval(v.GetType()) {
		if n := Newest(p); n != nil && !NeedsApproval(n.GetType()) {
			return nil, FailedPreconditionf("PLAN_NOT_SPECIAL", "检查计划 %s 不是专项检查计划，专项检查须依据经批准的专项检查计划", p.GetId())
		}
		return nil, FailedPreconditionf("PLAN_NOT_APPROVED", "检查计划 %s 尚未经部门负责人批准，不能据此报备专项检查：请先报部门负责人审批", p.GetId())
	}
	if !Covers(v, e) {
		return nil, FailedPreconditionf("PLAN_NOT_COVERING", "企业 %s 不在检查计划 %s（第%d版）的范围内%s", e.GetUscc(), p.GetId(), v.GetVersion(),
			awaitingApproval(p, v, "将该企业列入范围", func(n *ruqiv1.PlanVersion) bool { return Covers(n, e) }))
	}
	for _, it := range items {
		if !slices.Contains(v.GetCheckItemIds(), it) {
			return nil, FailedPreconditionf("PLAN_ITEM_NOT_PLANNED", "检查事项 %s 不在检查计划 %s（第%d版）中%s", it, p.GetId(), v.GetVersion(),
				awaitingApproval(p, v, "加入该事项", func(n *ruqiv1.PlanVersion) bool { return slices.Contains(n.GetCheckItemIds(), it) }))
		}
	}
	// Carried out under the plan only from its approval: a late record of
	// a visit before it is not a 专项 inspection of the approved plan.
	if at := v.GetApprovedAt(); at != nil && start.Before(at.AsTime()) {
		s, a := FormatTimesApart(start, at.AsTime())
		return nil, FailedPreconditionf("PLAN_NOT_YET_APPROVED_AT_WINDOW", "检查时段开始于 %s，早于检查计划 %s（第%d版）获批的 %s：批准之前的检查不能依据该计划报备",
			s, p.GetId(), v.GetVersion(), a)
	}
	ps, pe := v.GetPeriodStart().AsTime(), v.GetPeriodEnd().AsTime()
	if start.Before(ps) || end.After(pe) {
		return nil, FailedPreconditionf("PLAN_OUTSIDE_PERIOD", "检查时段（%s 至 %s）超出检查计划 %s 的期限（%s 至 %s）%s",
			FormatTime(start), FormatTime(end), p.GetId(), FormatTime(ps), FormatTime(pe),
			awaitingApproval(p, v, "期限包含这一时段", func(n *ruqiv1.PlanVersion) bool {
				return !start.Before(n.GetPeriodStart().AsTime()) && !end.After(n.GetPeriodEnd().AsTime())
			}))
	}
	return v, nil
}

// awaitingApproval is what a refusal under the version in force (v) adds
// when the newest version, an amendment still waiting for the head's
// approval, would allow what was refused (allows): the officer read "不在
// 检查计划（第1版）中" of an item version 2 adds, and could not tell that
// the plan had been amended and only its approval was missing (a planner's
// trial). Empty otherwise.
func awaitingApproval(p *ruqiv1.Plan, v *ruqiv1.PlanVersion, what string, allows func(*ruqiv1.PlanVersion) bool) string {
	n := Newest(p)
	if n == nil || n.GetVersion() <= v.GetVersion() || n.GetState() != ruqiv1.PlanState_PLAN_STATE_FILED || !NeedsApproval(n.GetType()) || !allows(n) {
		return ""
	}
	return fmt.Sprintf("：%s的第%d版尚待部门负责人批准，批准后方可据此报备", what, n.GetVersion())
}

// CheckApproval says whether the newest version may be approved now: it must
// be the version the head was shown, need approval, and wait for it. The
// version is required: an approval is the head's signature under one text,
// and "the newest" may be a version filed after the head read it. already
// is true when that version is approved (or published) already: approving
// it again is what a retry after a lost answer does, and is answered with
// the plan as it is, as a publication asked again is (CheckPublication);
// it was refused PLAN_ALREADY_APPROVED, and the CLI exited 1 over a plan it
// had approved.
func CheckApproval(p *ruqiv1.Plan, version int32) (v *ruqiv1.PlanVersion, already bool, err error) {
	n := Newest(p)
	if n == nil {
		return nil, false, FailedPreconditionf("PLAN_EMPTY", "检查计划 %s 没有任何版本", p.GetId())
	}
	if version <= 0 {
		return nil, false, Invalidf("PLAN_VERSION_REQUIRED", "请写明所审阅的版本号（检查计划 %s 的最新版本是第%d版）：批准只对看过的版本有效", p.GetId(), n.GetVersion())
	}
	if version != n.GetVersion() {
		return nil, false, FailedPreconditionf("PLAN_VERSION_STALE", "检查计划 %s 的最新版本是第%d版，不是第%d版：请查看最新版本后再审批", p.GetId(), n.GetVersion(), version)
	}
	if !NeedsApproval(n.GetType()) {
		return nil, false, FailedPreconditionf("PLAN_APPROVAL_NOT_NEEDED", "检查计划 %s 不是专项检查计划，无需部门负责人审批", p.GetId())
	}
	if n.GetState() != ruqiv1.PlanState_PLAN_STATE_FILED {
		return n, true, nil
	}
	return n, false, nil
}

// CheckPublication says which version publication would publish: the
// newest version, once approved if it needs approval. already is true when
// that version is published: publishing it again is what a retry after a
// lost answer does, and is answered with the plan as it is, not refused
// (it was, PLAN_ALREADY_PUBLISHED, and the CLI exited 1 over a plan it had
// published; reported 2026-12-06). As for a revealed draw, what was asked
// has happened, and nothing is written again.
func CheckPublication(p *ruqiv1.Plan) (v *ruqiv1.PlanVersion, already bool, err error) {
	n := Newest(p)
	if n == nil {
		return nil, false, FailedPreconditionf("PLAN_EMPTY", "检查计划 %s 没有任何版本", p.GetId())
	}
	switch {
	case n.GetState() == ruqiv1.PlanState_PLAN_STATE_PUBLISHED:
		return n, true, nil
	case n.GetState() == ruqiv1.PlanState_PLAN_STATE_FILED && NeedsApproval(n.GetType()):
		// An amendment waiting for approval does not hold back the
		// approved version in force, whose deadline runs (an agency's
		// trial, 2026-12-06: it could not be published, and was then
		// flagged overdue until the amendment was approved).
		switch f := InForce(p); f.GetState() {
		case ruqiv1.PlanState_PLAN_STATE_APPROVED:
			return f, false, nil
		case ruqiv1.PlanState_PLAN_STATE_PUBLISHED:
			// A publication retried (its answer lost) after the amendment
			// was filed: the version in force is published already, which
			// is what the caller asked (it was refused PLAN_NOT_APPROVED
			// of the amendment).
			return f, true, nil
		}
		return nil, false, FailedPreconditionf("PLAN_NOT_APPROVED", "检查计划 %s 第%d版尚未经部门负责人批准，不能公示", p.GetId(), n.GetVersion())
	}
	return n, false, nil
}

// PublishBy is the deadline for publishing a version approved at approved:
// days after it (DefaultPublishDays when days ≤ 0).
func PublishBy(approved time.Time, days int) time.Time {
	if days <= 0 {
		days = DefaultPublishDays
	}
	return approved.AddDate(0, 0, days)
}

// Overdue reports whether the version in force was approved but is not
// published by its deadline at now: the 司法局 is warned. A version that a
// later approved one superseded need not be published any more.
func Overdue(p *ruqiv1.Plan, now time.Time) bool {
	v := InForce(p)
	return v.GetState() == ruqiv1.PlanState_PLAN_STATE_APPROVED && v.GetPublishBy() != nil && now.After(v.GetPublishBy().AsTime())
}

// PlanConcernsRegion reports whether a supervisor of region oversees a
// plan: the plan's agency is in the region, or some version covers
// enterprises there (a region scope overlapping it, or a listed enterprise
// whose region, by regionOf, falls under it). A city agency's plan for a
// district's enterprises is filed with that district's 司法局 too.
func PlanConcernsRegion(p *ruqiv1.Plan, region string, regionOf func(uscc string) string) bool {
	if RegionCovers(region, p.GetRegionCode()) {
		return true
	}
	for _, v := range p.GetVersions() {
		sc := v.GetScope()
		if r := sc.GetRegionCode(); r != "" && (RegionCovers(region, r) || RegionCovers(r, region)) {
			return true
		}
		for _, u := range sc.GetEnterpriseUsccs() {
			if RegionCovers(region, regionOf(u)) {
				return true
			}
		}
	}
	return false
}

// ForRegion is the plan as a supervisor of region sees it when the region
// is not the plan's own but one its enterprises fall in (PlanConcernsRegion):
// the enterprises listed in versions not yet published are cut to those of
// the region. A city agency's plan filed with two districts does not tell
// one district the other's targets before they are public.
func ForRegion(p *ruqiv1.Plan, region string, regionOf func(uscc string) string) *ruqiv1.Plan {
	if RegionCovers(region, p.GetRegionCode()) {
		return p
	}
	out := proto.Clone(p).(*ruqiv1.Plan)
	for _, v := range out.GetVersions() {
		if v.GetState() == ruqiv1.PlanState_PLAN_STATE_PUBLISHED || v.GetScope() == nil {
			continue
		}
		kept := v.Scope.EnterpriseUsccs[:0]
		for _, u := range v.Scope.EnterpriseUsccs {
			if RegionCovers(region, regionOf(u)) {
				kept = append(kept, u)
			}
		}
		v.Scope.EnterpriseUsccs = kept
	}
	return out
}

// Published returns a copy of the plan with only its published versions, for
// the public page (nil if none is published).
func Published(p *ruqiv1.Plan) *ruqiv1.Plan {
	out := &ruqiv1.Plan{Id: p.GetId(), AgencyId: p.GetAgencyId(), RegionCode: p.GetRegionCode()}
	for _, v := range p.GetVersions() {
		if v.GetState() == ruqiv1.PlanState_PLAN_STATE_PUBLISHED {
			out.Versions = append(out.Versions, v)
		}
	}
	if len(out.Versions) == 0 {
		return nil
	}
	return out
}
