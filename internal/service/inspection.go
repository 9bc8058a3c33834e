package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type inspectionServer struct {
	ruqiv1.UnimplementedInspectionServiceServer
	s *Service
}

// RegisterInspection is 报备. It checks the request against the directory,
// asks the coordinator what the plan becomes (joined, duplicate, capped or
// alone), then writes the inspection, one signed code per officer, the
// joint inspection and their events in one transaction (inspection.Register).
// If that write fails, the coordinator's reservation is released; once it
// commits, the reservation is confirmed.
func (is *inspectionServer) RegisterInspection(ctx context.Context, req *ruqiv1.RegisterInspectionRequest) (*ruqiv1.RegisterInspectionResponse, error) {
	return is.register(ctx, req, nil)
}

// register is RegisterInspection's path, also taken by each agency's part of
// an accepted proposal (拼团, matched), as the principal that accepted it;
// stands, for such a part, checks that the acceptance still stands
// (inspection.AcceptanceStands), again in the writing transaction.
func (is *inspectionServer) register(ctx context.Context, req *ruqiv1.RegisterInspectionRequest, stands func(store.Reader) error) (*ruqiv1.RegisterInspectionResponse, error) {
	s := is.s
	now := s.now()
	late := domain.IsLateRecord(req)
	if err := domain.ValidateRequestID(req.GetRequestId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	var (
		resp *ruqiv1.RegisterInspectionResponse
		chk  inspection.Checked
	)
	err := s.store.View(ctx, func(r store.Reader) error {
		// A retry of a registration already written is answered as written
		// even once its window has begun: the shape below (a window still
		// ahead, say) judges new registrations, not a lost answer.
		if done, err := is.replayed(r, ctx, req, &resp); done || err != nil {
			return err
		}
		if err := domain.ValidateRequestShape(req, now, s.cfg.Limits); err != nil {
			return err
		}
		var err error
		chk, err = inspection.CheckRegistration(r, principal(ctx), req)
		return err
	})
	if err != nil || resp != nil {
		return resp, toStatus(ctx, err)
	}

	// A request id makes the inspection id: retries of one request, however
	// many and on whichever replica, name one plan, which the coordinator
	// answers as one.
	id, err := inspectionIDFor(now, chk.AgencyID, req.GetRequestId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	ins := &ruqiv1.Inspection{
		Id:               id,
		AgencyId:         chk.AgencyID,
		EnterpriseUscc:   req.GetEnterpriseUscc(),
		CheckItemIds:     req.GetCheckItemIds(),
		OfficerIds:       req.GetOfficerIds(),
		WindowStart:      req.GetWindowStart(),
		WindowEnd:        req.GetWindowEnd(),
		Type:             req.GetType(),
		Reason:           strings.TrimSpace(req.GetReason()),
		TriggerReference: domain.Given(req.GetTriggerReference()),
		State:            ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
		RegisteredAt:     timestamppb.New(now),
		RegisteredBy:     principal(ctx).String(),
		Late:             late,
		LateReason:       domain.Given(req.GetLateReason()),
		VisitKind:        req.GetVisitKind(),
		DrawId:           req.GetDrawId(),
	}
	if chk.Plan != nil {
		ins.PlanId, ins.PlanVersion = req.GetPlanId(), chk.Plan.GetVersion()
	}
	plan := planOf(ins, chk.Enterprise)
	var (
		last  int64 = -1 // the fence of the last decision fenced
		stuck int        // how many fenced decisions before this one had its fence
	)
	// held is the plan as each round decides it, and as the last decision
	// reserved it: under the inspection's id (an earlier round may have
	// taken the day before's, see decideAndWrite), held pending until the
	// write commits; if this process never confirms it (a crash, a lost
	// reply), the coordinator checks the store once the time is up.
	held := func() coord.Plan {
		h := plan
		h.InspectionID, h.ConfirmBy = ins.GetId(), now.Add(s.confirmWithin())
		return h
	}
	for attempt := 1; ; attempt++ {
		resp, fence, err := is.decideAndWrite(ctx, req, stands, now, ins, held(), chk)
		if err == nil && attempt > 1 {
			// Decided again after its state was rebuilt, the plan may hold
			// a visit it was handed while being written, as a plan that
			// joined: held to the caps then (a review, 2026-12-06).
			s.holdHeirToCaps(ctx, ins.GetId())
		}
		switch {
		case errors.Is(err, errDecideUnsure):
			// No answer came, but the decision may have run all the same
			// (Redis stalled past the client's timeout, and ran what was
			// sent once it woke): its reservation, for a plan nobody
			// writes, counted against every other registration at the
			// enterprise until its hold was up, 30 s, and refused them
			// caps and duplicates that went to the log and the 司法局's
			// report (a trial of the replicas, 2026-12-07). It is taken
			// back as soon as the coordinator answers.
			// In the background, the caller answered at once: the
			// coordinator is the one failing, and a ping of it may wait.
			s.takeBackLater(ctx, req, held(), now)
		case errors.Is(err, errDecide) && attempt > 1:
			// The coordinator failed to decide again: an earlier round's
			// reservation, if its state kept it, is taken back.
			s.afterFailedWrite(ctx, req, held(), now, false)
		}
		if !errors.Is(err, inspection.ErrFenced) {
			return resp, err
		}
		// The coordinator's state was rebuilt from the store while this
		// plan was being written (a Redis restarted empty, replicas
		// seeding at once, a check of pending plans, a release): decide it
		// again under the new state, which finds this plan's reservation
		// if it kept it.
		if attempt == fencedAttempts {
			// Not written: the last decision's reservation is taken back.
			s.afterFailedWrite(ctx, req, held(), now, false)
			return nil, toStatus(ctx, domain.Unavailablef("REGISTRATION_RESEEDED", "协调状态正在从存储重建，报备未生效，请用同一请求编号稍后重试"))
		}
		if fence == last {
			stuck++
		} else {
			stuck = 0
		}
		last = fence
		if stuck == 2 {
			// Behind three times on one fence: the coordinator's fence did
			// not follow the store's (its part of a raise failed, a store
			// restored). Its state is rebuilt from the store, which is
			// safe at any time now that writes in flight are fenced. A
			// fence that moves is a rebuild under way, not thrown away.
			if ferr := s.coord.Forget(context.WithoutCancel(ctx), plan.USCC); ferr != nil {
				slog.ErrorContext(ctx, "forget an enterprise whose fence is behind the store's", "uscc", plan.USCC, "err", ferr)
			}
		}
		// A raise is a store transaction, then a script: a decision made
		// between the two is behind still. A short pause lets the script
		// land.
		select {
		case <-ctx.Done():
			// Given up while fenced: the reservation is taken back.
			s.afterFailedWrite(ctx, req, held(), now, false)
			return nil, toStatus(ctx, ctx.Err())
		case <-time.After(time.Duration(attempt) * 10 * time.Millisecond):
		}
	}
}

// errDecide marks a registration's error from the coordinator's decision
// (decideFailed): nothing was reserved in that round, unless it is also
// errDecideUnsure.
var (
	errDecide       = errors.New("the coordinator did not decide")
	errDecideUnsure = errors.New("the coordinator may have decided")
)

// decideFailed is the status answered when the coordinator failed to
// decide; it is errDecide, and errDecideUnsure if the decision may have
// been made all the same (coord.ErrOutcomeUnknown).
type decideFailed struct {
	error
	unsure bool
}

func decideError(ctx context.Context, err error) decideFailed {
	return decideFailed{toStatus(ctx, coordError(err)), errors.Is(err, coord.ErrOutcomeUnknown)}
}

func (e decideFailed) Is(target error) bool {
	return target == errDecide || target == errDecideUnsure && e.unsure
}

// GRPCStatus answers the status it wraps, so that the caller sees it.
func (e decideFailed) GRPCStatus() *status.Status { return status.Convert(e.error) }

// fencedAttempts bounds the decisions of one registration whose write finds
// the coordinator's state rebuilt each time (inspection.ErrFenced).
const fencedAttempts = 6

// decideAndWrite asks the coordinator what the plan becomes and, unless
// refused, writes it; an error wrapping inspection.ErrFenced means the
// decision's state was rebuilt meanwhile and nothing was written (the
// reservation, if the new state kept it, stays for the next decision of
// the same plan), and fence is then the decision's. plan is held pending
// (register's held).
func (is *inspectionServer) decideAndWrite(ctx context.Context, req *ruqiv1.RegisterInspectionRequest, stands func(store.Reader) error, now time.Time,
	ins *ruqiv1.Inspection, plan coord.Plan, chk inspection.Checked) (_ *ruqiv1.RegisterInspectionResponse, fence int64, _ error) {
	s := is.s
	d, err := s.coord.Decide(ctx, plan, s.policies.For(chk.Enterprise.GetRegionCode()), now)
	if err != nil {
		return nil, 0, decideError(ctx, err)
	}
	s.handOverDropped(ctx, plan.USCC, d.Dropped)
	if d.Outcome == coord.Duplicate && d.Existing != ins.GetId() && req.GetRequestId() != "" {
		// The day is in a derived id: a retry after midnight of a request
		// whose first attempt, the day before, is still deciding or
		// writing names another plan, a duplicate of its own. It is the
		// same request: decide and write under the first attempt's id.
		if yesterday, _ := inspectionIDFor(now.AddDate(0, 0, -1), chk.AgencyID, req.GetRequestId()); d.Existing == yesterday {
			ins.Id, plan.InspectionID = yesterday, yesterday
			if d, err = s.coord.Decide(ctx, plan, s.policies.For(chk.Enterprise.GetRegionCode()), now); err != nil {
				return nil, 0, decideError(ctx, err)
			}
			s.handOverDropped(ctx, plan.USCC, d.Dropped)
		}
	}
	if d.Outcome == coord.Duplicate || d.Outcome == coord.Capped {
		// A refusal writes no plan, so no check of the fence sees it: it
		// is checked here, so that a state behind the store's (seeded from
		// a read made before a cancellation, say) does not refuse on a
		// plan the store no longer counts.
		err := s.store.View(ctx, func(r store.Reader) error {
			if err := inspection.CheckPolicy(r, s.policyDigest); err != nil {
				return err
			}
			if d.Outcome == coord.Duplicate && !plan.Late && d.Existing != ins.GetId() {
				// A closed plan is no duplicate (a late record's is:
				// coord.Plan.Closed).
				if err := inspection.CheckStillOpen(r, d.Existing); err != nil {
					return err
				}
			}
			return inspection.CheckFence(r, plan.USCC, d.Fence)
		})
		if errors.Is(err, inspection.ErrFenced) {
			return nil, d.Fence, err
		}
		if err != nil {
			s.policyRefused(ctx, err)
			return nil, 0, toStatus(ctx, err)
		}
	}
	switch {
	case d.Outcome == coord.Duplicate && d.Existing == ins.GetId():
		// The id derives from the request id: the same request id is in
		// flight, or written, with other parameters.
		return nil, 0, toStatus(ctx, requestReused(req.GetRequestId(), ins.GetId(), ""))
	case d.Outcome == coord.Duplicate:
		s.recordRefusal(ctx, ins, ruqiv1.EventType_EVENT_TYPE_DUPLICATE_REFUSED, "duplicate of "+d.Existing)
		if ins.GetLate() && s.isLate(ctx, d.Existing) {
			// The same emergency recorded again (the answer lost, the
			// command run again): it is recorded already. A late record
			// that overlaps a plan registered ahead is told the plain
			// duplicate below (a review, 2026-12-06).
			return nil, 0, toStatus(ctx, domain.AlreadyExistsf("DUPLICATE_PLAN",
				"重复补录：本部门已有与此时段重叠的检查 %s 针对该企业，同一次紧急检查只补录一次，无需再录", d.Existing).With("existing_inspection_id", d.Existing))
		}
		if end, ok := s.happenedUntil(ctx, d.Existing); ok {
			if ins.GetLate() {
				// A late record over its agency's visit that took place
				// is that visit, closed or not (coord.Plan.Closed):
				// closing it changes nothing, so the refusal below,
				// which says to close it, is not the late record's (a
				// review, 2026-12-06).
				return nil, 0, toStatus(ctx, domain.AlreadyExistsf("DUPLICATE_PLAN",
					"重复补录：本部门对该企业的检查 %s 已经实施，补录的时段与它重叠，不能就此时段补录；如是另一次紧急检查，请核对补录的时段",
					d.Existing).With("existing_inspection_id", d.Existing))
			}
			// Cancelling a visit that took place is refused
			// (INSPECTION_HAPPENED), and a closed one is no duplicate
			// (coord.Plan.Closed): the officer is told to close it, or
			// when its window ends (an operator's trial, 2026-12-06, was
			// told to cancel a closed visit).
			return nil, 0, toStatus(ctx, domain.AlreadyExistsf("DUPLICATE_PLAN",
				"重复报备：本部门对该企业的检查 %s 已经实施、尚未办结，其报备时段至 %s 结束；请先记录结果并办结，之后即可再就该企业报备（如整改复查），或报备 %s 之后的时段",
				d.Existing, domain.FormatTime(end), domain.FormatTime(end)).With("existing_inspection_id", d.Existing))
		}
		return nil, 0, toStatus(ctx, domain.AlreadyExistsf("DUPLICATE_PLAN",
			"重复报备：本部门已有与此时段重叠的检查 %s 针对该企业，请勿重复检查；如需增加事项，请撤销后重新报备", d.Existing).With("existing_inspection_id", d.Existing))
	case d.Outcome == coord.Capped:
		s.recordRefusal(ctx, ins, ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED, fmt.Sprintf("%s limit=%d count=%d period=%s", d.Cap.Rule, d.Cap.Limit, d.Cap.Count, d.Cap.Period))
		return nil, 0, toStatus(ctx, domain.ResourceExhaustedf("FREQUENCY_CAP", "%s", domain.Composed(breachMessage(*d.Cap, true))).
			With("rule", d.Cap.Rule).With("limit", fmt.Sprint(d.Cap.Limit)).With("count", fmt.Sprint(d.Cap.Count)).With("period", d.Cap.Period))
	}

	signed := s.signCodes(ins, chk.Officers, now)
	var (
		resp                *ruqiv1.RegisterInspectionResponse
		replayed, inherited bool
	)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		resp, replayed = nil, false
		ins.JointInspectionId = ""
		// Past half the hold the coordinator may soon drop the reservation:
		// write nothing rather than a plan it no longer counts.
		if s.now().After(now.Add(s.confirmWithin() / 2)) {
			return domain.Unavailablef("REGISTRATION_TIMEOUT", "报备处理超时，未生效，请用同一请求编号重试")
		}
		// A concurrent retry of the same request may have committed first:
		// answer what it wrote.
		if done, err := is.replayed(tx, ctx, req, &resp); done || err != nil {
			replayed = done && err == nil
			return err
		}
		r, err := inspection.Register(tx, principal(ctx), now, inspection.Registration{Request: req, Inspection: ins, Decision: d, Issue: s.issuer(signed), Matched: stands != nil, Stands: stands, Policy: s.policyDigest})
		if err != nil {
			return err
		}
		resp = &ruqiv1.RegisterInspectionResponse{Inspection: r.Inspection, JointInspection: r.Joint, Warnings: warningsProto(d.Warnings), Codes: r.Codes}
		inherited = r.Inherited
		return nil
	})
	bg := context.WithoutCancel(ctx)
	if errors.Is(err, inspection.ErrFenced) {
		return nil, d.Fence, err
	}
	if err != nil {
		s.policyRefused(ctx, err)
		s.afterFailedWrite(ctx, req, plan, now, true)
		return nil, 0, toStatus(ctx, err)
	}
	// Written: the reservation is the store's now. If this fails the
	// coordinator finds the plan in the store when the hold is up.
	if cerr := s.coord.Confirm(bg, plan, now); cerr != nil {
		slog.ErrorContext(ctx, "confirm a registered plan", "inspection", ins.GetId(), "err", cerr)
	}
	if inherited {
		// Decided as joining a visit whose holder was cancelled before
		// this write: it holds the visit now, which joining was never held
		// to the caps for (a review, 2026-12-06).
		s.holdHeirToCaps(ctx, ins.GetId())
	}
	if replayed {
		return resp, 0, nil
	}
	// The store already holds each key's VerifyUntil; the ring in memory
	// learns it only now, after the commit, so a rolled-back attempt never
	// keeps a key published.
	for _, c := range resp.GetCodes() {
		s.ring.Load().NoteSigned(c.GetKeyId(), verifyUntil(c.GetExpiresAt().AsTime())) // as noteSigned stored it
	}
	return resp, 0, nil
}

