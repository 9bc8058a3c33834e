package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// IsInspection reports whether an entry of kind k is an administrative
// inspection (行政检查). Records from before visit kinds have none: they are
// inspections.
func IsInspection(k ruqiv1.VisitKind) bool {
	return k == ruqiv1.VisitKind_VISIT_KIND_UNSPECIFIED || k == ruqiv1.VisitKind_VISIT_KIND_INSPECTION
}

// UpcomingState names where a visit of the 检查预告 stands, for the
// enterprise: refused by it (a trial as an enterprise, 2026-12-06: a visit
// it had refused was still shown as 即将到来), begun, or to come.
func UpcomingState(v *ruqiv1.UpcomingVisit) string {
	switch {
	case v.GetRefusedAt() != nil:
		return "企业已拒绝"
	case v.GetBegun():
		return "已开始"
	}
	return "即将到来"
}

// VisitKindLabel names a kind of entry for people.
func VisitKindLabel(k ruqiv1.VisitKind) string {
	switch k {
	case ruqiv1.VisitKind_VISIT_KIND_UNSPECIFIED, ruqiv1.VisitKind_VISIT_KIND_INSPECTION:
		return "行政检查"
	case ruqiv1.VisitKind_VISIT_KIND_PATROL:
		return "日常巡查"
	case ruqiv1.VisitKind_VISIT_KIND_PUBLICITY:
		return "政策宣传"
	case ruqiv1.VisitKind_VISIT_KIND_SURVEY:
		return "走访调研"
	case ruqiv1.VisitKind_VISIT_KIND_SERVICE:
		return "服务"
	}
	return fmt.Sprintf("未知类型（%d）", int32(k))
}

// VisitKindClaim is how a code names the kind of a visit that is not an
// inspection (its private claim); an inspection's code carries none, so
// codes issued before visit kinds read as inspections.
func VisitKindClaim(k ruqiv1.VisitKind) string {
	if IsInspection(k) {
		return ""
	}
	return map[ruqiv1.VisitKind]string{
		ruqiv1.VisitKind_VISIT_KIND_PATROL:    "patrol",
		ruqiv1.VisitKind_VISIT_KIND_PUBLICITY: "publicity",
		ruqiv1.VisitKind_VISIT_KIND_SURVEY:    "survey",
		ruqiv1.VisitKind_VISIT_KIND_SERVICE:   "service",
	}[k]
}

// VisitKindFromClaim reads a code's visit-kind claim: empty is an
// inspection (code.Parse refuses any claim it does not know).
func VisitKindFromClaim(claim string) ruqiv1.VisitKind {
	for _, k := range []ruqiv1.VisitKind{ruqiv1.VisitKind_VISIT_KIND_PATROL, ruqiv1.VisitKind_VISIT_KIND_PUBLICITY,
		ruqiv1.VisitKind_VISIT_KIND_SURVEY, ruqiv1.VisitKind_VISIT_KIND_SERVICE} {
		if VisitKindClaim(k) == claim {
			return k
		}
	}
	return ruqiv1.VisitKind_VISIT_KIND_INSPECTION
}

// NotInspectionMessage is what the enterprise is told when it scans the code
// of a visit that is not an inspection: plainly, nothing may be inspected.
func NotInspectionMessage(k ruqiv1.VisitKind) string {
	return fmt.Sprintf("本次入企为「%s」，不是行政检查（非行政检查）：来访人员不得进行任何检查，企业可拒绝任何检查要求。", VisitKindLabel(k))
}

// validateVisitShape checks a registration of a visit that is not an
// inspection: it names no inspection type, no check items and no trigger,
// and is not an emergency recorded afterwards.
func validateVisitShape(r *ruqiv1.RegisterInspectionRequest) error {
	k := r.GetVisitKind()
	if VisitKindClaim(k) == "" {
		return Invalidf("VISIT_KIND_UNKNOWN", "不支持的入企类型（%d）：请选择行政检查、日常巡查、政策宣传、走访调研或服务", int32(k))
	}
	label := VisitKindLabel(k)
	if len(r.GetCheckItemIds()) > 0 {
		return Invalidf("VISIT_HAS_ITEMS", "%s不是行政检查，不能填写检查事项；如需检查，请按行政检查报备", label)
	}
	if r.GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_UNSPECIFIED {
		return Invalidf("VISIT_HAS_TYPE", "%s不是行政检查，不能选择检查类型", label)
	}
	if r.GetTriggerReference() != "" || r.GetLateReason() != "" {
		return Invalidf("VISIT_NOT_CASE", "%s不是行政检查，不能填写触发依据或事后补录原因", label)
	}
	return nil
}

