package inspection

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Inspection plans (检查计划): each step here is one transaction's work,
// writing the plan and its event through the Journal. The rules about
// versions, approval and publication are in internal/domain/plan.go.

// LoadPlan reads a plan named by a caller.
func LoadPlan(r store.Reader, id string) (*ruqiv1.Plan, error) {
	if strings.TrimSpace(id) == "" {
		return nil, domain.Invalidf("PLAN_ID_MISSING", "请填写检查计划编号")
	}
	p, err := r.Plan(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, unknownPlan(id)
	}
	return p, err
}

// unknownPlan is the answer for a plan id nobody filed, and for a plan a
// supervisor may not know of: the two must read alike.
func unknownPlan(id string) error {
	return domain.NotFoundf("PLAN_UNKNOWN", "检查计划 %s 不存在，请核对计划编号", id)
}

// MayManagePlan is the object check for an agency's own plans: its
// officers, administrator and head; a system administrator for any.
func MayManagePlan(r store.Reader, p auth.Principal, pl *ruqiv1.Plan) error {
	if p.Is(ruqiv1.Role_ROLE_AGENCY_HEAD) {
		if p.Subject == pl.GetAgencyId() {
			return nil
		}
		return domain.PermissionDeniedf("OTHER_AGENCY", "检查计划 %s 不属于您的部门，无权操作", pl.GetId())
	}
	if err := MayManage(r, p, &ruqiv1.Inspection{Id: pl.GetId(), AgencyId: pl.GetAgencyId()}); err != nil {
		return domain.PermissionDeniedf("OTHER_AGENCY", "检查计划 %s 不属于您的部门，无权操作", pl.GetId())
	}
	return nil
}

// MayReadPlan extends MayManagePlan to the supervisors the plan concerns
// (domain.PlanConcernsRegion: the plan is filed with them); to any other
// supervisor it is unknown.
func MayReadPlan(r store.Reader, p auth.Principal, pl *ruqiv1.Plan) error {
	if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) {
		if domain.PlanConcernsRegion(pl, p.Subject, func(u string) string { return RegionOf(r, u) }) {
			return nil
		}
		// As an id nobody filed: "not in your region" told a supervisor
		// of another district the plan exists (a red-team trial, 2026-12-06).
		return unknownPlan(pl.GetId())
	}
	return MayManagePlan(r, p, pl)
}

// PlanAgency resolves the agency a plan is filed for: an agency head acts
// for their agency as an agency administrator does.
func PlanAgency(r store.Reader, p auth.Principal, requested string) (*ruqiv1.Agency, error) {
	var id string
	var err error
	if p.Is(ruqiv1.Role_ROLE_AGENCY_HEAD) {
		if requested != "" && requested != p.Subject {
			return nil, domain.PermissionDeniedf("OTHER_AGENCY", "部门负责人只能为本部门（%s）操作，不能代部门 %s 操作", p.Subject, requested)
		}
		id = p.Subject
	} else if id, err = AgencyOf(r, p, requested); err != nil {
		return nil, err
	}
	return agencyRecord(r, id)
}