// afterFailedWrite takes back the reservation of a registration whose write
// failed, and nothing else. If the store holds a plan of this id with the
// same enterprise, agency and window, the coordinator holds that plan under
// this id (an attempt of the same request id wrote it): it stays, confirmed
// here if it is this very request. Otherwise the store's fence is raised
// in the transaction that found the plan missing, and the release takes
// it: a retry of the same request (the same request id) still writing under
// this reservation, on any replica and whatever its clock, fails its check
// and is decided again instead of landing uncounted. If the store cannot say (a commit whose
// answer was lost as the database went away may have landed), or the
// release fails, the reservation expires: the coordinator checks it against
// the store then. With retry, a release the coordinator cannot take now
// (unavailable) is tried again in the background until it answers or the
// hold is up.
func (s *Service) afterFailedWrite(ctx context.Context, req *ruqiv1.RegisterInspectionRequest, plan coord.Plan, now time.Time, retry bool) {
	err := s.takeBack(ctx, req, plan, now)
	if retry && errors.Is(err, coord.ErrUnavailable) {
		s.takeBackLater(ctx, req, plan, now)
		return
	}
	if err != nil {
		// The store's fence is ahead of the coordinator's: registrations
		// for the enterprise are decided again until the pending plan's
		// hold is over and its check raises the coordinator's (or the
		// service forgets the state, see register).
		slog.ErrorContext(ctx, "release after a failed registration", "inspection", plan.InspectionID, "err", err)
	}
}

