package inspection

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Refusal is an enterprise's refusal (企业有权拒绝检查). The handler has
// decided what a code shown proves: InspectionID and OfficerID come from a
// code only if it verified for this enterprise.
type Refusal struct {
	InspectionID, OfficerID string
	// FromCode: InspectionID is that of a code the officer showed, which
	// verified for this enterprise: the visit is at the door, whatever its
	// notice. An id typed in must be of a visit the enterprise is shown
	// (MayReadAt), so that it cannot confirm, or refuse ahead of time, an
	// unannounced check it has guessed or been told the id of.
	FromCode bool
	// Reason is the enterprise's, with a note if a code shown did not verify.
	Reason string
	// LeadID makes the refusal idempotent; "" to have it decided here: the
	// inspection's one refusal lead (RefusalLeadID), or else RequestID's.
	LeadID string
	// RequestID, if given, makes a refusal that names no inspection
	// idempotent: the same form submitted twice is one lead. It is bounded
	// as every request id is (domain.ValidateRequestID): a red-team trial
	// (2026-12-06) had refusals recorded with ids of 200,000 characters.
	RequestID string
	// Policies give the region's phase: in its trial phase (试运行) a refusal is only
	// advisory.
	Policies *coord.Policies
}

// Refused is what a refusal recorded.
type Refused struct {
	LeadID   string
	EventSeq uint64
	// Repeated: the same refusal was recorded before; nothing was written.
	Repeated bool
	// ReasonDropped: repeated with another reason than the one recorded,
	// which is not kept.
	ReasonDropped bool
	// Advisory: recorded in the region's trial phase.
	Advisory bool
}

// trialNote follows a refusal's reason in a region's trial phase.
const trialNote = "（试运行阶段，仅作提示）"

// Refuse records enterprise p's refusal, its event, its count and its lead.
// The same inspection refused again, or the same form submitted twice, is
// the first refusal, not a second lead.
func Refuse(tx store.Tx, p auth.Principal, now time.Time, in Refusal) (Refused, error) {
	uscc, detail := p.Subject, in.Reason
	rid := strings.TrimSpace(in.RequestID)
	if err := domain.ValidateRequestID(rid); err != nil {
		return Refused{}, err
	}
	if in.LeadID == "" {
		switch {
		case in.InspectionID != "":
			in.LeadID = RefusalLeadID(in.InspectionID, uscc)
		case rid != "":
			in.LeadID = domain.LeadIDFor("refusal-request|" + uscc + "|" + rid)
		}
	}
	if in.LeadID != "" {
		if l, err := tx.Lead(in.LeadID); err == nil {
			d := l.GetDescription()
			return Refused{LeadID: l.GetId(), Repeated: true, ReasonDropped: d != detail && d != detail+trialNote}, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return Refused{}, err
		}
	}
	lead := &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_REFUSAL, EnterpriseUscc: uscc, InspectionId: in.InspectionID, OfficerId: in.OfficerID, Description: detail, OccurredAt: timestamppb.New(now)}
	if in.InspectionID != "" {
		ins, err := Load(tx, in.InspectionID)
		if err != nil {
			return Refused{}, err
		}
		if in.FromCode {
			err = MayRead(tx, p, ins)
		} else {
			err = MayReadAt(tx, p, ins, now, in.Policies)
		}
		if err != nil {
			return Refused{}, err
		}
		lead.AgencyId = ins.GetAgencyId()
	}
	ent, err := tx.Enterprise(uscc)
	if err != nil {
		return Refused{}, err
	}
	var out Refused
	// In the region's trial phase (试运行) a refusal is recorded but the
	// enterprise is only advised: the right to refuse starts with full use.
	if in.Policies.For(ent.GetRegionCode()).Trial(now) {
		out.Advisory = true
		detail += trialNote
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_REFUSED)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId, e.Detail = in.InspectionID, uscc, in.OfficerID, detail
	if err := j.Record(e); err != nil {
		return Refused{}, err
	}
	out.EventSeq = e.GetSeq()
	lead.Description = detail
	l, err := j.OpenLead(in.LeadID, lead)
	if err != nil {
		return Refused{}, err
	}
	out.LeadID = l.GetId()
	return out, j.Count(Count{report.Refusals, now, ent.GetRegionCode(), lead.GetAgencyId(), uscc, 1})
}