// checkPlanDirectory checks a version against the directory: its items on
// the agency's list and not retired, its listed enterprises in the
// directory, of the agency's territory, and none that barred says no
// proactive inspection by the agency may reach (a plan is never 个案).
func checkPlanDirectory(r store.Reader, agencyID string, v *ruqiv1.PlanVersion, barred Barred) error {
	items := make([]*ruqiv1.CheckItem, 0, len(v.GetCheckItemIds()))
	for _, id := range v.GetCheckItemIds() {
		it, err := r.CheckItem(id)
		if err != nil {
			return notFound(err, "ITEM_UNKNOWN", "检查事项 %s 不存在，请从本部门检查事项清单中选择", id)
		}
		items = append(items, it)
	}
	if err := domain.CheckItemsForAgency(agencyID, items); err != nil {
		return err
	}
	// Its scope is where the agency will inspect, and where matching
	// proposes its joint visits (Coverages): held to the agency's
	// territory as a registration is (属地管辖), or every other agency
	// accepts a visit whose part of this one cannot register.
	ag, err := agencyRecord(r, agencyID)
	if err != nil {
		return err
	}
	if rg := v.GetScope().GetRegionCode(); rg != "" && !domain.RegionCovers(ag.GetRegionCode(), rg) {
		return domain.PermissionDeniedf("OUTSIDE_JURISDICTION", "计划范围（行政区划 %s）超出%s的管辖区域（%s）：检查计划只能覆盖本部门管辖区域内的企业", rg, ag.GetName(), ag.GetRegionCode())
	}
	var left []string
	for _, u := range v.GetScope().GetEnterpriseUsccs() {
		e, err := r.Enterprise(u)
		if err != nil {
			return notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在企业名录中，请核对统一社会信用代码", u)
		}
		if err := domain.CheckJurisdiction(ag, e, domain.ForPlan); err != nil {
			return err
		}
		if barred(agencyID, e) {
			left = append(left, u)
		}
	}
	if len(left) > 0 {
		return planBarred(left)
	}
	return nil
}

// planBarred refuses a plan that lists enterprises no proactive inspection
// may reach (by default grade A, 衡阳's 无事不扰): each would be refused at
// its registration, left out of every draw and capped out of every joint
// visit, and the published plan would announce inspections the policy
// forbids (a planner's trial: such a plan was filed without a word).
func planBarred(uscc []string) error {
	const named = 10
	list := strings.Join(uscc[:min(len(uscc), named)], "、")
	if len(uscc) > named {
		list += fmt.Sprintf(" 等 %d 家", len(uscc))
	}
	return domain.FailedPreconditionf("PLAN_ENTERPRISE_BARRED",
		"企业 %s 按本地区无事不扰的规定不得主动检查（如信用 A 级企业），不能列入检查计划：请从计划范围中删去；确有投诉举报、转办交办或事故，请按个案检查报备（有事必到）", list).
		With("enterprises_barred", fmt.Sprint(len(uscc)))
}

// planEvent records a step on a plan: the plan id and version in the
// detail, so the log says which version was filed, approved or published,
// and the report counts it moves (in the step's month, by the agency's
// region).
func planEvent(j *Journal, typ ruqiv1.EventType, pl *ruqiv1.Plan, v *ruqiv1.PlanVersion, note string, metrics ...report.Metric) error {
	e := j.Event(typ)
	e.Detail = fmt.Sprintf("%s v%d", pl.GetId(), v.GetVersion())
	if note != "" {
		e.Detail += " " + note
	}
	counts := make([]Count, len(metrics))
	for i, m := range metrics {
		counts[i] = Count{Metric: m, At: j.now, Region: pl.GetRegionCode(), Agency: pl.GetAgencyId(), Delta: 1}
	}
	return j.Record(e, counts...)
}