// handOverDropped writes what the coordinator did when it dropped pending
// plans that were never written: plans written meanwhile that had joined
// one of them may hold its visit now. A failure is logged: the next reseed
// reads the store again.
func (s *Service) handOverDropped(ctx context.Context, uscc string, dropped []coord.Decision) {
	for _, rd := range dropped {
		if rd.Heir == "" && len(rd.Regrouped) == 0 {
			continue
		}
		err := s.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
			_, err := inspection.HandOver(tx, uscc, rd, rd.Heir)
			return err
		})
		if err != nil {
			slog.ErrorContext(ctx, "hand a visit over from a dropped reservation", "uscc", uscc, "err", err)
			continue
		}
		if rd.Heir != "" {
			// Held to the caps as after a cancellation (a review,
			// 2026-12-06: a routine plan that joined a 个案 whose write
			// then failed held a visit the cap had refused it).
			s.holdHeirToCaps(ctx, rd.Heir)
		}
	}
}

// DefaultConfirmWithin is how long a decision is held pending for its store
// write to commit; the write gives up at half of it.
const DefaultConfirmWithin = 30 * time.Second

func (s *Service) confirmWithin() time.Duration {
	if s.cfg.ConfirmWithin > 0 {
		return s.cfg.ConfirmWithin
	}
	return DefaultConfirmWithin
}