// EvaluationInput is the enterprise's evaluation (评价) of an inspection.
type EvaluationInput struct {
	InspectionID                                         string
	CertificateShown, RightsExplained, ConductedProperly bool
	Overall                                              int32
	Comment                                              string
	// Policies give the region's 检查预告: an inspection not yet shown to
	// the enterprise is not found (MayReadAt).
	Policies *coord.Policies
}

// Evaluate records enterprise p's evaluation of one of its closed
// inspections, or of a visit that is not an inspection once it took place
// (domain.MayEvaluate), once. The evaluation and the agency's counters are written
// together; the agency reads only the counters.
func Evaluate(tx store.Tx, p auth.Principal, now time.Time, in EvaluationInput) (*ruqiv1.Evaluation, error) {
	if err := domain.ValidateOverall(in.Overall); err != nil {
		return nil, err
	}
	if len([]rune(in.Comment)) > 1000 {
		return nil, domain.Invalidf("COMMENT_TOO_LONG", "评价意见过长（最多1000字）")
	}
	ins, err := Load(tx, in.InspectionID)
	if err != nil {
		return nil, err
	}
	if err := MayReadAt(tx, p, ins, now, in.Policies); err != nil {
		return nil, err
	}
	if err := domain.MayEvaluate(ins, now); err != nil {
		return nil, err
	}
	if _, err := tx.Evaluation(ins.GetId()); err == nil {
		return nil, domain.AlreadyExistsf("ALREADY_EVALUATED", "检查 %s 已评价过，每次检查只能评价一次", ins.GetId())
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	ev := &ruqiv1.Evaluation{
		InspectionId: ins.GetId(), AgencyId: ins.GetAgencyId(), EnterpriseUscc: ins.GetEnterpriseUscc(),
		CertificateShown: in.CertificateShown, RightsExplained: in.RightsExplained, ConductedProperly: in.ConductedProperly,
		Overall: in.Overall, Comment: strings.TrimSpace(in.Comment), At: timestamppb.New(now),
	}
	if err := tx.PutEvaluation(ev); err != nil {
		return nil, err
	}
	ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return nil, err
	}
	count := func(m report.Metric, n int64) Count {
		return Count{m, now, ent.GetRegionCode(), ins.GetAgencyId(), "", n}
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_EVALUATED)
	e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), EvaluationDetail(ev)
	if !domain.IsInspection(ins.GetVisitKind()) {
		// A visit that is not an inspection owes the enterprise no
		// certificate, no statement of its rights and no proper
		// inspection: its answers are the supervisor's to read
		// (ListEvaluations), not the agency's inspection figures (its
		// 出示执法证 read 50% over one inspection with the certificate
		// shown and one survey "without" it; a 司法局's trial, 2026-12-07).
		return ev, j.Record(e)
	}
	// The enterprise among the month's evaluators, and the evaluation among
	// those they account for (EvaluatedPrefix).
	month := report.Month(now)
	if err := noteEvaluator(tx, ins.GetAgencyId(), month, ins.GetEnterpriseUscc()); err != nil {
		return nil, err
	}
	if err := tx.AddCount(EvaluatedPrefix+ins.GetAgencyId()+"|"+month, 1); err != nil {
		return nil, err
	}
	return ev, j.Record(e, count(report.EvalCount, 1), count(report.EvalOverall, int64(in.Overall)), count(report.EvalCertificate, b2i(in.CertificateShown)),
		count(report.EvalRights, b2i(in.RightsExplained)), count(report.EvalProper, b2i(in.ConductedProperly)))
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Complaint is an enterprise's complaint about an inspection, or about a
// visit that had no registered inspection at all.
type Complaint struct {
	InspectionID, OfficerClaimed, Description string
	// RequestID, if given, makes the complaint idempotent: the same
	// enterprise's same request id is the complaint already recorded.
	RequestID string
	// OccurredAt is when it happened; the complaint's time when nil.
	OccurredAt *timestamppb.Timestamp
	// Policies give the region's 检查预告: an inspection not yet shown to
	// the enterprise is not found (MayReadAt).
	Policies *coord.Policies
}