// Notice is a region's rule for 检查预告 (深圳: enterprises receive notice of
// coming inspections): a registered visit is shown to its enterprise Lead
// before its window begins, except the Unannounced inspection types, shown
// only once their window begins (双随机 and 个案 checks lose their point if
// announced). Visits that are not inspections are always announced.
type Notice struct {
	Lead        time.Duration
	Unannounced []ruqiv1.InspectionType
}

// From is when the enterprise is first shown ins.
func (n Notice) From(ins *ruqiv1.Inspection) time.Time {
	start := ins.GetWindowStart().AsTime()
	if IsInspection(ins.GetVisitKind()) && slices.Contains(n.Unannounced, ins.GetType()) {
		return start
	}
	return start.Add(-n.Lead)
}

// Shown reports whether the enterprise may see ins at now: its notice time
// has come, or the visit took place as the enterprise saw it (a code of it
// scanned valid there, or its results recorded). A code refused at the
// scan (not yet valid: officers early) does not show it. Before that, the enterprise's
// pages, history and notices do not list it, and asked for by id it is not
// there.
func (n Notice) Shown(ins *ruqiv1.Inspection, now time.Time) bool {
	return !now.Before(n.From(ins)) || ins.GetFirstCheckedInAt() != nil ||
		ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
}

// Upcoming reports whether ins belongs in the enterprise's notices at now:
// shown, still registered (not cancelled, not completed), its window not
// ended.
func (n Notice) Upcoming(ins *ruqiv1.Inspection, now time.Time) bool {
	return ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED &&
		now.Before(ins.GetWindowEnd().AsTime()) && n.Shown(ins, now)
}

// MayEvaluate says whether the enterprise may evaluate ins now: an inspection
// once it is closed (its results recorded); a visit that is not an
// inspection, which has no results, once it took place: checked in by a
// scan (上海's 先赋码、再凭码检查、最后扫码评价). A cancelled visit is never
// evaluated. Until 2026-12-06 a visit whose window had passed unscanned
// could be evaluated too; the agency could then not cancel it, and that
// refusal told it which enterprise had evaluated (a privacy and access
// trial): an evaluation now always follows a check-in the agency sees. A
// visit made without showing the code is for a complaint.
func MayEvaluate(ins *ruqiv1.Inspection, now time.Time) error {
	if IsInspection(ins.GetVisitKind()) {
		if ins.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED {
			return FailedPreconditionf("NOT_COMPLETED", "检查 %s 尚未办结，办结后才能评价", ins.GetId())
		}
		return nil
	}
	if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		return FailedPreconditionf("VISIT_CANCELLED", "%s 已撤销，不能评价", ins.GetId())
	}
	if ins.GetFirstCheckedInAt() == nil {
		return FailedPreconditionf("VISIT_NOT_HELD", "「%s」%s 没有扫码入企的记录，扫码入企后才能评价；执法人员未出示入企码的，可以投诉", VisitKindLabel(ins.GetVisitKind()), ins.GetId())
	}
	return nil
}

// The overall score of an evaluation (评价): 1 to 5.
const (
	MinOverall = 1
	MaxOverall = 5
)

// ValidateOverall checks an evaluation's overall score.
func ValidateOverall(n int32) error {
	if n < MinOverall || n > MaxOverall {
		return Invalidf("OVERALL_RANGE", "总体满意度须为%d至%d分，收到%d", MinOverall, MaxOverall, n)
	}
	return nil
}

// MaxOccurredAge is how long ago a complaint may say something happened.
// Beyond it the date is a slip of the keyboard (year 0001, 1026), and the
// lead would sit among the 司法局's by month centuries back.
const MaxOccurredAge = 10 * 365 * 24 * time.Hour