// inspectionIDFor is a new inspection's id: derived from the agency and the
// request id when there is one, random otherwise.
func inspectionIDFor(now time.Time, agency, requestID string) (string, error) {
	if requestID == "" {
		return newInspectionID(now)
	}
	sum := sha256.Sum256([]byte("ruqi.request.v1\x00" + agency + "\x00" + requestID))
	return domain.InspectionID(now, base32.StdEncoding.EncodeToString(sum[:5])), nil
}

// replayed answers a retry of a registration already written: the same
// request id from the same agency with the same parameters. The same id
// with other parameters is refused, never answered with the other
// inspection (as payment APIs treat idempotency keys).
func (is *inspectionServer) replayed(r store.Reader, ctx context.Context, req *ruqiv1.RegisterInspectionRequest, out **ruqiv1.RegisterInspectionResponse) (bool, error) {
	rid := req.GetRequestId()
	if rid == "" {
		return false, nil
	}
	agency, err := agencyOf(r, ctx, req.GetAgencyId())
	if err != nil {
		return false, err
	}
	existing, err := r.InspectionForRequest(inspection.RequestKey(agency, rid))
	if errors.Is(err, store.ErrNotFound) {
		// Before request ids were scoped to the agency they were stored
		// bare; such an entry is this agency's only if its inspection is.
		existing, err = r.InspectionForRequest(rid)
		if err == nil {
			if ins, ierr := r.Inspection(existing); ierr != nil || ins.GetAgencyId() != agency {
				return false, nil
			}
		}
	}
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	ins, err := r.Inspection(existing)
	if err != nil {
		return false, err
	}
	if differs := registrationDiffers(ins, req); len(differs) > 0 {
		return false, requestReused(rid, ins.GetId(), ins.GetEnterpriseUscc(), differs...)
	}
	return true, is.replay(r, ctx, existing, out)
}

// requestReused refuses a request id used again with other parameters,
// naming those that differ where the stored registration is at hand (an
// officer who reworded only the reason was told that the enterprise, items,
// officers or window differed).
func requestReused(requestID, inspectionID, uscc string, differs ...string) error {
	what := "检查 " + inspectionID
	if uscc != "" {
		what += "，企业 " + uscc
	}
	changed := "参数（企业、事项、执法人员、时段、类型、事由等）"
	if len(differs) > 0 {
		changed = strings.Join(differs, "、")
	}
	return domain.FailedPreconditionf("REQUEST_ID_REUSED",
		"请求编号 %s 已用于本部门的另一次报备（%s），本次的%s与之不同，未予报备；重试原报备请给出与之相同的参数，新的报备请使用新的请求编号", requestID, what, changed).
		With("existing_inspection_id", inspectionID)
}

// sameRegistration compares a request with the inspection its request id
// registered: the parameters are the request's fingerprint, stored in the
// inspection itself.
func sameRegistration(ins *ruqiv1.Inspection, req *ruqiv1.RegisterInspectionRequest) bool {
	return len(registrationDiffers(ins, req)) == 0
}