// Complain records enterprise p's complaint, its count and its lead. It may
// name an inspection of the enterprise, and a time up to the clock leeway
// ahead of now. again is set when the request id's complaint was recorded
// before: the lead is that one, and nothing new is written.
func Complain(tx store.Tx, p auth.Principal, now time.Time, leeway time.Duration, in Complaint) (lead *ruqiv1.Lead, again bool, err error) {
	if domain.Blank(in.Description) {
		return nil, false, domain.Invalidf("DESCRIPTION_MISSING", "请填写%s", "投诉内容（发生了什么）")
	}
	if err := errors.Join(domain.ValidateText("投诉内容", in.Description, domain.MaxComplaint), domain.ValidateText("执法人员", in.OfficerClaimed, domain.MaxComplaintOfficer)); err != nil {
		return nil, false, domain.Invalidf("TEXT_TOO_LONG", "%v", err)
	}
	if at := in.OccurredAt; at != nil {
		if err := domain.ValidateOccurred(at.AsTime(), now, leeway); err != nil {
			return nil, false, err
		}
	}
	uscc := p.Subject
	leadID := ""
	if rid := strings.TrimSpace(in.RequestID); rid != "" {
		if err := domain.ValidateRequestID(rid); err != nil {
			return nil, false, err
		}
		// One complaint sent twice (its answer lost, a form submitted
		// again) is one lead and one count (an agency's trial,
		// 2026-12-06: a retried complaint made two leads).
		leadID = domain.LeadIDFor("complaint-request|" + uscc + "|" + rid)
		if l, err := tx.Lead(leadID); err == nil {
			// A time given must be the one recorded: the web form sent
			// again with another 发生时间 under its request id was answered
			// as recorded, and kept the first time (a review, 2026-12-08).
			otherTime := in.OccurredAt != nil && !in.OccurredAt.AsTime().Equal(l.GetOccurredAt().AsTime())
			if l.GetDescription() != strings.TrimSpace(in.Description) || l.GetOfficerClaimed() != strings.TrimSpace(in.OfficerClaimed) || l.GetInspectionId() != in.InspectionID || otherTime {
				// Other words under the same id are another complaint, not
				// the retry of this one: said, not dropped (a review,
				// 2026-12-06).
				return nil, false, domain.FailedPreconditionf("REQUEST_ID_REUSED", "请求编号 %s 已用于另一条投诉（问题线索 %s），本次内容与之不同，未予记录：如要另行投诉，请换一个请求编号或重新打开投诉页面", rid, l.GetId())
			}
			return l, true, nil
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, false, err
		}
	}
	lead = &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, EnterpriseUscc: uscc, OfficerClaimed: strings.TrimSpace(in.OfficerClaimed),
		Description: strings.TrimSpace(in.Description), OccurredAt: in.OccurredAt}
	if lead.OccurredAt == nil {
		// Without a time given, the complaint is about now: a lead
		// without any time cannot be placed in a report or a month.
		lead.OccurredAt = timestamppb.New(now)
	}
	if in.InspectionID != "" {
		ins, err := Load(tx, in.InspectionID)
		if err != nil {
			return nil, false, err
		}
		if err := MayReadAt(tx, p, ins, now, in.Policies); err != nil {
			return nil, false, err
		}
		lead.InspectionId, lead.AgencyId = ins.GetId(), ins.GetAgencyId()
	}
	ent, err := tx.Enterprise(uscc)
	if err != nil {
		return nil, false, err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_COMPLAINED)
	e.InspectionId, e.EnterpriseUscc, e.Detail = lead.GetInspectionId(), uscc, lead.GetDescription()
	if err := j.Record(e, Count{report.Complaints, now, ent.GetRegionCode(), lead.GetAgencyId(), uscc, 1}); err != nil {
		return nil, false, err
	}
	lead, err = j.OpenLead(leadID, lead)
	return lead, false, err
}

// ResultInput is what the officers found, per item of their plan.
type ResultInput struct {
	InspectionID string
	Items        []*ruqiv1.ItemResult
	Summary      string
	// Close closes the inspection: every item must have its result.
	Close bool
}

