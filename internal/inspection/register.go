package inspection

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// AgencyOf resolves the agency a call acts for: an officer's own agency, or
// the one named by an administrator or supervisor.
func AgencyOf(r store.Reader, p auth.Principal, requested string) (string, error) {
	if p.Is(ruqiv1.Role_ROLE_OFFICER) {
		o, err := r.Officer(p.Subject)
		if err != nil {
			return "", notFound(err, "OFFICER_UNKNOWN", "令牌对应的执法人员 %s 不存在", p.Subject)
		}
		if requested != "" && requested != o.GetAgencyId() {
			return "", domain.PermissionDeniedf("OTHER_AGENCY", "执法人员只能为本部门（%s）操作，不能代部门 %s 操作", o.GetAgencyId(), requested)
		}
		return o.GetAgencyId(), nil
	}
	// An agency's administrator and its head act for that agency alone
	// (PlanAgency): asked for nothing, it is theirs (a head listing the
	// catalogue was told AGENCY_MISSING: an officer's trial, 2026-12-06).
	if p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN) || p.Is(ruqiv1.Role_ROLE_AGENCY_HEAD) {
		if requested != "" && requested != p.Subject {
			who := "部门管理员"
			if p.Is(ruqiv1.Role_ROLE_AGENCY_HEAD) {
				who = "部门负责人"
			}
			return "", domain.PermissionDeniedf("OTHER_AGENCY", "%s只能为本部门（%s）操作，不能代部门 %s 操作", who, p.Subject, requested)
		}
		return p.Subject, nil
	}
	if requested == "" {
		return "", domain.Invalidf("AGENCY_MISSING", "请指定执法部门编号")
	}
	if _, err := r.Agency(requested); err != nil {
		return "", notFound(err, "AGENCY_UNKNOWN", "执法部门 %s 不存在", requested)
	}
	return requested, nil
}

// agencyRecord reads agency id's record, for its name and division.
func agencyRecord(r store.Reader, id string) (*ruqiv1.Agency, error) {
	ag, err := r.Agency(id)
	if err != nil {
		return nil, notFound(err, "AGENCY_UNKNOWN", "执法部门 %s 不存在", id)
	}
	return ag, nil
}

// Checked is what CheckRegistration found.
type Checked struct {
	AgencyID   string
	Enterprise *ruqiv1.Enterprise
	Officers   []*ruqiv1.Officer
	// StreakHeld are the officers whose next inspection of the enterprise
	// was held until a reason is given (StreakHoldKey); the request gives it.
	StreakHeld []string
	// Plan is the approved plan version a 专项 inspection carries out.
	Plan *ruqiv1.PlanVersion
}

// CheckRegistration checks a request against the directory: the caller's
// agency, the enterprise, the items on that agency's list, and its officers.
func CheckRegistration(r store.Reader, p auth.Principal, req *ruqiv1.RegisterInspectionRequest) (Checked, error) {
	var out Checked
	var err error
	if out.AgencyID, err = AgencyOf(r, p, req.GetAgencyId()); err != nil {
		return out, err
	}
	if out.Enterprise, err = r.Enterprise(req.GetEnterpriseUscc()); err != nil {
		return out, notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在企业名录中，请核对统一社会信用代码", req.GetEnterpriseUscc())
	}
	ag, err := agencyRecord(r, out.AgencyID)
	if err != nil {
		return out, err
	}
	if err := domain.CheckJurisdiction(ag, out.Enterprise, domain.ForRegistration); err != nil {
		return out, err
	}
	items := make([]*ruqiv1.CheckItem, 0, len(req.GetCheckItemIds()))
	for _, id := range req.GetCheckItemIds() {
		it, err := r.CheckItem(id)
		if err != nil {
			return out, notFound(err, "ITEM_UNKNOWN", "检查事项 %s 不存在，请从本部门检查事项清单中选择", id)
		}
		items = append(items, it)
	}
	if err := domain.CheckItemsForAgency(out.AgencyID, items); err != nil {
		return out, err
	}
	if out.Plan, err = CheckSpecialPlan(r, out.AgencyID, out.Enterprise, req); err != nil {
		return out, err
	}
	for _, id := range req.GetOfficerIds() {
		o, err := r.Officer(id)
		if err != nil {
			return out, notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", id)
		}
		out.Officers = append(out.Officers, o)
	}
	if err := domain.CheckOfficersForAgency(out.AgencyID, out.Officers, req.GetWindowStart().AsTime(), req.GetWindowEnd().AsTime()); err != nil {
		return out, err
	}
	if out.StreakHeld, err = streakHeld(r, req, out.Officers); err != nil {
		return out, err
	}
	// A 双随机 inspection may name the draw that picked it; then it must be
	// among the picks.
	if id := req.GetDrawId(); id != "" {
		d, err := LoadDraw(r, id)
		if err != nil {
			return out, err
		}
		return out, domain.CheckDrawForInspection(d, out.AgencyID, req.GetType(), req.GetEnterpriseUscc(), req.GetOfficerIds(), req.GetWindowStart().AsTime())
	}
	return out, nil
}

