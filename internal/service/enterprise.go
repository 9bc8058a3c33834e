package service

import (
	"context"
	"errors"
	"slices"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type enterpriseServer struct {
	ruqiv1.UnimplementedEnterpriseServiceServer
	s *Service
}

// ScanCode is 扫码核验. A code that is not a code at all is an invalid
// argument and writes nothing; every code that parses gets a verdict and an
// event, so that forged and stale codes leave a trace for the 司法局.
func (es *enterpriseServer) ScanCode(ctx context.Context, req *ruqiv1.ScanCodeRequest) (*ruqiv1.ScanCodeResponse, error) {
	s := es.s
	uscc := principal(ctx).Subject
	if strings.TrimSpace(req.GetCode()) == "" {
		return nil, toStatus(ctx, domain.Invalidf("CODE_MISSING", "请提供扫描到的入企码（二维码中的网址或令牌）"))
	}
	// Text that is not a genuine code (altered header, stripped signature,
	// missing COSE tag, garbage) is a verdict like a bad signature, recorded
	// and a lead: to the enterprise it is the same thing, a code that must
	// not admit anyone. Why it failed goes to the event, not to the message.
	msg, err := decodeScanned(req.GetCode())
	if err != nil {
		return es.reject(ctx, ruqiv1.Verdict_VERDICT_MALFORMED, []byte(req.GetCode()), "malformed: "+err.Error())
	}
	kid, claims, verr := code.Verify(msg, s.ring.Load().Lookup)
	if errors.Is(verr, code.ErrUnknownKey) && s.reloadRingForUnknownKey(ctx) {
		// Another replica may have rotated since this one last read the
		// key ring from the shared store.
		kid, claims, verr = code.Verify(msg, s.ring.Load().Lookup)
	}
	switch {
	case verr == nil:
	case errors.Is(verr, code.ErrUnknownKey):
		return es.reject(ctx, ruqiv1.Verdict_VERDICT_UNKNOWN_KEY, msg, "key "+kid)
	case errors.Is(verr, code.ErrBadSignature):
		return es.reject(ctx, ruqiv1.Verdict_VERDICT_BAD_SIGNATURE, msg, "key "+kid)
	default:
		return es.reject(ctx, ruqiv1.Verdict_VERDICT_MALFORMED, msg, "malformed: "+verr.Error())
	}

	now := s.now()
	scannedToken := code.EncodeToken(msg)
	resp := &ruqiv1.ScanCodeResponse{}
	var seen *ruqiv1.Inspection // the inspection as the scan left it, if the enterprise may see it
	err = s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		seen = nil
		resp.OfficerId, resp.ScannedBy = claims.OfficerID, scannedBy(principal(ctx))
		resp.ByDevice = principal(ctx).Kind == store.TokenDevice
		if ent, err := tx.Enterprise(uscc); err == nil {
			resp.EnterpriseName = ent.GetName()
		}
		sc, err := inspection.Scan(tx, principal(ctx), now, claims, scannedToken, s.cfg.Limits)
		if err != nil {
			return err
		}
		resp.Verdict, resp.Message = sc.Verdict, sc.Message
		if sc.Verdict == ruqiv1.Verdict_VERDICT_VALID {
			resp.FirstCheckIn, resp.CheckedInAt = sc.FirstCheckIn, timestamppb.New(sc.CheckIn.At)
			if resp.Mutual, err = s.noteMutualAtScan(tx, ctx, now, claims, sc); err != nil {
				return err
			}
		}
		seen = sc.Inspection
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if seen == nil {
		return resp, nil
	}
	resp.LateRecord = resp.Verdict == ruqiv1.Verdict_VERDICT_EXPIRED && domain.LateRecordPast(seen)
	// What the enterprise is shown (agencies, officers, the checklist) is
	// read after the commit, outside the store's one writer, which every
	// write waits for.
	err = s.store.View(ctx, func(r store.Reader) error {
		view, err := inspectionView(r, seen, now, es.s.noticeOf(r, uscc))
		if err != nil {
			return err
		}
		resp.Inspection = view
		if v := resp.Verdict; (v == ruqiv1.Verdict_VERDICT_CLOSED || v == ruqiv1.Verdict_VERDICT_EXPIRED) && seen.GetEnterpriseUscc() == uscc {
			// Over, so the enterprise may evaluate it: whether it has
			// (a trial of the pages on a phone, 2026-12-06: the page
			// offered the form again, and a second go was answered in red).
			// A valid scan, the hot path, reads nothing more.
			_, err := r.Evaluation(seen.GetId())
			view.Evaluated = err == nil
		}
		if resp.Verdict == ruqiv1.Verdict_VERDICT_VALID && !domain.IsInspection(view.GetVisitKind()) {
			// Genuine, but not an inspection: the enterprise must hear
			// that nothing may be inspected.
			resp.Message = domain.NotInspectionMessage(view.GetVisitKind())
		}
		if resp.Verdict == ruqiv1.Verdict_VERDICT_VALID {
			// Refused before, from this code or another agency's of the
			// same visit: not "请配合检查" (a trial of the pages,
			// 2026-12-07). A plan alone was read with its view.
			refused := view.GetRefusedAt()
			if len(view.GetInspectionIds()) > 1 {
				if refused, err = visitRefusedAt(r, uscc, view); err != nil {
					return err
				}
			}
			if refused != nil {
				resp.VisitRefusedAt = refused
				resp.Message = domain.RefusedButValidMessage(view.GetVisitKind(), refused.AsTime())
			}
		}
		if resp.Verdict == ruqiv1.Verdict_VERDICT_VALID && len(view.GetInspectionIds()) > 1 {
			// A joint visit: the window shown is its common time, which
			// the code's own (its agency's plan) may begin before or end
			// after.
			if note := domain.OutsideJointTime(view.GetWindowStart().AsTime(), view.GetWindowEnd().AsTime(), now, es.s.cfg.Limits.ClockLeeway); note != "" {
				resp.Message += "。" + note
			}
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// decodeScanned accepts the bare token or the QR's URL. Its errors are for
// the event log, not for the enterprise.
func decodeScanned(scanned string) ([]byte, error) {
	if len(scanned) > 8192 {
		return nil, errors.New("longer than 8192 bytes")
	}
	tok, err := code.ExtractToken(scanned)
	if err != nil {
		return nil, err
	}
	return code.DecodeToken(tok)
}

// reject records a scan whose signature could not be trusted: nothing in its
// claims is believed, so only the scanning enterprise is named.
func (es *enterpriseServer) reject(ctx context.Context, v ruqiv1.Verdict, msg []byte, detail string) (*ruqiv1.ScanCodeResponse, error) {
	now := es.s.now()
	err := es.s.store.Update(ctx, func(tx store.Tx) error {
		return inspection.RejectScan(tx, principal(ctx), now, v, msg, detail)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.ScanCodeResponse{Verdict: v, Message: inspection.VerdictMessages[v]}, nil
}

// scannedBy says, in the enterprise's words, which of its credentials
// made a scan.
func scannedBy(p auth.Principal) string {
	switch p.Kind {
	case store.TokenDevice:
		return "前台设备「" + p.Label + "」（" + p.TokenID + "）"
	case store.TokenSession:
		if p.Label == "" {
			// A web session started from a token an administrator
			// issued (StartSession), which names no account.
			return "以管理员签发的令牌登录的网页（" + p.TokenID + "）"
		}
		return "政务服务账号「" + p.Label + "」"
	}
	return "管理员签发的访问令牌（" + p.TokenID + "）"
}

// inspectionView is what the enterprise sees: agencies, officers with their
// certificates, and the checklist with its legal basis. For a joint visit
// (综合查一次) it covers every plan still in it, lead agency first, with one
// combined checklist (一表通查) in which a check two agencies both list
// appears once, under both.
//
// The other plans of a joint visit are shown only from their own notice time
// (检查预告, domain.Notice): a routine plan announced days ahead must not
// reveal a random check (双随机) that joined it.
func inspectionView(r store.Reader, ins *ruqiv1.Inspection, now time.Time, notice domain.Notice) (*ruqiv1.InspectionView, error) {
	v := &ruqiv1.InspectionView{
		InspectionId: ins.GetId(), WindowStart: ins.GetWindowStart(), WindowEnd: ins.GetWindowEnd(),
		Type: ins.GetType(), Reason: ins.GetReason(), State: ins.GetState(), CheckedInAt: ins.GetFirstCheckedInAt(),
		LeadAgencyId: ins.GetAgencyId(), VisitKind: ins.GetVisitKind(), AgencyId: ins.GetAgencyId(),
	}
	plans := []*ruqiv1.Inspection{ins}
	joint, err := jointOf(r, ins)
	if err != nil {
		return nil, err
	}
	if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		// A cancelled plan left its visit: it is shown as itself, its
		// agency, items and window. Read through its joint it was listed
		// under the agencies still coming, with their items and plans, and
		// the withdrawal was nowhere (a walk through a joint visit,
		// 2026-12-07).
		joint = nil
	}
	if joint != nil {
		plans = plans[:0]
		members := readInspections{Reader: r, got: map[string]*ruqiv1.Inspection{}}
		for _, id := range joint.GetInspectionIds() {
			m, err := r.Inspection(id)
			if errors.Is(err, store.ErrNotFound) {
				continue // decided, not yet written
			}
			if err != nil {
				return nil, err
			}
			members.got[id] = m
			if m.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
				plans = append(plans, m)
			}
		}
		// What the enterprise sees of the visit is made of the plans it is
		// shown only: their agencies, their lead, their common time. The
		// joint's id, lead and size are told once every plan is shown.
		shown := func(m *ruqiv1.Inspection) bool { return notice.Shown(m, now) }
		plans = slices.DeleteFunc(plans, func(m *ruqiv1.Inspection) bool { return m.GetId() != ins.GetId() && !shown(m) })
		known, err := inspection.JointShown(members, joint, ins.GetEnterpriseUscc(), shown)
		if err != nil {
			return nil, err
		}
		if known {
			v.JointInspectionId = joint.GetId()
		}
		v.LeadAgencyId = joint.GetLeadAgencyId()
		if !slices.ContainsFunc(plans, func(m *ruqiv1.Inspection) bool { return m.GetAgencyId() == v.LeadAgencyId }) {
			v.LeadAgencyId = ins.GetAgencyId()
			if len(plans) > 0 {
				v.LeadAgencyId = plans[0].GetAgencyId()
			}
		}
		sort.SliceStable(plans, func(i, j int) bool {
			return plans[i].GetAgencyId() == v.LeadAgencyId && plans[j].GetAgencyId() != v.LeadAgencyId
		})
		// The visit window is the common time of the joint visit: when all
		// its agencies can be there.
		if start, end, ok := domain.CommonTime(plans); ok {
			v.WindowStart, v.WindowEnd = timestamppb.New(start), timestamppb.New(end)
		}
	}
	if l, err := r.Lead(inspection.RefusalLeadID(ins.GetId(), ins.GetEnterpriseUscc())); err == nil {
		v.RefusedAt = l.GetCreatedAt()
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	seenAgency := map[string]bool{}
	var items []*ruqiv1.CheckItem
	v.Late, v.DrawId = ins.GetLate(), ins.GetDrawId()
	for _, p := range plans {
		v.InspectionIds = append(v.InspectionIds, p.GetId())
		// Supervisors accompanying any plan of the visit are there for the
		// visit: shown apart from the officers, as observers.
		accs, err := r.Accompaniments(p.GetId())
		if err != nil {
			return nil, err
		}
		for _, a := range accs {
			v.AccompanyingSupervisors = append(v.AccompanyingSupervisors, &ruqiv1.AccompanyingSupervisor{Name: a.GetSupervisorName(), RegionCode: a.GetRegionCode()})
		}
		if p.GetResult() != nil {
			v.Results = append(v.Results, p.GetResult())
		}
		if !seenAgency[p.GetAgencyId()] {
			ag, err := r.Agency(p.GetAgencyId())
			if err != nil {
				return nil, err
			}
			seenAgency[p.GetAgencyId()] = true
			v.Agencies = append(v.Agencies, ag)
		}
		officers, err := officerViews(r, p.GetOfficerIds(), now)
		if err != nil {
			return nil, err
		}
		v.Officers = append(v.Officers, officers...)
		own, err := checkItems(r, p.GetCheckItemIds())
		if err != nil {
			return nil, err
		}
		items = append(items, own...)
	}
	v.CheckItems = domain.Checklist(items)
	return v, nil
}

// checkItems reads the items a plan names, in its order.
func checkItems(r store.Reader, ids []string) ([]*ruqiv1.CheckItem, error) {
	items := make([]*ruqiv1.CheckItem, 0, len(ids))
	for _, id := range ids {
		it, err := r.CheckItem(id)
		if err != nil {
			return nil, err
		}
		items = append(items, it)
	}
	return items, nil
}

// officerViews is the officers named, each with their certificate's
// standing at t: what an enterprise is shown at the door, and what the
// agency is warned of before it goes.
func officerViews(r store.Reader, ids []string, t time.Time) ([]*ruqiv1.OfficerView, error) {
	views := make([]*ruqiv1.OfficerView, 0, len(ids))
	for _, id := range ids {
		o, err := r.Officer(id)
		if err != nil {
			return nil, err
		}
		views = append(views, &ruqiv1.OfficerView{
			OfficerId: o.GetId(), Name: o.GetName(), AgencyId: o.GetAgencyId(), CertificateNumber: o.GetCertificateNumber(),
			CertificateStatus: o.GetCertificateStatus(), CertificateValidUntil: o.GetCertificateValidUntil(),
			CertificateValid: domain.CertificateValid(o, t),
		})
	}
	return views, nil
}

// readInspections serves the inspections already read (a joint visit's
// members, on every scan of a joint visit's code) without reading them
// again.
type readInspections struct {
	store.Reader
	got map[string]*ruqiv1.Inspection
}

func (r readInspections) Inspection(id string) (*ruqiv1.Inspection, error) {
	if m, ok := r.got[id]; ok {
		return m, nil
	}
	return r.Reader.Inspection(id)
}

// RefuseInspection records the enterprise's refusal (企业有权拒绝). The
// inspection may be named by id or by the code shown; a visit with no code at
// all is refused with neither.
func (es *enterpriseServer) RefuseInspection(ctx context.Context, req *ruqiv1.RefuseInspectionRequest) (*ruqiv1.RefuseInspectionResponse, error) {
	s := es.s
	uscc := principal(ctx).Subject
	if err := requireText(req.GetReason(), "REASON_MISSING", "拒绝检查的理由"); err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := domain.ValidateText("拒绝理由", req.GetReason(), domain.MaxRefusalReason); err != nil {
		return nil, toStatus(ctx, err)
	}
	inspectionID, officerID, detail, fromCode := req.GetInspectionId(), "", strings.TrimSpace(req.GetReason()), false
	codeNote := "" // what the enterprise is told of a code that named nothing
	if req.GetCode() != "" {
		// Only a code we signed for this enterprise names an inspection; any
		// other is recorded as shown, without trusting what it claims. A
		// code that cannot even be read (a truncated or doctored QR, the
		// verify page's MALFORMED verdict) is the case refusal is for.
		msg, err := decodeScanned(req.GetCode())
		if err != nil {
			detail += "（出示的入企码无法识别）"
			codeNote = "出示的入企码无法识别，拒绝按未出示有效入企码记录"
		} else if _, c, err := code.Verify(msg, s.ring.Load().Lookup); err == nil && c.EnterpriseUSCC == uscc {
			if inspectionID != "" && inspectionID != c.InspectionID {
				return nil, toStatus(ctx, domain.Invalidf("CODE_MISMATCH", "入企码对应检查 %s，与填写的检查编号 %s 不一致", c.InspectionID, inspectionID))
			}
			inspectionID, officerID, fromCode = c.InspectionID, c.OfficerID, true
		} else {
			detail += "（出示的入企码未通过核验）"
			codeNote = "出示的入企码未通过核验（签名无效、密钥未知，或不是为本企业签发的），拒绝按未出示有效入企码记录"
		}
	}
	// A refusal is idempotent: the same inspection refused again, or the same
	// form submitted twice, is the first refusal, not a second lead
	// (inspection.Refuse decides its lead).
	resp := &ruqiv1.RefuseInspectionResponse{}
	now := s.now()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		r, err := inspection.Refuse(tx, principal(ctx), now, inspection.Refusal{
			InspectionID: inspectionID, OfficerID: officerID, FromCode: fromCode, Reason: detail, RequestID: req.GetRequestId(), Policies: s.policies})
		if err != nil {
			return err
		}
		resp.Reset()
		resp.LeadId, resp.EventSeq, resp.Advisory, resp.ReasonNotRecorded, resp.Repeated = r.LeadID, r.EventSeq, r.Advisory, r.ReasonDropped, r.Repeated
		switch {
		case r.Repeated:
			resp.Message = "此前已记录拒绝检查（线索 " + r.LeadID + "），不重复记录"
		case r.Advisory:
			resp.Message = "试运行阶段：拒绝已记录在案并报送司法局，但目前仅作提示；全面推行后企业方可据此拒绝检查"
		default:
			resp.Message = "已记录拒绝检查，并作为问题线索报送司法局"
		}
		if codeNote != "" && !r.Repeated {
			// The code was left aside: said to the enterprise too, which
			// read an ordinary refusal while only the 司法局's lead said
			// the code was not read (an officer's trial, 2026-12-07).
			resp.Message = codeNote + "。" + resp.Message
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// ListInspections is the enterprise's own history, a page at a time; the
// year counts are of all its inspections.
func (es *enterpriseServer) ListInspections(ctx context.Context, req *ruqiv1.ListInspectionsRequest) (*ruqiv1.ListInspectionsResponse, error) {
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	uscc := principal(ctx).Subject
	resp := &ruqiv1.ListInspectionsResponse{}
	now := es.s.now()
	err = es.s.store.View(ctx, func(r store.Reader) error {
		resp.Reset()
		// What is not announced yet (检查预告) is not in the history either.
		notice := es.s.noticeOf(r, uscc)
		read := func(p store.Page) ([]*ruqiv1.Inspection, error) { return r.InspectionsOfEnterprise(uscc, p) }
		shown := func(ins *ruqiv1.Inspection) (bool, error) { return notice.Shown(ins, now), nil }
		list, next, err := fillPage(pg, read, (*ruqiv1.Inspection).GetId, shown)
		if err != nil {
			return err
		}
		resp.NextPageToken = next
		for _, ins := range list {
			v, err := inspectionView(r, ins, now, notice)
			if err != nil {
				return err
			}
			_, err = r.Evaluation(ins.GetId())
			v.Evaluated = err == nil
			resp.Inspections = append(resp.Inspections, v)
		}
		// The counts walk the whole history in store pages, holding one
		// page at a time: only the records of this page are built into views.
		year := now.In(domain.Shanghai).Year()
		// A visit is a joint inspection, or a plan alone, of those shown.
		visits := map[string]bool{}
		for after := ""; ; {
			batch, err := read(store.Page{After: after, Limit: maxPageSize})
			if err != nil {
				return err
			}
			for _, ins := range batch {
				after = ins.GetId()
				if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED || !notice.Shown(ins, now) {
					continue
				}
				y := ins.GetWindowStart().AsTime().In(domain.Shanghai).Year()
				if y != year && y != year-1 {
					continue
				}
				visit, _, err := r.JointOf(ins.GetId())
				switch {
				case errors.Is(err, store.ErrNotFound) || visit == "":
					visit = ins.GetId()
				case err != nil:
					return err
				}
				first := !visits[visit]
				visits[visit] = true
				// Inspections are 行政检查 only; an entry of another kind
				// (走访调研, 服务) opens the door, a visit, and is no
				// inspection (a newcomer's trial, 2026-12-06: "今年被检查3次"
				// counted a 走访调研 the page marks 非行政检查).
				inspected := int32(0)
				if domain.IsInspection(ins.GetVisitKind()) {
					inspected = 1
				}
				if y == year {
					resp.ThisYear += inspected
					if first {
						resp.VisitsThisYear++
					}
				} else {
					resp.LastYear += inspected
					if first {
						resp.VisitsLastYear++
					}
				}
			}
			if len(batch) < maxPageSize {
				return nil
			}
		}
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// visitRefusedAt is when the enterprise first refused a plan of the visit v
// shows, nil if it refused none: a joint visit was marked by whichever plan
// the list met first (a review, 2026-12-06), so refusing one agency's code
// showed the visit 即将到来 or 企业已拒绝 by chance.
func visitRefusedAt(r store.Reader, uscc string, v *ruqiv1.InspectionView) (*timestamppb.Timestamp, error) {
	ids := v.GetInspectionIds()
	if len(ids) == 0 {
		ids = []string{v.GetInspectionId()}
	}
	var first *timestamppb.Timestamp
	for _, id := range ids {
		l, err := r.Lead(inspection.RefusalLeadID(id, uscc))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return nil, err
		case first == nil || l.GetCreatedAt().AsTime().Before(first.AsTime()):
			first = l.GetCreatedAt()
		}
	}
	return first, nil
}

// noticeOf is the 检查预告 rule of the enterprise's region.
func (s *Service) noticeOf(r store.Reader, uscc string) domain.Notice {
	return s.policies.For(inspection.RegionOf(r, uscc)).Notice()
}

// stillComing keeps in an upcoming joint visit's view the agencies and
// checks of its plans still to come: a plan closed (办结) or cancelled
// comes no more. The agency that closed its part was listed, with its
// checks, as 即将到来, and the enterprise expected it again (a trial as an
// enterprise, 2026-12-07).
func stillComing(r store.Reader, v *ruqiv1.InspectionView) error {
	if len(v.GetInspectionIds()) < 2 {
		return nil
	}
	coming := map[string]bool{} // agencies with a plan still to come
	var ids []string
	for _, id := range v.GetInspectionIds() {
		ins, err := r.Inspection(id)
		if err != nil {
			return err
		}
		switch ins.GetState() {
		case ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
			continue
		}
		coming[ins.GetAgencyId()] = true
		ids = append(ids, id)
	}
	if len(ids) == 0 || len(ids) == len(v.GetInspectionIds()) {
		return nil
	}
	v.Agencies = slices.DeleteFunc(v.Agencies, func(a *ruqiv1.Agency) bool { return !coming[a.GetId()] })
	v.CheckItems = slices.DeleteFunc(v.CheckItems, func(c *ruqiv1.CheckItemView) bool {
		if len(c.GetAgencyIds()) == 0 {
			return !coming[c.GetAgencyId()]
		}
		return !slices.ContainsFunc(c.GetAgencyIds(), func(a string) bool { return coming[a] })
	})
	for _, c := range v.CheckItems {
		if len(c.GetAgencyIds()) > 0 {
			c.AgencyIds = slices.DeleteFunc(c.AgencyIds, func(a string) bool { return !coming[a] })
			if !coming[c.GetAgencyId()] {
				c.AgencyId = c.AgencyIds[0]
			}
		}
	}
	v.InspectionIds = ids
	return nil
}

// ListUpcomingVisits is 检查预告: the calling enterprise's registered visits
// still to come, each from its notice time (domain.Notice), one entry per
// visit (a joint visit once, with the plans announced so far). An enterprise
// sees only its own.
func (es *enterpriseServer) ListUpcomingVisits(ctx context.Context, req *ruqiv1.ListUpcomingVisitsRequest) (*ruqiv1.ListUpcomingVisitsResponse, error) {
	uscc := principal(ctx).Subject
	if other := strings.TrimSpace(req.GetEnterpriseUscc()); other != "" && other != uscc {
		// A code that is no USCC is said to be one (a trial as an
		// enterprise, 2026-12-06: "abc" was refused as another enterprise's).
		if err := domain.ValidateUSCC(other); err != nil {
			return nil, toStatus(ctx, err)
		}
		return nil, toStatus(ctx, domain.PermissionDeniedf("OTHER_ENTERPRISE", "企业只能查看本企业的检查预告，不能查看企业 %.18s 的", other))
	}
	now := es.s.now()
	resp := &ruqiv1.ListUpcomingVisitsResponse{}
	err := es.s.store.View(ctx, func(r store.Reader) error {
		resp.Reset()
		notice := es.s.noticeOf(r, uscc)
		seen := map[string]*ruqiv1.UpcomingVisit{}
		err := eachInspectionOf(r, uscc, func(ins *ruqiv1.Inspection) error {
			if !notice.Upcoming(ins, now) {
				return nil
			}
			v, err := inspectionView(r, ins, now, notice)
			if err != nil {
				return err
			}
			// One entry per visit: by its joint id, or, while that is not
			// told (inspection.JointShown), by the plans shown of it.
			key := v.GetJointInspectionId()
			if key == "" {
				key = strings.Join(v.GetInspectionIds(), " ")
			}
			if u := seen[key]; u != nil {
				// A joint visit is named by its lead agency's plan (the
				// view's first), whichever plan's id the list met first:
				// it was the 个案 that joined a routine visit, shown as a
				// 个案检查 under its own id, since that id sorted first (a
				// walk through a joint visit, 2026-12-07). Announced from
				// the first of its plans' notice times.
				if ids := v.GetInspectionIds(); len(ids) > 0 && ids[0] == ins.GetId() {
					u.InspectionId, u.Type, u.VisitKind = ins.GetId(), ins.GetType(), ins.GetVisitKind()
				}
				if from := notice.From(ins); from.Before(u.GetNoticedFrom().AsTime()) {
					u.NoticedFrom = timestamppb.New(from)
				}
				return nil
			}
			refused, err := visitRefusedAt(r, uscc, v)
			if err != nil {
				return err
			}
			if err := stillComing(r, v); err != nil {
				return err
			}
			u := &ruqiv1.UpcomingVisit{
				InspectionId: ins.GetId(), Agencies: v.GetAgencies(), CheckItems: v.GetCheckItems(),
				WindowStart: v.GetWindowStart(), WindowEnd: v.GetWindowEnd(), Type: ins.GetType(), VisitKind: ins.GetVisitKind(),
				JointInspectionId: v.GetJointInspectionId(), InspectionIds: v.GetInspectionIds(),
				NoticedFrom: timestamppb.New(notice.From(ins)), Begun: !now.Before(v.GetWindowStart().AsTime()),
				RefusedAt: refused,
			}
			seen[key] = u
			resp.Visits = append(resp.Visits, u)
			return nil
		})
		if err != nil {
			return err
		}
		sort.SliceStable(resp.Visits, func(i, j int) bool {
			return resp.Visits[i].GetWindowStart().AsTime().Before(resp.Visits[j].GetWindowStart().AsTime())
		})
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