// ValidateOccurred checks when a complaint says something happened: not
// later than now, give or take leeway (clocks disagree a little), and not
// more than MaxOccurredAge ago.
func ValidateOccurred(at, now time.Time, leeway time.Duration) error {
	if at.After(now.Add(leeway)) {
		return Invalidf("OCCURRED_IN_FUTURE", "发生时间（%s）不能晚于现在", FormatTime(at))
	}
	if at.Before(now.Add(-MaxOccurredAge)) {
		return Invalidf("OCCURRED_TOO_EARLY", "发生时间（%s）早于十年前：请核对年份", FormatTime(at))
	}
	return nil
}

// RefusedState names a visit of the enterprise's history (检查记录) as the
// enterprise stands towards it: a visit it refused and nobody has cancelled
// or closed since is 企业已拒绝, as the CLI's history and 检查预告 say; "" for
// any other, which its state names.
func RefusedState(v *ruqiv1.InspectionView) string {
	if v.GetRefusedAt() != nil && v.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
		return "企业已拒绝"
	}
	return ""
}

// VisitWord is what a visit of kind k is called in a sentence: 检查 for an
// inspection, 入企 for a visit that is not one.
func VisitWord(k ruqiv1.VisitKind) string {
	if IsInspection(k) {
		return "检查"
	}
	return "入企"
}

// RefusedButValidMessage is what a valid scan of a visit the enterprise
// has refused says instead of "请配合检查": the code is genuine and the visit
// registered, but the enterprise said no, and a later scan must not tell the
// front desk otherwise (a trial of the pages, 2026-12-07: the code read
// green 有效…请配合检查 after the refusal, while the history said 企业已拒绝).
func RefusedButValidMessage(kind ruqiv1.VisitKind, refusedAt time.Time) string {
	what := VisitWord(kind)
	return fmt.Sprintf("入企码有效、已报备，但本企业已于 %s 拒绝这次%s，拒绝已作为问题线索报送司法局。是否接受%s，由企业决定", FormatTime(refusedAt), what, what)
}

// EvaluationNote says, in the enterprise's history, where a visit stands
// for its evaluation (MayEvaluate's rule, in words): evaluated, to
// evaluate, not yet, or nothing to evaluate (a cancelled visit). A trial as
// a restaurant on a phone (2026-12-07) read "办结后扫执法人员的入企码即可评价"
// under a cancelled visit.
func EvaluationNote(v *ruqiv1.InspectionView) string {
	switch {
	case v.GetEvaluated():
		return "已评价"
	case v.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		return "已撤销，无需评价"
	case !IsInspection(v.GetVisitKind()):
		if v.GetCheckedInAt() == nil {
			return "未评价（扫码入企后，扫来访人员的入企码即可评价）"
		}
		// The page offers the evaluation of a visit that is not an
		// inspection once its window is over (the code then scans as
		// expired): scanned within it, the code is valid and no form is
		// offered (a review, 2026-12-06).
		return "待评价：来访时段结束后，扫来访人员的入企码即可评价"
	case v.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
		return "待评价：扫执法人员的入企码即可评价"
	}
	return "未评价（办结后扫执法人员的入企码即可评价）"
}

// SortVisitsLatestFirst orders an enterprise's inspections as its history
// lists them (the page 检查记录 and `ruqi company history` alike): the
// latest visit first, a visit placed by its earliest plan's start, the
// plans of one joint visit together. The service lists by id, whose suffix
// is random within a day; sorting each row by its own window parted a
// joint visit whose plans have windows of their own (a review,
// 2026-12-06).
func SortVisitsLatestFirst(views []*ruqiv1.InspectionView) {
	visit := func(v *ruqiv1.InspectionView) string {
		if j := v.GetJointInspectionId(); j != "" {
			return j
		}
		return v.GetInspectionId()
	}
	start := map[string]time.Time{}
	for _, v := range views {
		at := v.GetWindowStart().AsTime()
		if t, ok := start[visit(v)]; !ok || at.Before(t) {
			start[visit(v)] = at
		}
	}
	slices.SortStableFunc(views, func(a, b *ruqiv1.InspectionView) int {
		if c := start[visit(b)].Compare(start[visit(a)]); c != 0 {
			return c
		}
		return strings.Compare(visit(a), visit(b))
	})
}