// DrawUseKey counts the standing inspections a draw's pick of an
// enterprise is used for (at most one).
func DrawUseKey(draw, uscc string) string { return "draw_use|" + draw + "|" + uscc }

// drawUsedBy marks an inspection counted under DrawUseKey.
func drawUsedBy(inspectionID string) string { return "draw_used_by|" + inspectionID }

// RequestKey scopes a request id to the agency: two agencies' clients may
// pick the same id. Agency ids hold no "|".
func RequestKey(agency, requestID string) string { return agency + "|" + requestID }

// Registration is a registration (报备) the coordinator has decided to admit
// (alone or joining a visit): the handler has derived the inspection's id,
// asked the coordinator and holds its reservation.
type Registration struct {
	Request *ruqiv1.RegisterInspectionRequest
	// Inspection is the record to write, built from the request.
	Inspection *ruqiv1.Inspection
	Decision   coord.Decision
	// Issue signs and stores one officer's code; the key ring is the
	// caller's.
	Issue func(tx store.Tx, ins *ruqiv1.Inspection, o *ruqiv1.Officer, now time.Time) (*ruqiv1.InspectionCode, error)
	// Matched is set for a registration of an accepted proposal (拼团): if
	// it joins the visit, it is a visit avoided by matching (report.Matched).
	Matched bool
	// Stands, if set, checks in the writing transaction that the
	// acceptance this registration carries out still stands
	// (AcceptanceStands): checked only before, an officer struck off
	// between that check and this write had the part registered as them.
	Stands func(store.Reader) error
	// Policy is the digest of the policies the decision applied
	// (coord.Policies.Digest; 0: not checked).
	Policy int64
}

// Registered is what a registration wrote.
type Registered struct {
	Inspection *ruqiv1.Inspection
	Joint      *ruqiv1.JointInspection
	Codes      []*ruqiv1.InspectionCode
	// Inherited: decided as joining a visit, the plan holds it, its holder
	// cancelled before this write (HeirNoted).
	Inherited bool
}