// FilePlan files a new plan, version 1, for the caller's agency. With a
// request id it is safe to retry: the same id returns the plan it filed,
// and no record is written again. The id is taken as sent, as a
// registration's is.
//
// barred is the frequency policy's answer (the registrations' year caps with
// nothing counted, to which a draw's population is held too): a listed
// enterprise it bars is refused (planBarred).
func FilePlan(tx store.Tx, p auth.Principal, now time.Time, req *ruqiv1.FilePlanRequest, barred Barred) (*ruqiv1.Plan, error) {
	rid := req.GetRequestId()
	if err := domain.ValidateRequestID(rid); err != nil {
		return nil, err
	}
	ag, err := PlanAgency(tx, p, req.GetAgencyId())
	if err != nil {
		return nil, err
	}
	if rid != "" {
		if pl, err := planForRequest(tx, ag.GetId(), rid, req); pl != nil || err != nil {
			return pl, err
		}
	}
	v := &ruqiv1.PlanVersion{
		Version: 1, Title: strings.TrimSpace(req.GetTitle()), Type: req.GetType(), Scope: req.GetScope(),
		CheckItemIds: req.GetCheckItemIds(), PeriodStart: req.GetPeriodStart(), PeriodEnd: req.GetPeriodEnd(),
		Reason: strings.TrimSpace(req.GetReason()), State: ruqiv1.PlanState_PLAN_STATE_FILED,
		FiledAt: timestamppb.New(now), FiledBy: Actor(p),
	}
	if err := domain.ValidatePlanVersion(v, now); err != nil {
		return nil, err
	}
	if err := checkPlanDirectory(tx, ag.GetId(), v, barred); err != nil {
		return nil, err
	}
	id, err := domain.PlanID(v.GetPeriodStart().AsTime())
	if err != nil {
		return nil, err
	}
	pl := &ruqiv1.Plan{Id: id, AgencyId: ag.GetId(), RegionCode: ag.GetRegionCode(), Versions: []*ruqiv1.PlanVersion{v}}
	if err := tx.PutPlan(pl); err != nil {
		return nil, err
	}
	if rid != "" {
		if err := tx.PutRequest(PlanRequestKey(ag.GetId(), rid), id); err != nil {
			return nil, err
		}
	}
	return pl, planEvent(journal(tx, p, now), ruqiv1.EventType_EVENT_TYPE_PLAN_FILED, pl, v, "", report.PlansFiled)
}

// PlanRequestKey scopes a plan's request id to its agency, apart from
// registrations' (RequestKey, "agency|id"): agency ids are never empty and
// hold no "|", so no scoped registration key starts with "|", and no two
// agencies' plan keys meet. A registration's bare request id from before
// ids were scoped can equal a plan key; the registration path reads such
// an entry only as an inspection of its own agency, which a plan id is
// not, so the two never answer for each other.
func PlanRequestKey(agency, requestID string) string { return "|plan|" + agency + "|" + requestID }

// planForRequest returns the plan a request id of the agency filed, nil if
// it filed none. The id used again for other contents is refused: a client
// that retries sends the same request, one that reuses an id by mistake
// must not be told its new plan was filed.
func planForRequest(tx store.Tx, agency, rid string, req *ruqiv1.FilePlanRequest) (*ruqiv1.Plan, error) {
	id, err := tx.InspectionForRequest(PlanRequestKey(agency, rid))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pl, err := LoadPlan(tx, id)
	if err != nil {
		return nil, err
	}
	if len(pl.GetVersions()) == 0 {
		return nil, fmt.Errorf("plan %s has no version", id)
	}
	first := pl.GetVersions()[0]
	same := first.GetTitle() == strings.TrimSpace(req.GetTitle()) && first.GetType() == req.GetType() &&
		proto.Equal(first.GetScope(), req.GetScope()) && slices.Equal(first.GetCheckItemIds(), req.GetCheckItemIds()) &&
		first.GetPeriodStart().AsTime().Equal(req.GetPeriodStart().AsTime()) && first.GetPeriodEnd().AsTime().Equal(req.GetPeriodEnd().AsTime()) &&
		first.GetReason() == strings.TrimSpace(req.GetReason())
	if !same {
		return nil, domain.FailedPreconditionf("REQUEST_ID_REUSED",
			"请求编号 %s 已用于本部门提交的检查计划 %s，本次的内容与之不同，未予提交；新的计划请使用新的请求编号", rid, id).
			With("existing_plan_id", id)
	}
	return pl, nil
}