// registrationDiffers names, in the officer's words, the parameters of req
// that differ from the inspection its request id registered.
func registrationDiffers(ins *ruqiv1.Inspection, req *ruqiv1.RegisterInspectionRequest) []string {
	var d []string
	add := func(differ bool, name string) {
		if differ {
			d = append(d, name)
		}
	}
	add(ins.GetEnterpriseUscc() != req.GetEnterpriseUscc(), "企业")
	add(!slices.Equal(ins.GetCheckItemIds(), req.GetCheckItemIds()), "检查事项")
	add(!slices.Equal(ins.GetOfficerIds(), req.GetOfficerIds()), "执法人员")
	add(!ins.GetWindowStart().AsTime().Equal(req.GetWindowStart().AsTime()) ||
		!ins.GetWindowEnd().AsTime().Equal(req.GetWindowEnd().AsTime()), "时段")
	add(ins.GetVisitKind() != req.GetVisitKind(), "入企类型")
	add(ins.GetType() != req.GetType(), "检查类型")
	add(ins.GetReason() != strings.TrimSpace(req.GetReason()), "事由")
	add(ins.GetTriggerReference() != domain.Given(req.GetTriggerReference()), "个案来源编号")
	add(ins.GetLateReason() != domain.Given(req.GetLateReason()), "补录原因")
	add(ins.GetDrawId() != req.GetDrawId(), "抽取编号")
	add(ins.GetPlanId() != req.GetPlanId(), "检查计划")
	// A reason is kept only where an officer was held (成都's no-finding
	// streak); one given for nobody was dropped.
	add(ins.GetStreakReason() != "" && ins.GetStreakReason() != strings.TrimSpace(req.GetStreakReason()), "再次检查的理由")
	return d
}

// recordRefusal logs a registration the coordinator refused, for the 司法局.
// Its failure is logged, not returned: the officer's answer is the refusal.
func (s *Service) recordRefusal(ctx context.Context, ins *ruqiv1.Inspection, typ ruqiv1.EventType, detail string) {
	err := s.store.Update(ctx, func(tx store.Tx) error {
		j := inspection.NewJournal(tx, actorOf(ctx), s.now())
		e := j.Event(typ)
		// The refused window's start, which places the refusal in the
		// report's month: from the log alone an auditor could not (a trial
		// of the report against the log, 2026-12-06).
		e.EnterpriseUscc, e.Detail = ins.GetEnterpriseUscc(), ins.GetAgencyId()+" "+detail+" window="+ins.GetWindowStart().AsTime().UTC().Format(time.RFC3339)
		metric := report.DuplicatesRefused
		if typ == ruqiv1.EventType_EVENT_TYPE_CAP_REFUSED {
			metric = report.CapsRefused
		}
		ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
		if err != nil {
			return err
		}
		return j.Record(e, inspection.Count{Metric: metric, At: ins.GetWindowStart().AsTime(), Region: ent.GetRegionCode(), Agency: ins.GetAgencyId(), USCC: ins.GetEnterpriseUscc(), Delta: 1})
	})
	if err != nil {
		slog.ErrorContext(ctx, "record refused registration", "err", err)
	}
}

// coordError says a coordinator failure in an officer's words.
func coordError(err error) error {
	switch {
	case errors.Is(err, coord.ErrUnavailable):
		return domain.Unavailablef("COORDINATOR_UNAVAILABLE", "报备暂时无法办理：协调服务（Redis）不可用，请稍后重试；扫码核验不受影响")
	case errors.Is(err, coord.ErrAnotherStore):
		return domain.Unavailablef("REDIS_OF_ANOTHER_STORE", "报备暂停：协调服务（Redis）正为另一套数据库所用，频次上限无从保证。请管理员为每套数据库配置各自的 Redis；扫码核验不受影响")
	}
	return err
}

func newInspectionID(now time.Time) (string, error) {
	var b [5]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return domain.InspectionID(now, base32.StdEncoding.EncodeToString(b[:])), nil
}

// replay answers a retried registration with what the first one wrote.
func (is *inspectionServer) replay(r store.Reader, ctx context.Context, id string, out **ruqiv1.RegisterInspectionResponse) error {
	ins, err := r.Inspection(id)
	if err != nil {
		return err
	}
	if err := is.s.mayManage(r, ctx, ins); err != nil {
		return err
	}
	var codes []*ruqiv1.InspectionCode
	if codesLive(ins) == nil { // a retry answers a cancelled or closed plan without its codes
		if codes, err = r.Codes(id); err != nil {
			return err
		}
	}
	if err := fillJoint(r, ins); err != nil {
		return err
	}
	*out = &ruqiv1.RegisterInspectionResponse{Inspection: ins, Codes: codes}
	return nil
}

// codesLive refuses to hand out the codes of an inspection that no longer
// admits anyone: an officer printed a cancelled inspection's QR and was
// turned away at the door (a trial of the CLI, 2026-12-05), and a retried
// registration answered the cancelled plan with its codes (a review).
func codesLive(ins *ruqiv1.Inspection) error {
	switch ins.GetState() {
	case ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
		return domain.FailedPreconditionf("INSPECTION_CANCELLED", "检查 %s 已于 %s 撤销，入企码已失效，不能再出示；如需检查请重新报备", ins.GetId(), domain.FormatTime(ins.GetCancelledAt().AsTime()))
	case ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
		return domain.FailedPreconditionf("INSPECTION_COMPLETED", "检查 %s 已办结（结果已录入），入企码已失效，不能再出示；如需再次检查请重新报备", ins.GetId())
	}
	return nil
}

// signedCode is an officer's code signed before the writing transaction,
// from the directory as the handler read it (signCodes).
type signedCode struct {
	claims code.Claims
	kid    string
	msg    []byte
}

// signCodes signs each officer's code before the registration's write, so
// that Ed25519 signing (2.2 codes per plan) runs in the handler's goroutine
// and not in the store's one writer, which every write waits for
// (docs/BENCHMARKS.md, "The province-year"). The transaction uses a code
// only if it still says what the transaction would sign (issuer): a code
// signed for a stale directory entry or a rotated key is signed again
// there, so nothing depends on this but speed.
func (s *Service) signCodes(ins *ruqiv1.Inspection, officers []*ruqiv1.Officer, now time.Time) map[string]signedCode {
	key := s.ring.Load().Active()
	out := make(map[string]signedCode, len(officers))
	for _, o := range officers {
		c, err := s.codeClaims(ins, o, now)
		if err != nil {
			return out
		}
		msg, err := code.Sign(key, c)
		if err != nil {
			return out // signed again, with the error reported, in the transaction
		}
		out[o.GetId()] = signedCode{claims: c, kid: key.ID, msg: msg}
	}
	return out
}