// Register writes an admitted registration: the directory checked again in
// the writing transaction, the request entry, the inspection, how it is
// counted (a visit of its own or joined), joint membership as the decision
// says, its events and counts, a lead for a late record, the frequency
// warnings, and one signed code per officer. Any failure writes nothing.
func Register(tx store.Tx, p auth.Principal, now time.Time, in Registration) (Registered, error) {
	ins, d := in.Inspection, in.Decision
	// The coordinator's state that decided may have been lost and rebuilt
	// from the store since, without this plan: written now, it would be
	// a plan nobody counts.
	if err := CheckFence(tx, ins.GetEnterpriseUscc(), d.Fence); err != nil {
		return Registered{}, err
	}
	// Nor may it join a visit that closed since that state decided.
	if d.Outcome == coord.Joined {
		for _, m := range d.Members {
			if m == ins.GetId() {
				continue
			}
			if err := CheckStillOpen(tx, m); err != nil {
				return Registered{}, err
			}
		}
	}
	if in.Policy != 0 {
		if err := CheckPolicy(tx, in.Policy); err != nil {
			return Registered{}, err
		}
	}
	// The directory may have changed since the handler's check.
	chk, err := CheckRegistration(tx, p, in.Request)
	if err != nil {
		return Registered{}, err
	}
	if in.Stands != nil {
		// Past the read cache: the officer as this transaction reads it.
		if err := in.Stands(store.Uncached(tx)); err != nil {
			return Registered{}, err
		}
	}
	if rid := in.Request.GetRequestId(); rid != "" {
		// A derived id taken by another request (a hash collision, or a
		// request entry lost) must not overwrite what is there.
		if _, err := tx.Inspection(ins.GetId()); err == nil {
			return Registered{}, domain.FailedPreconditionf("INSPECTION_ID_TAKEN", "检查编号 %s 已被占用，未予报备；请换一个请求编号重试", ins.GetId())
		} else if !errors.Is(err, store.ErrNotFound) {
			return Registered{}, err
		}
		if err := tx.PutRequest(RequestKey(chk.AgencyID, rid), ins.GetId()); err != nil {
			return Registered{}, err
		}
	}
	// A draw picks an enterprise for one inspection: a second registration
	// naming the same draw for it is refused while the first stands (a
	// cancellation gives the pick back).
	if draw := ins.GetDrawId(); draw != "" {
		n, err := tx.Count(DrawUseKey(draw, ins.GetEnterpriseUscc()))
		if err != nil {
			return Registered{}, err
		}
		if n > 0 {
			return Registered{}, domain.FailedPreconditionf("DRAW_ALREADY_USED", "企业 %s 已依抽取 %s 报备过一次检查：一次抽取只抽中一次检查", ins.GetEnterpriseUscc(), draw)
		}
		if err := tx.AddCount(DrawUseKey(draw, ins.GetEnterpriseUscc()), 1); err != nil {
			return Registered{}, err
		}
		// Marked as counted, so that only a cancellation of a counted
		// inspection gives the pick back (registrations before the count
		// existed were not).
		if err := tx.AddCount(drawUsedBy(ins.GetId()), 1); err != nil {
			return Registered{}, err
		}
	}
	// The plan version in force now, which the transaction has just read.
	if chk.Plan != nil {
		ins.PlanId, ins.PlanVersion = in.Request.GetPlanId(), chk.Plan.GetVersion()
	}
	// The reason releases the held officers: their next check after this
	// one is held again only by another streak, or by this one's
	// cancellation (streakReleasedBy).
	ins.StreakReason = ""
	if len(chk.StreakHeld) > 0 {
		ins.StreakReason = strings.TrimSpace(in.Request.GetStreakReason())
		for _, o := range chk.StreakHeld {
			if err := tx.AddCount(StreakHoldKey(ins.GetEnterpriseUscc(), o), -1); err != nil {
				return Registered{}, err
			}
			if err := tx.AddCount(streakReleasedBy(ins.GetId(), o), 1); err != nil {
				return Registered{}, err
			}
		}
	}
	// The stored joint_inspection_id stays empty: joint membership is
	// joint_of's, filled in when read.
	if err := tx.PutInspection(ins); err != nil {
		return Registered{}, err
	}
	ins.JointInspectionId = d.JointID
	joined := d.Outcome == coord.Joined
	if joined {
		// The visit it joined may have passed to it before this write
		// (its holder cancelled meanwhile): then it holds its own.
		inherited, err := HeirNoted(tx, ins.GetId(), d.Version)
		if err != nil {
			return Registered{}, err
		}
		joined = !inherited
	}
	inherited := d.Outcome == coord.Joined && !joined
	if err := report.MarkPlan(tx, ins.GetId(), joined); err != nil {
		return Registered{}, err
	}
	j := journal(tx, p, now)
	// Every count of a plan is in the month of its visit.
	count := func(m report.Metric) Count {
		return Count{m, ins.GetWindowStart().AsTime(), chk.Enterprise.GetRegionCode(), ins.GetAgencyId(), ins.GetEnterpriseUscc(), 1}
	}
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_REGISTERED)
	e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), RegistrationDetail(ins)
	planCounts := []Count{count(report.PlanMetric(ins.GetVisitKind()))}
	if ins.GetType() == ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM {
		// For the 司法局: a 双随机 check is kept from the enterprise's
		// 检查预告, and one that names no draw has no sampling to check.
		planCounts = append(planCounts, count(report.Random))
		if ins.GetDrawId() == "" {
			planCounts = append(planCounts, count(report.RandomWithoutDraw))
		}
	}
	if err := j.Record(e, planCounts...); err != nil {
		return Registered{}, err
	}
	joint, err := ApplyDecision(tx, ins.GetEnterpriseUscc(), d, ins.GetId())
	if err != nil {
		return Registered{}, err
	}
	out := Registered{Inspection: ins, Joint: joint, Inherited: inherited}
	if joined {
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_MERGED)
		e.InspectionId, e.EnterpriseUscc = ins.GetId(), ins.GetEnterpriseUscc()
		e.Detail = fmt.Sprintf("joint %s lead %s members %d", d.JointID, d.LeadAgency, len(d.Members))
		counts := []Count{count(report.Joined)}
		if in.Matched {
			counts = append(counts, count(report.Matched))
			if err := report.MarkMatched(tx, ins.GetId()); err != nil {
				return Registered{}, err
			}
		}
		if err := j.Record(e, counts...); err != nil {
			return Registered{}, err
		}
	}
	if ins.GetLate() {
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_LATE_REGISTERED)
		e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), ins.GetLateReason()
		if err := j.Record(e, count(report.Late)); err != nil {
			return Registered{}, err
		}
		// An emergency recorded late always reaches the 司法局 (深圳).
		if _, err := j.OpenLead("", &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_LATE_REGISTRATION, EnterpriseUscc: ins.GetEnterpriseUscc(),
			InspectionId: ins.GetId(), AgencyId: ins.GetAgencyId(), Description: ins.GetLateReason(), OccurredAt: ins.GetWindowStart()}); err != nil {
			return Registered{}, err
		}
	}
	for _, w := range d.Warnings {
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING)
		e.InspectionId, e.EnterpriseUscc = ins.GetId(), ins.GetEnterpriseUscc()
		e.Detail = fmt.Sprintf("%s limit=%d count=%d period=%s", w.Rule, w.Limit, w.Count, w.Period)
		if err := j.Record(e, count(report.FrequencyWarnings)); err != nil {
			return Registered{}, err
		}
	}
	for _, o := range chk.Officers {
		c, err := in.Issue(tx, ins, o, now)
		if err != nil {
			return Registered{}, err
		}
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED)
		e.InspectionId, e.EnterpriseUscc, e.OfficerId = ins.GetId(), ins.GetEnterpriseUscc(), o.GetId()
		e.Detail = "key " + c.GetKeyId()
		if err := j.Record(e); err != nil {
			return Registered{}, err
		}
		out.Codes = append(out.Codes, c)
	}
	return out, nil
}