// AmendPlan files a new version of a plan: what the request leaves empty is
// the newest version's. The type never changes (a special campaign stays
// one). A special plan's amendment waits for approval like the first
// version; until then the version approved before stays in force. Only the
// enterprises it adds are held to barred (FilePlan): one barred since it was
// listed (its grade raised to A) is the plan's as filed, and must not hold
// up an emergency amendment.
func AmendPlan(tx store.Tx, p auth.Principal, now time.Time, req *ruqiv1.AmendPlanRequest, barred Barred) (*ruqiv1.Plan, error) {
	pl, err := LoadPlan(tx, req.GetPlanId())
	if err != nil {
		return nil, err
	}
	if err := MayManagePlan(tx, p, pl); err != nil {
		return nil, err
	}
	if domain.Blank(req.GetReason()) {
		return nil, domain.Invalidf("AMEND_REASON_MISSING", "请填写调整检查计划的原因")
	}
	n := domain.Newest(pl)
	v := proto.Clone(n).(*ruqiv1.PlanVersion)
	v.Version = n.GetVersion() + 1
	v.Reason, v.Emergency = strings.TrimSpace(req.GetReason()), req.GetEmergency()
	v.State, v.FiledAt, v.FiledBy = ruqiv1.PlanState_PLAN_STATE_FILED, timestamppb.New(now), Actor(p)
	v.ApprovedAt, v.ApprovedBy, v.PublishedAt, v.PublishedBy, v.PublishBy, v.PublishedLate = nil, "", nil, "", nil, false
	if t := strings.TrimSpace(req.GetTitle()); t != "" {
		v.Title = t
	}
	if sc := req.GetScope(); len(sc.GetEnterpriseUsccs()) > 0 || sc.GetRegionCode() != "" || sc.GetIndustry() != "" {
		v.Scope = sc
	}
	if len(req.GetCheckItemIds()) > 0 {
		v.CheckItemIds = req.GetCheckItemIds()
	}
	if req.GetPeriodStart() != nil {
		v.PeriodStart = req.GetPeriodStart()
	}
	if req.GetPeriodEnd() != nil {
		v.PeriodEnd = req.GetPeriodEnd()
	}
	if err := domain.ValidatePlanVersion(v, now); err != nil {
		return nil, err
	}
	if samePlanContent(n, v) {
		// Versions are never rewritten and each is filed with the 司法局:
		// the same amendment sent twice (its answer lost) made a second
		// version, which left the head's approval of the first stale (a
		// trial of the CLI, 2026-12-05).
		return nil, domain.FailedPreconditionf("PLAN_AMENDMENT_EMPTY", "这次调整没有改变检查计划 %s 的内容，第 %d 版已是如此：如是重试，调整已经生效", pl.GetId(), n.GetVersion())
	}
	listed := n.GetScope().GetEnterpriseUsccs()
	added := func(agency string, e *ruqiv1.Enterprise) bool {
		return !slices.Contains(listed, e.GetUscc()) && barred(agency, e)
	}
	if err := checkPlanDirectory(tx, pl.GetAgencyId(), v, added); err != nil {
		return nil, err
	}
	pl.Versions = append(pl.Versions, v)
	if err := tx.PutPlan(pl); err != nil {
		return nil, err
	}
	note := ""
	if v.GetEmergency() {
		note = "emergency"
	}
	return pl, planEvent(journal(tx, p, now), ruqiv1.EventType_EVENT_TYPE_PLAN_AMENDED, pl, v, note)
}

// samePlanContent reports whether two versions of a plan say the same:
// its title, type, scope, items, period and whether it is an emergency
// campaign, whatever the reason given and who filed them when.
func samePlanContent(a, b *ruqiv1.PlanVersion) bool {
	return a.GetTitle() == b.GetTitle() && a.GetType() == b.GetType() && proto.Equal(a.GetScope(), b.GetScope()) &&
		slices.Equal(a.GetCheckItemIds(), b.GetCheckItemIds()) && proto.Equal(a.GetPeriodStart(), b.GetPeriodStart()) &&
		proto.Equal(a.GetPeriodEnd(), b.GetPeriodEnd()) && a.GetEmergency() == b.GetEmergency()
}