// codeClaims are what officer o's code for ins says, with a new cti
// (code.NewTokenID: the issue time, then 80 random bits).
func (s *Service) codeClaims(ins *ruqiv1.Inspection, o *ruqiv1.Officer, now time.Time) (code.Claims, error) {
	tokenID, err := code.NewTokenID(now)
	if err != nil {
		return code.Claims{}, err
	}
	return code.Claims{
		TokenID:           tokenID,
		Issuer:            s.cfg.Issuer,
		IssuedAt:          now,
		NotBefore:         ins.GetWindowStart().AsTime(),
		Expiry:            ins.GetWindowEnd().AsTime(),
		InspectionID:      ins.GetId(),
		OfficerID:         o.GetId(),
		CertificateNumber: o.GetCertificateNumber(),
		EnterpriseUSCC:    ins.GetEnterpriseUscc(),
		VisitKind:         domain.VisitKindClaim(ins.GetVisitKind()),
	}, nil
}

// issuer returns inspection.Registration's Issue: it stores one officer's
// code, taken from signed when it says exactly what would be signed now
// with the active key, else signed here; and raises the signing key's
// VerifyUntil (inspection.Register records the event).
func (s *Service) issuer(signed map[string]signedCode) func(store.Tx, *ruqiv1.Inspection, *ruqiv1.Officer, time.Time) (*ruqiv1.InspectionCode, error) {
	return func(tx store.Tx, ins *ruqiv1.Inspection, o *ruqiv1.Officer, now time.Time) (*ruqiv1.InspectionCode, error) {
		key := s.ring.Load().Active()
		claims, err := s.codeClaims(ins, o, now)
		if err != nil {
			return nil, err
		}
		var msg []byte
		if sc, ok := signed[o.GetId()]; ok && sc.kid == key.ID {
			same := claims
			same.TokenID = sc.claims.TokenID
			if same.Equal(sc.claims) {
				claims, msg = same, sc.msg
				// Used once: a second code in this transaction gets a cti
				// of its own.
				delete(signed, o.GetId())
			}
		}
		if msg == nil {
			if msg, err = code.Sign(key, claims); err != nil {
				return nil, err
			}
		}
		token := code.EncodeToken(msg)
		c := &ruqiv1.InspectionCode{
			InspectionId: ins.GetId(),
			OfficerId:    o.GetId(),
			KeyId:        key.ID,
			Token:        token,
			Url:          s.codeURL(token),
			NotBefore:    timestamppb.New(claims.NotBefore.Truncate(time.Second)),
			ExpiresAt:    timestamppb.New(claims.Expiry.Truncate(time.Second)),
		}
		if err := tx.PutCode(c); err != nil {
			return nil, err
		}
		// The ring in memory never holds a later VerifyUntil than the
		// store (it learns one after the commit that wrote it, or by
		// reloading): when it already covers this code, so does the store,
		// and the key need not be read and written again (once a day,
		// verifyUntil, instead of once per code).
		if claims.Expiry.After(key.VerifyUntil) {
			if err := noteSigned(tx, key.ID, claims.Expiry); err != nil {
				return nil, err
			}
		}
		return c, nil
	}
}

// codeURL is the QR text: the verify page's URL in upper case, so that the
// whole QR stays in alphanumeric mode (fewer modules, easier to scan).
func (s *Service) codeURL(token string) string {
	return strings.ToUpper(strings.TrimRight(s.cfg.PublicURL, "/")) + "/V/" + token
}

// mayManage is inspection.MayManage for the caller.
func (s *Service) mayManage(r store.Reader, ctx context.Context, ins *ruqiv1.Inspection) error {
	return inspection.MayManage(r, principal(ctx), ins)
}

// mayRead is inspection.MayReadAt for the caller, now.
func (s *Service) mayRead(r store.Reader, ctx context.Context, ins *ruqiv1.Inspection) error {
	return inspection.MayReadAt(r, principal(ctx), ins, s.now(), s.policies)
}

func loadInspection(r store.Reader, id string) (*ruqiv1.Inspection, error) {
	return inspection.Load(r, id)
}