// RecordResult records officer p's result and closes the inspection when
// asked; closing it may complete a no-finding streak
// (domain.NoFindingStreaks), a warning for the 司法局.
func RecordResult(tx store.Tx, p auth.Principal, now time.Time, leeway time.Duration, in ResultInput) (*ruqiv1.Inspection, error) {
	ins, err := Load(tx, in.InspectionID)
	if err != nil {
		return nil, err
	}
	if err := MayManage(tx, p, ins); err != nil {
		return nil, err
	}
	if !domain.IsInspection(ins.GetVisitKind()) {
		return nil, domain.FailedPreconditionf("NOT_AN_INSPECTION", "%s 是「%s」，不是行政检查：没有检查事项，不能记录检查结果", ins.GetId(), domain.VisitKindLabel(ins.GetVisitKind()))
	}
	switch ins.GetState() {
	case ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		return nil, domain.FailedPreconditionf("INSPECTION_CANCELLED", "检查 %s 已撤销，不能记录结果", ins.GetId())
	case ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
		return nil, domain.FailedPreconditionf("INSPECTION_COMPLETED", "检查 %s 已办结，结果不能再修改", ins.GetId())
	}
	if now.Before(ins.GetWindowStart().AsTime().Add(-leeway)) {
		return nil, domain.FailedPreconditionf("NOT_STARTED", "检查 %s 尚未开始（%s），不能记录结果", ins.GetId(), domain.FormatTime(ins.GetWindowStart().AsTime()))
	}
	if err := validateItemResults(ins, in.Items, now); err != nil {
		return nil, err
	}
	if err := domain.ValidateText("总体情况", in.Summary, 2000); err != nil {
		return nil, err
	}
	ins.Result = &ruqiv1.InspectionResult{
		InspectionId: ins.GetId(), AgencyId: ins.GetAgencyId(), EnterpriseUscc: ins.GetEnterpriseUscc(),
		Items: in.Items, Summary: strings.TrimSpace(in.Summary),
		RecordedAt: timestamppb.New(now), RecordedBy: p.String(),
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED)
	e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), ResultDetail(ins.GetResult())
	if err := j.Record(e); err != nil {
		return nil, err
	}
	if in.Close {
		if len(in.Items) != len(ins.GetCheckItemIds()) {
			return nil, domain.Invalidf("RESULT_INCOMPLETE", "办结前须为全部%d个检查事项记录结果，本次只有%d个", len(ins.GetCheckItemIds()), len(in.Items))
		}
		MarkClosed(ins, now)
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_COMPLETED)
		e.InspectionId, e.EnterpriseUscc = ins.GetId(), ins.GetEnterpriseUscc()
		// One more enterprise that may evaluate the agency (EvaluationSummary),
		// from the month after this one, which it has whole to evaluate in: an
		// inspection closed at 23:30 on a month's last day, counted in that
		// month, said "may not have evaluated" of an enterprise that had no
		// time to (report.EvalDue).
		due := Count{report.EvalDue, report.MonthAfter(now), RegionOf(tx, ins.GetEnterpriseUscc()), ins.GetAgencyId(), "", 1}
		if err := j.Record(e, due); err != nil {
			return nil, err
		}
		if err := warnNoFindingStreak(tx, j, ins, now); err != nil {
			return nil, err
		}
	}
	return ins, tx.PutInspection(ins)
}

// MarkClosed marks ins closed (办结) at now: its visit is over, nothing
// joins it and its agency may register the enterprise again
// (coord.Plan.Closed). The caller writes ins, and tells the coordinator
// (Forget) once this commits; until then a decision made under the state
// that holds the visit open is held by CheckStillOpen.
func MarkClosed(ins *ruqiv1.Inspection, now time.Time) {
	ins.State = ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
	ins.CompletedAt = timestamppb.New(now)
}