// ApprovePlan approves a special plan's newest version: only the head of the
// plan's agency may (the role table admits only heads; this checks the
// agency). Approval files it with the 司法局 of the agency's region and sets
// the day by which it must be published (publishDays from the region's
// policy).
func ApprovePlan(tx store.Tx, p auth.Principal, now time.Time, req *ruqiv1.ApprovePlanRequest, publishDays func(region string) int) (pl *ruqiv1.Plan, already bool, err error) {
	pl, err = LoadPlan(tx, req.GetPlanId())
	if err != nil {
		return nil, false, err
	}
	if !p.Is(ruqiv1.Role_ROLE_AGENCY_HEAD) || p.Subject != pl.GetAgencyId() {
		// The plan's agency is not named: an unpublished plan is not the
		// caller's to learn about.
		return nil, false, domain.PermissionDeniedf("NOT_AGENCY_HEAD", "检查计划 %s 不属于您的部门，只能由其所属部门的负责人批准", pl.GetId())
	}
	v, already, err := domain.CheckApproval(pl, req.GetVersion())
	if err != nil || already {
		// Approved before: the plan as it is, no record, event or count.
		return pl, already, err
	}
	// Heads no longer file or amend (the role table); a version a head
	// filed before that is not approved by a head either.
	if v.GetFiledBy() == Actor(p) {
		return nil, false, domain.PermissionDeniedf("APPROVER_IS_FILER", "检查计划 %s 的这一版由部门负责人提交，负责人不能批准：请由部门管理员或执法人员修订提交后再批准", pl.GetId())
	}
	v.State, v.ApprovedAt, v.ApprovedBy = ruqiv1.PlanState_PLAN_STATE_APPROVED, timestamppb.New(now), Actor(p)
	v.PublishBy = timestamppb.New(domain.PublishBy(now, publishDays(pl.GetRegionCode())))
	if err := tx.PutPlan(pl); err != nil {
		return nil, false, err
	}
	return pl, false, planEvent(journal(tx, p, now), ruqiv1.EventType_EVENT_TYPE_PLAN_APPROVED, pl, v, "", report.PlansApproved)
}

// PublishPlan publishes the newest version (approved first, if it needs
// approval); one published after its deadline is marked late and the event
// says so. A newest version published before is answered as it is, with
// already set (domain.CheckPublication).
func PublishPlan(tx store.Tx, p auth.Principal, now time.Time, req *ruqiv1.PublishPlanRequest) (pl *ruqiv1.Plan, already bool, err error) {
	pl, err = LoadPlan(tx, req.GetPlanId())
	if err != nil {
		return nil, false, err
	}
	if err := MayManagePlan(tx, p, pl); err != nil {
		return nil, false, err
	}
	v, already, err := domain.CheckPublication(pl)
	if err != nil || already {
		// Published before: the plan as it is, no record, event or count.
		return pl, already, err
	}
	v.State, v.PublishedAt, v.PublishedBy = ruqiv1.PlanState_PLAN_STATE_PUBLISHED, timestamppb.New(now), Actor(p)
	v.PublishedLate = v.GetPublishBy() != nil && now.After(v.GetPublishBy().AsTime())
	if err := tx.PutPlan(pl); err != nil {
		return nil, false, err
	}
	note, metrics := "", []report.Metric{report.PlansPublished}
	if v.GetPublishedLate() {
		note, metrics = "late", append(metrics, report.PlansPublishedLate)
	}
	return pl, false, planEvent(journal(tx, p, now), ruqiv1.EventType_EVENT_TYPE_PLAN_PUBLISHED, pl, v, note, metrics...)
}

// CheckSpecialPlan checks a 专项 registration against the plan it names
// (domain.CheckSpecialRegistration): the agency's own plan, approved,
// covering the enterprise, its items and its window. It returns the version
// carried out; nil for another type, which names no plan
// (domain.ValidateRequestShape).
func CheckSpecialPlan(r store.Reader, agencyID string, e *ruqiv1.Enterprise, req *ruqiv1.RegisterInspectionRequest) (*ruqiv1.PlanVersion, error) {
	if req.GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
		return nil, nil
	}
	pl, err := LoadPlan(r, req.GetPlanId())
	if err != nil {
		return nil, err
	}
	return domain.CheckSpecialRegistration(pl, agencyID, e, req.GetCheckItemIds(), req.GetWindowStart().AsTime(), req.GetWindowEnd().AsTime())
}