// CancelInspection cancels in the store first (the record), then withdraws
// the plan from the coordinator, so that a cancelled plan no longer merges or
// counts; the joint inspection it leaves goes on for the others. A retry of
// a cancellation whose second write failed finishes it
// (inspection.WithdrawalPendingPrefix).
func (is *inspectionServer) CancelInspection(ctx context.Context, req *ruqiv1.CancelInspectionRequest) (*ruqiv1.CancelInspectionResponse, error) {
	s := is.s
	now := s.now()
	resp := &ruqiv1.CancelInspectionResponse{}
	var (
		c     inspection.Cancelled
		fence int64
	)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		c, err = inspection.Cancel(tx, principal(ctx), now, req.GetInspectionId(), req.GetReason())
		if err != nil || c.Resumed {
			return err
		}
		// Raised with the cancellation: a coordinator state seeded from a
		// read made before it, which still counts the plan, is then behind
		// the store's fence, and is rebuilt rather than taken for current
		// (coord.Coordinator.Withdraw).
		fence, err = inspection.RaiseFence(tx, c.Inspection.GetEnterpriseUscc())
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp.Inspection = c.Inspection
	if err := fillJointOf(s, ctx, resp.Inspection); err != nil {
		return nil, toStatus(ctx, err)
	}
	resp.JointInspection, err = s.withdraw(ctx, principal(ctx), now, c, resp.Inspection.GetJointInspectionId(), fence)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// withdraw withdraws a cancelled plan from the coordinator and writes what
// that decided: who holds the joint visit now (joint, the plan's joint
// inspection in the store, "" if none), and the WITHDRAWN event. fence is
// the store's fence the cancellation raised (0 for one finished later).
func (s *Service) withdraw(ctx context.Context, p auth.Principal, now time.Time, c inspection.Cancelled, joint string, fence int64) (*ruqiv1.JointInspection, error) {
	plan := planOf(c.Inspection, c.Enterprise)
	d, err := s.coord.Withdraw(context.WithoutCancel(ctx), plan, fence, now)
	if err != nil {
		// The store says cancelled; the coordinator still counts the plan.
		// Dropping the enterprise's state makes the next decision reseed it
		// from the store; if even that fails, the stale plan only errs on the
		// side of fewer inspections until Redis is repaired.
		slog.ErrorContext(ctx, "withdraw a cancelled plan from the coordinator", "inspection", plan.InspectionID, "err", err)
		if ferr := s.coord.Forget(context.WithoutCancel(ctx), plan.USCC); ferr != nil {
			slog.ErrorContext(ctx, "forget the enterprise in the coordinator", "uscc", plan.USCC, "err", ferr)
		}
	}
	var (
		j    *ruqiv1.JointInspection
		heir string
	)
	err = s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		j, heir, err = inspection.Withdraw(tx, p, now, inspection.Withdrawal{Plan: plan, Decision: d, HeldVisit: c.HeldVisit, JointID: joint, Resumed: c.Resumed})
		return err
	})
	if err == nil && heir != "" {
		s.holdHeirToCaps(ctx, heir)
	}
	if err == nil && heir == "" && plan.Exempt && joint != "" {
		// A 个案 that left without holding the visit may have been why
		// its holder was kept over the caps (holdHeirToCaps): the holder is
		// held to them now (a review, 2026-12-06: it entered alone as the
		// year's second visit).
		for _, id := range s.membersOf(ctx, joint, d.Regrouped) {
			s.holdHeirToCaps(ctx, id)
		}
	}
	return j, err
}