func validateItemResults(ins *ruqiv1.Inspection, items []*ruqiv1.ItemResult, now time.Time) error {
	if len(items) == 0 {
		return domain.Invalidf("RESULT_EMPTY", "请至少为一个检查事项记录结果")
	}
	for _, it := range items {
		if err := domain.ValidateText("事项备注", it.GetNote(), 1000); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, it := range items {
		// An item without its id was refused as "检查事项  不在本次报备的事项中"
		// (a trial of bad input, 2026-12-07): it names nothing to look for.
		if domain.Blank(it.GetCheckItemId()) {
			return domain.Invalidf("RESULT_ITEM_MISSING", "请为每条结果填写检查事项编号")
		}
		if !contains(ins.GetCheckItemIds(), it.GetCheckItemId()) {
			return domain.Invalidf("RESULT_ITEM_UNKNOWN", "检查事项 %s 不在本次报备的事项中：清单之外无检查", it.GetCheckItemId())
		}
		if seen[it.GetCheckItemId()] {
			return domain.Invalidf("RESULT_ITEM_REPEATED", "检查事项 %s 重复记录", it.GetCheckItemId())
		}
		seen[it.GetCheckItemId()] = true
		switch it.GetOutcome() {
		case ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM, ruqiv1.ItemOutcome_ITEM_OUTCOME_FIRST_VIOLATION_NO_PENALTY,
			ruqiv1.ItemOutcome_ITEM_OUTCOME_MINOR_NO_PENALTY, ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED:
			// Only a rectification has a deadline. One sent with another
			// outcome was kept, unchecked (year 1 or 9999 too), and the
			// enterprise read "未发现问题，整改期限 2027-01-07": told to
			// rectify what was found in order (a trial of bad input,
			// 2026-12-07; the CLI refused it, the API did not).
			if it.GetRectificationDeadline() != nil {
				return domain.Invalidf("DEADLINE_WITHOUT_RECTIFICATION", "只有责令整改的事项填写整改期限：检查事项 %s 的结果是「%s」，请去掉整改期限", it.GetCheckItemId(), domain.ItemOutcomeLabel(it.GetOutcome()))
			}
		case ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED:
			if it.GetRectificationDeadline() == nil {
				return domain.Invalidf("DEADLINE_MISSING", "责令整改须给出晚于现在的整改期限（检查事项 %s）", it.GetCheckItemId())
			}
			// A deadline given but gone by is not one missing: it was
			// answered DEADLINE_MISSING without the date (an officer's
			// trial, 2026-12-07).
			if d := it.GetRectificationDeadline().AsTime(); !d.After(now) {
				return domain.Invalidf("DEADLINE_PAST", "整改期限 %s 已过，应晚于现在（检查事项 %s）；请核对日期", domain.FormatTime(d), it.GetCheckItemId())
			}
			// A year mistyped (2062 for 2026) was recorded as given and
			// shown to the enterprise as its deadline (an officer's trial,
			// 2026-12-06); no rectification is given years.
			if d := it.GetRectificationDeadline().AsTime(); d.After(now.AddDate(rectificationYears, 0, 0)) {
				return domain.Invalidf("DEADLINE_TOO_FAR", "整改期限 %s 超过%d年，请核对年份（检查事项 %s）", domain.FormatTime(d), rectificationYears, it.GetCheckItemId())
			}
		default:
			return domain.Invalidf("OUTCOME_MISSING", "请为检查事项 %s 选择结果：未发现问题、首违不罚、轻微免罚、责令整改或立案", it.GetCheckItemId())
		}
	}
	return nil
}

func outcomeSummary(items []*ruqiv1.ItemResult) string {
	var parts []string
	for _, it := range items {
		parts = append(parts, it.GetCheckItemId()+"="+strings.TrimPrefix(it.GetOutcome().String(), "ITEM_OUTCOME_"))
	}
	return strings.Join(parts, " ")
}

// warnNoFindingStreak warns the 司法局 when an officer has found nothing three
// times in a row at one enterprise within a year (domain.NoFindingStreaks).
func warnNoFindingStreak(tx store.Tx, j *Journal, ins *ruqiv1.Inspection, now time.Time) error {
	if !domain.NoFinding(ins.GetResult()) {
		return nil
	}
	list, err := tx.InspectionsOfEnterprise(ins.GetEnterpriseUscc(), store.Page{})
	if err != nil {
		return err
	}
	for _, st := range domain.NoFindingStreaks(ins, list, now) {
		ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
		if err != nil {
			return err
		}
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING)
		e.InspectionId, e.EnterpriseUscc, e.OfficerId = ins.GetId(), ins.GetEnterpriseUscc(), st.OfficerID
		e.Detail = fmt.Sprintf("no_finding_streak count=3 previous=%s,%s", st.Previous[0], st.Previous[1])
		if err := j.Record(e, Count{report.NoFindingStreaks, now, ent.GetRegionCode(), ins.GetAgencyId(), ins.GetEnterpriseUscc(), 1}); err != nil {
			return err
		}
		// 成都 holds the officer's next check of the enterprise until a
		// reason is given (CheckRegistration).
		hold := StreakHoldKey(ins.GetEnterpriseUscc(), st.OfficerID)
		n, err := tx.Count(hold)
		if err != nil {
			return err
		}
		if n == 0 {
			if err := tx.AddCount(hold, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

// rectificationYears bounds a rectification deadline (责令整改): at most this
// many years from the result's recording.
const rectificationYears = 3

// StreakHoldKey is set while officer's next inspection of enterprise uscc is
// held until a reason is given: the officer found nothing there three times
// in a row within a year (成都; warnNoFindingStreak sets it, the
// registration that gives the reason clears it).
func StreakHoldKey(uscc, officer string) string { return "streak_hold|" + uscc + "|" + officer }

// streakReleasedBy marks an officer whose hold an inspection's reason
// released (Register), so that cancelling it gives back the hold to that
// officer only: the check it was given for never took place (a review,
// 2026-12-06).
func streakReleasedBy(inspectionID, officer string) string {
	return "streak_released_by|" + inspectionID + "|" + officer
}

// giveBackStreakHolds holds again the officers whose hold cancelled ins had
// released, unless another streak holds them already.
func giveBackStreakHolds(tx store.Tx, ins *ruqiv1.Inspection) error {
	if ins.GetStreakReason() == "" {
		return nil // released nothing: no read on an ordinary cancellation
	}
	for _, o := range ins.GetOfficerIds() {
		n, err := tx.Count(streakReleasedBy(ins.GetId(), o))
		if err != nil {
			return err
		}
		if n <= 0 {
			continue
		}
		if err := tx.AddCount(streakReleasedBy(ins.GetId(), o), -n); err != nil {
			return err
		}
		hold := StreakHoldKey(ins.GetEnterpriseUscc(), o)
		h, err := tx.Count(hold)
		if err != nil {
			return err
		}
		if h <= 0 {
			if err := tx.AddCount(hold, 1-h); err != nil {
				return err
			}
		}
	}
	return nil
}

// streakHeld lists the officers of a registration whose next inspection of
// the enterprise is held (StreakHoldKey), and refuses it without a reason.
// A late record is not held: the visit took place, and the 司法局 sees it
// flagged anyway. Nor is a visit that is not an inspection (走访调研, 服务):
// the hold is on the next check, which such a visit would release unchecked
// (a review, 2026-12-06).
func streakHeld(r store.Reader, req *ruqiv1.RegisterInspectionRequest, officers []*ruqiv1.Officer) ([]string, error) {
	if domain.IsLateRecord(req) || !domain.IsInspection(req.GetVisitKind()) {
		return nil, nil
	}
	ids := make([]string, len(officers))
	for i, o := range officers {
		ids[i] = o.GetId()
	}
	held, err := StreakHeldOfficers(r, req.GetEnterpriseUscc(), ids)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, o := range officers {
		if contains(held, o.GetId()) {
			names = append(names, o.GetName()+"（"+o.GetId()+"）")
		}
	}
	if len(held) > 0 && domain.Blank(req.GetStreakReason()) {
		return nil, domain.FailedPreconditionf("NO_FINDING_STREAK",
			"执法人员%s近一年在企业 %s 连续三次检查均未发现问题，对该企业的下一次检查须说明理由：请填写再次检查的理由",
			strings.Join(names, "、"), req.GetEnterpriseUscc()).With("officer_ids", strings.Join(held, ","))
	}
	return held, nil
}

// StreakHeldOfficers returns those of officerIDs whose next inspection of
// enterprise uscc is held until a reason is given (StreakHoldKey), in the
// order given. The enterprise's holds are read in one read (a key range on
// bbolt, one query on PostgreSQL), not one per officer: a registration reads
// them twice, once inside the writing transaction.
func StreakHeldOfficers(r store.Reader, uscc string, officerIDs []string) ([]string, error) {
	holds := map[string]bool{}
	prefix := StreakHoldKey(uscc, "")
	err := r.Counts(prefix, func(key string, n int64) error {
		if n > 0 {
			holds[strings.TrimPrefix(key, prefix)] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var held []string
	for _, id := range officerIDs {
		if holds[id] {
			held = append(held, id)
		}
	}
	return held, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