// membersOf lists the standing members of joint inspection joint, and the
// plans a withdrawal left alone (regrouped), once each.
func (s *Service) membersOf(ctx context.Context, joint string, regrouped []string) []string {
	ids := slices.Clone(regrouped)
	err := s.store.View(context.WithoutCancel(ctx), func(r store.Reader) error {
		j, err := r.JointInspection(joint)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		ids = append(ids, j.GetInspectionIds()...)
		return nil
	})
	if err != nil {
		slog.ErrorContext(ctx, "read a joint inspection's members", "joint", joint, "err", err)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// FinishWithdrawals finishes the cancellations whose second write was never
// made (the process died between the two, or the write failed and nobody
// retried): at start, so that a plan that inherits a visit is counted as
// holding it. Replicas starting together each try; the store's mark lets
// one write it.
func (s *Service) FinishWithdrawals(ctx context.Context) error {
	var ids []string
	err := s.store.View(ctx, func(r store.Reader) error {
		return r.Counts(inspection.WithdrawalPendingPrefix, func(key string, n int64) error {
			if n > 0 {
				ids = append(ids, strings.TrimPrefix(key, inspection.WithdrawalPendingPrefix))
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	now := s.now()
	var errs []error // one that cannot be finished does not hold up the rest
	for _, id := range ids {
		var (
			c     inspection.Cancelled
			joint string
		)
		err := s.store.View(ctx, func(r store.Reader) error {
			ins, err := r.Inspection(id)
			if err != nil {
				return err
			}
			var ok bool
			if c, ok, err = inspection.Unfinished(r, ins); err != nil || !ok {
				return err
			}
			joint, _, err = r.JointOf(id)
			if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("cancelled inspection %s: %w", id, err))
			continue
		}
		if c.Inspection == nil {
			continue // finished meanwhile
		}
		if _, err := s.withdraw(ctx, auth.Principal{}, now, c, joint, 0); err != nil {
			errs = append(errs, fmt.Errorf("finish the withdrawal of cancelled inspection %s: %w", id, err))
			continue
		}
		slog.InfoContext(ctx, "finished the withdrawal of a cancelled inspection", "inspection", id)
	}
	return errors.Join(errs...)
}

// forEnterprise leaves out of an inspection record what its enterprise is
// not told: the trigger of a case (a complaint's or referral's number,
// which its views leave out too), and the joint visit while a plan of it is
// not yet shown to the enterprise (inspection.JointShown).
func (s *Service) forEnterprise(r store.Reader, ins *ruqiv1.Inspection) error {
	ins.TriggerReference = ""
	if ins.GetJointInspectionId() == "" {
		return nil
	}
	j, err := r.JointInspection(ins.GetJointInspectionId())
	if errors.Is(err, store.ErrNotFound) {
		ins.JointInspectionId = ""
		return nil
	}
	if err != nil {
		return err
	}
	now := s.now()
	known, err := inspection.JointShown(r, j, ins.GetEnterpriseUscc(), func(m *ruqiv1.Inspection) bool { return inspection.Shown(r, m, now, s.policies) })
	if !known {
		ins.JointInspectionId = ""
	}
	return err
}

// fillJointOf sets an inspection's joint id from the store.
func fillJointOf(s *Service, ctx context.Context, ins *ruqiv1.Inspection) error {
	return s.store.View(ctx, func(r store.Reader) error { return fillJoint(r, ins) })
}

func (is *inspectionServer) GetInspection(ctx context.Context, req *ruqiv1.GetInspectionRequest) (*ruqiv1.GetInspectionResponse, error) {
	resp := &ruqiv1.GetInspectionResponse{}
	err := is.s.store.View(ctx, func(r store.Reader) error {
		ins, err := loadInspection(r, req.GetInspectionId())
		if err != nil {
			return err
		}
		resp.Inspection = ins
		if err := is.s.mayRead(r, ctx, ins); err != nil {
			return err
		}
		if err := fillJoint(r, ins); err != nil {
			return err
		}
		if p := principal(ctx); p.Is(ruqiv1.Role_ROLE_ENTERPRISE) {
			if err := is.s.forEnterprise(r, ins); err != nil {
				return err
			}
		} else {
			// The plan's own items as the enterprise reads them: an item
			// retired since the registration was marked for the enterprise
			// only, and the officer went on to inspect it (an officer's
			// trial, 2026-12-06).
			items, err := checkItems(r, ins.GetCheckItemIds())
			if err != nil {
				return err
			}
			resp.CheckItems = domain.Checklist(items)
			if id := ins.GetJointInspectionId(); id != "" {
				// The visit as it stands: an agency whose plan joined later
				// may have narrowed the common time, and an officer who read
				// only the plan's own window came at its start, before the
				// window the enterprise is shown (an officer's trial,
				// 2026-12-06).
				resp.JointInspection, err = r.JointInspection(id)
				if errors.Is(err, store.ErrNotFound) {
					err = nil
				}
				if err != nil {
					return err
				}
				if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED && slices.Contains(resp.JointInspection.GetInspectionIds(), ins.GetId()) {
					// The plan left: a visit that still names it is the record
					// as it was before, kept when one plan alone was left (the
					// visit ended). It was answered as standing, the cancelled
					// plan among its members and its window in the common time
					// (a walk through a joint visit, 2026-12-07).
					resp.JointInspection = nil
				}
			}
			resp.AgencyName, resp.EnterpriseName = agencyName(r, ins.GetAgencyId()), enterpriseName(r, ins.GetEnterpriseUscc())
			if j := resp.GetJointInspection(); j != nil {
				resp.LeadAgencyName = agencyName(r, j.GetLeadAgencyId())
			}
			if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
				// The enterprise's refusal of the visit, as its scan and
				// 检查预告 say it (visitRefusedAt).
				visit := &ruqiv1.InspectionView{InspectionId: ins.GetId(), InspectionIds: resp.GetJointInspection().GetInspectionIds()}
				if resp.RefusedAt, err = visitRefusedAt(r, ins.GetEnterpriseUscc(), visit); err != nil {
					return err
				}
			}
		}
		resp.AtDoor, err = inspection.AtDoor(r, ins, is.s.policies.For(inspection.RegionOf(r, ins.GetEnterpriseUscc())))
		if err != nil {
			return err
		}
		// Each officer's certificate as the enterprise will see it: now, or
		// at the window's start for a visit still ahead.
		at := is.s.now()
		if start := ins.GetWindowStart().AsTime(); ins.GetWindowStart() != nil && start.After(at) {
			at = start
		}
		resp.Officers, err = officerViews(r, ins.GetOfficerIds(), at)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// agencyName, enterpriseName and officerName are the directory's names,
// "" for no id or one it no longer holds (or cannot read now): a name is
// shown beside its id, and without it the id alone.
func agencyName(r store.Reader, id string) string {
	if id == "" {
		return ""
	}
	a, err := r.Agency(id)
	if err != nil {
		return ""
	}
	return a.GetName()
}

func enterpriseName(r store.Reader, uscc string) string {
	if uscc == "" {
		return ""
	}
	e, err := r.Enterprise(uscc)
	if err != nil {
		return ""
	}
	return e.GetName()
}

func officerName(r store.Reader, id string) string {
	if id == "" {
		return ""
	}
	o, err := r.Officer(id)
	if err != nil {
		return ""
	}
	return o.GetName()
}

func (is *inspectionServer) GetInspectionCodes(ctx context.Context, req *ruqiv1.GetInspectionCodesRequest) (*ruqiv1.GetInspectionCodesResponse, error) {
	resp := &ruqiv1.GetInspectionCodesResponse{}
	err := is.s.store.View(ctx, func(r store.Reader) error {
		ins, err := loadInspection(r, req.GetInspectionId())
		if err != nil {
			return err
		}
		if err := is.s.mayManage(r, ctx, ins); err != nil {
			return err
		}
		if err := codesLive(ins); err != nil {
			return err
		}
		codes, err := r.Codes(ins.GetId())
		if err != nil {
			return err
		}
		for _, c := range codes {
			if req.GetOfficerId() == "" || c.GetOfficerId() == req.GetOfficerId() {
				resp.Codes = append(resp.Codes, c)
			}
		}
		if len(resp.Codes) == 0 {
			return domain.NotFoundf("CODE_UNKNOWN", "检查 %s 没有执法人员 %s 的入企码", ins.GetId(), req.GetOfficerId())
		}
		if err := fillJoint(r, ins); err != nil {
			return err
		}
		if id := ins.GetJointInspectionId(); id != "" {
			j, err := r.JointInspection(id)
			switch {
			case errors.Is(err, store.ErrNotFound):
			case err != nil:
				return err
			case slices.Contains(j.GetInspectionIds(), ins.GetId()):
				resp.JointInspection = j
			}
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if req.GetIncludeQrPng() {
		for _, c := range resp.Codes {
			png, err := code.QRPNG(c.GetUrl(), 512)
			if err != nil {
				return nil, toStatus(ctx, err)
			}
			c.QrPng = png
		}
	}
	return resp, nil
}

// isLate reports whether the inspection id is a late record (false if it
// cannot be read: the plain message is said then).
// happenedUntil returns the end of inspection id's window if the visit took
// place (inspection.Happened), which no cancellation undoes.
func (s *Service) happenedUntil(ctx context.Context, id string) (time.Time, bool) {
	var end time.Time
	happened := false
	_ = s.store.View(ctx, func(r store.Reader) error {
		ins, err := r.Inspection(id)
		if err != nil {
			return nil
		}
		happened, err = inspection.Happened(r, ins)
		end = ins.GetWindowEnd().AsTime()
		return err
	})
	return end, happened
}

func (s *Service) isLate(ctx context.Context, id string) bool {
	late := false
	_ = s.store.View(ctx, func(r store.Reader) error {
		ins, err := r.Inspection(id)
		late = err == nil && ins.GetLate()
		return nil
	})
	return late
}
