package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type matchingServer struct {
	ruqiv1.UnimplementedMatchingServiceServer
	s *Service
}

// AnswerTime is the least time the agencies get to answer a proposal: its
// window starts a day after the matching run at the earliest.
const AnswerTime = 24 * time.Hour

// SubmitPlanCoverage files what a plan of the caller's agency covers.
func (ms *matchingServer) SubmitPlanCoverage(ctx context.Context, req *ruqiv1.SubmitPlanCoverageRequest) (*ruqiv1.SubmitPlanCoverageResponse, error) {
	if err := matching.ValidateCoverage(req.GetCoverage()); err != nil {
		return nil, toStatus(ctx, err)
	}
	s := ms.s
	now := s.now()
	var out *ruqiv1.PlanCoverage
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		out, err = inspection.SubmitCoverage(tx, principal(ctx), now, cloneCoverage(req.GetCoverage()))
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.SubmitPlanCoverageResponse{Coverage: out}, nil
}

// cloneCoverage copies the request's coverage, which the handler must not
// change (a retried transaction starts again from it).
func cloneCoverage(c *ruqiv1.PlanCoverage) *ruqiv1.PlanCoverage {
	return &ruqiv1.PlanCoverage{PlanId: c.GetPlanId(), AgencyId: c.GetAgencyId(), Type: c.GetType(), PeriodStart: c.GetPeriodStart(), PeriodEnd: c.GetPeriodEnd(),
		CheckItemIds: c.GetCheckItemIds(), EnterpriseUsccs: c.GetEnterpriseUsccs(), TriggerReference: c.GetTriggerReference()}
}

// RunMatching matches the plans of a period (撮合) and stores the new
// proposals. A supervisor's run proposes only for enterprises of their
// region.
func (ms *matchingServer) RunMatching(ctx context.Context, req *ruqiv1.RunMatchingRequest) (*ruqiv1.RunMatchingResponse, error) {
	s := ms.s
	now := s.now()
	if req.GetPeriodStart() == nil || req.GetPeriodEnd() == nil {
		return nil, toStatus(ctx, domain.Invalidf("PERIOD_MISSING", "请填写撮合的起止日期"))
	}
	from, to := req.GetPeriodStart().AsTime(), req.GetPeriodEnd().AsTime()
	if !to.After(from) || to.Sub(from) > matching.MaxPeriod {
		return nil, toStatus(ctx, domain.Invalidf("PERIOD_INVALID", "撮合期间须晚于开始时间且不超过%s", domain.FormatDuration(matching.MaxPeriod)))
	}
	p := principal(ctx)
	var (
		res  matching.Result
		made []*ruqiv1.JointVisitProposal
	)
	// The proposals are decided in a read, outside the one writer, and
	// checked against the open proposals again where they are written
	// (inspection.Propose): a run that another's proposals overtook
	// meanwhile decides again.
	for attempt := 1; ; attempt++ {
		var err error
		res, made, err = s.match(ctx, p, now, from, to)
		if !errors.Is(err, inspection.ErrProposalsMoved) {
			if err != nil {
				return nil, toStatus(ctx, err)
			}
			break
		}
		if attempt == matchAttempts {
			return nil, toStatus(ctx, domain.Unavailablef("MATCHING_CONTENDED", "其他撮合同时在提议同一批计划，本次未生成提议，请稍后重试"))
		}
	}
	resp := &ruqiv1.RunMatchingResponse{Proposals: made, EnterprisesCovered: int32(res.Covered), PlansCappedOut: int32(res.CappedOut)}
	for _, c := range res.Capped[:min(len(res.Capped), MaxCappedListed)] {
		resp.CappedOut = append(resp.CappedOut, &ruqiv1.CappedPlan{EnterpriseUscc: c.USCC, AgencyId: c.AgencyID, PlanId: c.PlanID,
			Rule: c.Cap.Rule, Limit: int32(c.Cap.Limit), Count: int32(c.Cap.Count), Period: c.Cap.Period, Message: cappedMessage(c.Cap)})
	}
	return resp, nil
}

// matchAttempts bounds the times one RunMatching decides its proposals
// again because another run's were stored meanwhile.
const matchAttempts = 5

// match decides a run's proposals from one read and stores the new ones;
// inspection.ErrProposalsMoved means another run's proposals overtook the
// read, and nothing was stored.
func (s *Service) match(ctx context.Context, p auth.Principal, now, from, to time.Time) (matching.Result, []*ruqiv1.JointVisitProposal, error) {
	var (
		res   matching.Result
		props []matching.Proposal
		made  int64 // proposals stored when the run read them (inspection.ProposalsMadeKey)
	)
	err := s.store.View(ctx, func(r store.Reader) error {
		plans, err := inspection.Coverages(r, from, to)
		if err != nil {
			return err
		}
		if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) {
			// A supervisor matches its region's enterprises only: what it
			// is answered, the counts too, says nothing of other regions'
			// plans (a red-team trial, 2026-12-06: a district learned how
			// many enterprises another district's agencies planned to
			// visit). Matching is per enterprise, so the proposals for the
			// region are the same either way.
			plans = inRegion(plans, func(uscc string) bool { return domain.RegionCovers(p.Subject, regionOf(r, uscc)) })
		}
		var serr error
		standing := func(uscc string, year int) (matching.Standing, bool) {
			st, ok, err := s.standing(r, uscc, year)
			if err != nil && serr == nil {
				serr = err
			}
			return st, ok
		}
		notBefore := now.Add(AnswerTime)
		if from.After(notBefore) {
			notBefore = from
		}
		proposed, n, err := inspection.OpenProposals(r, now)
		made = n
		if err != nil {
			return err
		}
		res = matching.Match(matching.Input{Plans: plans, Standing: standing, NotBefore: notBefore, Workday: s.policies.Workday, Proposed: proposed})
		props = res.Proposals
		return serr
	})
	if err != nil {
		return res, nil, err
	}
	var stored []*ruqiv1.JointVisitProposal
	err = s.store.Update(ctx, func(tx store.Tx) error {
		triggers := func(agency, plan string) string {
			c, err := tx.PlanCoverage(store.CoverageKey(agency, plan))
			if err != nil {
				return ""
			}
			return c.GetTriggerReference()
		}
		var err error
		stored, err = inspection.Propose(tx, p, now, made, props, triggers)
		return err
	})
	return res, stored, err
}

// MaxCappedListed bounds the plans a run names as left out by a cap
// (RunMatchingResponse.capped_out): a province's run may leave out tens of
// thousands, more than one answer carries; plans_capped_out counts them all.
const MaxCappedListed = 1000

// cappedMessage says why a year cap left a plan out of a joint visit, in a
// planner's words.
func cappedMessage(b coord.Breach) string {
	return fmt.Sprintf("无事不扰：%s上限为%d次（%s），参加将是第%d次，该计划不参加这家企业的拼团", domain.RuleLabel(b.Rule), b.Limit, b.Period, b.Count)
}

// inRegion cuts each plan to the enterprises in accepts; a plan left with
// none is dropped.
func inRegion(plans []matching.Coverage, in func(uscc string) bool) []matching.Coverage {
	kept := plans[:0]
	for _, c := range plans {
		c.Enterprises = slices.DeleteFunc(slices.Clone(c.Enterprises), func(u string) bool { return !in(u) })
		if len(c.Enterprises) > 0 {
			kept = append(kept, c)
		}
	}
	return kept
}

// standing is what the caps need of an enterprise for matching: its
// region's policy, its grade, and its counts in the calendar year, from its
// stored inspections as the coordinator counts them (planOf). ok is false
// for an enterprise not in the directory.
func (s *Service) standing(r store.Reader, uscc string, year int) (matching.Standing, bool, error) {
	ent, err := r.Enterprise(uscc)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return matching.Standing{}, false, nil
		}
		return matching.Standing{}, false, err
	}
	pol := s.policies.For(ent.GetRegionCode())
	st := matching.Standing{Policy: pol, Grade: gradeLetter(ent.GetCreditGrade()), Counts: coord.YearCounts{ByAgency: map[string]int{}}}
	list, err := r.InspectionsOfEnterprise(uscc, store.Page{})
	if err != nil {
		return st, false, err
	}
	for _, ins := range list {
		if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED || ins.GetWindowStart().AsTime().In(pol.Zone).Year() != year {
			continue
		}
		plan := planOf(ins, ent)
		// As coord.Policy.Counters counts: a visit that is not an
		// inspection is an entry only (a review, 2026-12-06: counted as a
		// visit here, it had a plan withdrawn by the visits cap that the
		// coordinator held within it).
		if !plan.Exempt && !plan.NotInspection {
			st.Counts.ByAgency[plan.AgencyID]++
			st.Counts.Proactive++
		}
		joined, err := report.PlanJoined(r, ins.GetId(), false)
		if err != nil {
			return st, false, err
		}
		if !joined {
			st.Counts.Entries++
			if !plan.NotInspection {
				st.Counts.Visits++
			}
		}
	}
	return st, true, nil
}

// ListProposals lists an agency's proposals (an officer's or agency
// administrator's own; an administrator's for agency_id, or all), or a
// supervisor's region's.
func (ms *matchingServer) ListProposals(ctx context.Context, req *ruqiv1.ListProposalsRequest) (*ruqiv1.ListProposalsResponse, error) {
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	p := principal(ctx)
	now := ms.s.now()
	resp := &ruqiv1.ListProposalsResponse{}
	err = ms.s.store.View(ctx, func(r store.Reader) error {
		var read func(store.Page) ([]*ruqiv1.JointVisitProposal, error)
		viewer := "" // the agency an officer or agency administrator reads for (inspection.ProposalForAgency)
		member := "" // the agency whose proposals are listed, or "" for all
		switch {
		case p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && req.GetAgencyId() == "", p.Is(ruqiv1.Role_ROLE_ADMIN) && req.GetAgencyId() == "":
			read = r.Proposals
		case p.Is(ruqiv1.Role_ROLE_SUPERVISOR):
			member = req.GetAgencyId()
			read = func(pg store.Page) ([]*ruqiv1.JointVisitProposal, error) {
				return r.ProposalsOfAgency(req.GetAgencyId(), pg)
			}
		default:
			agency, err := agencyOf(r, ctx, req.GetAgencyId())
			if err != nil {
				return err
			}
			member = agency
			read = func(pg store.Page) ([]*ruqiv1.JointVisitProposal, error) { return r.ProposalsOfAgency(agency, pg) }
			if !p.Is(ruqiv1.Role_ROLE_ADMIN) {
				viewer = agency
			}
		}
		if req.GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_OPEN && member == "" {
			// The province's open ones, from their marks once complete:
			// listing them paged through every proposal ever made. An
			// agency's list reads the agency's proposals as before: the
			// marks are the whole province's.
			complete, err := r.Count(inspection.OpenMarksCompleteKey)
			if err != nil {
				return err
			}
			if complete > 0 {
				read = markedOpenRead(r, now)
			}
		}
		var err error
		resp.Proposals, resp.NextPageToken, err = fillPage(pg, read, (*ruqiv1.JointVisitProposal).GetId, func(pr *ruqiv1.JointVisitProposal) (bool, error) {
			if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && !domain.RegionCovers(p.Subject, pr.GetRegionCode()) {
				return false, nil
			}
			return req.GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_UNSPECIFIED || inspection.ProposalAsOf(pr, now).GetState() == req.GetState(), nil
		})
		if err != nil {
			return err
		}
		for i, pr := range resp.Proposals {
			if resp.Proposals[i], err = inspection.ProposalVisitsNow(r, inspection.ProposalAsOf(pr, now)); err != nil {
				return err
			}
			if viewer != "" {
				resp.Proposals[i] = inspection.ProposalForAgency(resp.Proposals[i], viewer)
			}
		}
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// markedOpenRead lists, a page at a time by id as Proposals does, the
// proposals marked open (inspection.MarkedOpenIDs): the marks are read
// once, at the first page, and each page reads its own proposals. A
// proposal no longer stored open is listed all the same (the caller's
// filter judges it, as it judged every proposal before).
func markedOpenRead(r store.Reader, now time.Time) func(store.Page) ([]*ruqiv1.JointVisitProposal, error) {
	var ids []string
	read := false
	return func(pg store.Page) ([]*ruqiv1.JointVisitProposal, error) {
		if !read {
			var err error
			if ids, err = inspection.MarkedOpenIDs(r, now); err != nil {
				return nil, err
			}
			slices.Sort(ids)
			read = true
		}
		i, found := slices.BinarySearch(ids, pg.After)
		if found {
			i++
		}
		var out []*ruqiv1.JointVisitProposal
		for i < len(ids) && (pg.Limit <= 0 || len(out) < pg.Limit) {
			n := len(ids) - i
			if pg.Limit > 0 {
				n = min(n, pg.Limit-len(out))
			}
			held, err := r.ProposalsOf(ids[i : i+n])
			if err != nil {
				return nil, err
			}
			for _, id := range ids[i : i+n] {
				if pr := held[id]; pr != nil {
					out = append(out, pr)
				}
			}
			i += n
		}
		return out, nil
	}
}

// RespondToProposal records the caller's agency's answer. When it completes
// the proposal with at least two acceptances, each accepting agency's part
// is registered through the normal registration (coordinator, caps, codes),
// as the principal that accepted it, the lead agency first, so that the
// coordinator's lead is the proposal's; then the proposal is closed.
func (ms *matchingServer) RespondToProposal(ctx context.Context, req *ruqiv1.RespondToProposalRequest) (*ruqiv1.RespondToProposalResponse, error) {
	s := ms.s
	now := s.now()
	if err := domain.ValidateID("拼团提议编号", req.GetProposalId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := domain.ValidateText("说明", req.GetNote(), 200); err != nil {
		return nil, toStatus(ctx, err)
	}
	if req.GetAccept() {
		if err := domain.ValidateOfficerCount(len(req.GetOfficerIds())); err != nil {
			return nil, toStatus(ctx, err)
		}
		if n := len(req.GetOfficerIds()); n < s.cfg.Limits.MinOfficers {
			return nil, toStatus(ctx, domain.Invalidf("TOO_FEW_OFFICERS", "同意拼团须指派至少%d名执法人员，本次只填写了%d名", s.cfg.Limits.MinOfficers, n))
		}
		seen := map[string]bool{}
		for _, id := range req.GetOfficerIds() {
			if seen[id] {
				return nil, toStatus(ctx, domain.Invalidf("OFFICER_REPEATED", "执法人员 %s 重复填写", id))
			}
			seen[id] = true
		}
	} else if len(req.GetOfficerIds()) > 0 {
		return nil, toStatus(ctx, domain.Invalidf("OFFICERS_ON_DECLINE", "拒绝拼团时无须指派执法人员"))
	}
	var ans inspection.Answered
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		ans, err = inspection.AnswerProposal(tx, principal(ctx), now, inspection.Answer{
			ProposalID: req.GetProposalId(), AgencyID: req.GetAgencyId(), Accept: req.GetAccept(), OfficerIDs: req.GetOfficerIds(), Note: req.GetNote()})
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if ans.Expired {
		// Closed in the transaction above; the answer itself was not
		// taken, which an OK said otherwise to a client of the API (a
		// review, 2026-12-06).
		return nil, toStatus(ctx, domain.FailedPreconditionf("PROPOSAL_EXPIRED", "拼团提议 %s 已过期：共同检查时段已于 %s 开始，各部门答复未齐，提议已作未成团处理，本部门的答复未记录；请按本部门计划另行报备",
			ans.Proposal.GetId(), domain.FormatTime(ans.Proposal.GetWindowStart().AsTime())))
	}
	pr := ans.Proposal
	if len(ans.Register) > 0 {
		if pr, err = s.settleProposal(ctx, ans.Proposal, ans.Register); err != nil {
			return nil, toStatus(ctx, err)
		}
	}
	if p := principal(ctx); !p.Is(ruqiv1.Role_ROLE_ADMIN) {
		pr = inspection.ProposalForAgency(pr, ans.Agency)
	}
	return &ruqiv1.RespondToProposalResponse{Proposal: pr}, nil
}

// settleProposal registers a proposal whose answers are all in, each
// accepting agency's part through the normal registration (coordinator,
// caps, codes) as the principal that accepted it, the lead agency first,
// so that the coordinator's lead is the proposal's; then it closes the
// proposal. Both steps may be repeated: the registrations' request ids make
// one inspection per agency, and a closed proposal stays as it was closed.
// An error that is not a refusal (the store or the coordinator unreachable)
// leaves the proposal open for the next try.
func (s *Service) settleProposal(ctx context.Context, pr *ruqiv1.JointVisitProposal, members []*ruqiv1.ProposalMember) (*ruqiv1.JointVisitProposal, error) {
	is := &inspectionServer{s: s}
	var regs []inspection.MemberRegistration
	for _, m := range members {
		rreq := &ruqiv1.RegisterInspectionRequest{
			AgencyId: m.GetAgencyId(), EnterpriseUscc: pr.GetEnterpriseUscc(), CheckItemIds: m.GetCheckItemIds(), OfficerIds: m.GetOfficerIds(),
			WindowStart: pr.GetWindowStart(), WindowEnd: pr.GetWindowEnd(), Type: m.GetType(), TriggerReference: m.GetTriggerReference(),
			// The reason is the enterprise's to read: it names the agency's
			// own plan only. Naming the proposal (or saying it was 拼团)
			// would tell the enterprise that another agency's plan joins the
			// visit before that plan's notice time (检查预告), and the
			// proposal's id, a hash of the enterprise and the members' plans,
			// would let it guess which. The proposal lists each member's
			// inspection id, which is where the link is kept.
			Reason:    fmt.Sprintf("按本部门检查计划 %s 报备", m.GetPlanId()),
			RequestId: inspection.ProposalRequestID(pr.GetId()),
		}
		if m.GetType() == ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
			// A 专项 inspection carries out its approved plan, which the
			// member's coverage is (an operator's trial, 2026-12-05: every
			// agency accepting a proposal with a 专项 member was refused
			// "请填写计划编号", and the visit was never joint).
			rreq.PlanId = m.GetPlanId()
		}
		// The acceptance must still stand: an officer struck off since
		// accepting registers nothing (a red-team trial: the visit was
		// registered as an officer whose certificate had been revoked).
		// Checked here, to refuse before asking the coordinator, and again
		// in the registration's write (a review of races: struck off in
		// between, the part was registered as the officer).
		stands := func(r store.Reader) error {
			return inspection.AcceptanceStands(r, pr.GetId(), m, s.now())
		}
		err := s.store.View(ctx, stands)
		var lapsed *domain.Error
		switch {
		case errors.As(err, &lapsed):
			regs = append(regs, inspection.MemberRegistration{AgencyID: m.GetAgencyId(), Refused: lapsed.Message})
			continue
		case err != nil:
			return nil, err // the store unreachable: the proposal stays open
		}
		as := auth.WithPrincipal(ctx, auth.Principal{Role: m.GetAnsweredByRole(), Subject: m.GetAnsweredBySubject()})
		r, err := is.register(as, rreq, stands)
		switch status.Code(err) {
		case codes.OK:
			regs = append(regs, inspection.MemberRegistration{AgencyID: m.GetAgencyId(), InspectionID: r.GetInspection().GetId(), JointID: r.GetJointInspection().GetId(),
				Warnings: r.GetWarnings()})
		case codes.Unavailable, codes.Internal, codes.DeadlineExceeded, codes.Canceled, codes.Aborted:
			// Not a refusal: the proposal stays open, and answering again
			// the same way, or the next SettleAnsweredProposals, finishes
			// it (the request ids make it one registration per agency).
			return nil, err
		default:
			regs = append(regs, inspection.MemberRegistration{AgencyID: m.GetAgencyId(), Refused: status.Convert(err).Message()})
		}
	}
	// The joint inspection as the last registration left it.
	for i := range regs {
		if regs[i].JointID != "" {
			for j := range regs {
				if regs[j].Refused == "" {
					regs[j].JointID = regs[i].JointID
				}
			}
		}
	}
	// The id is taken before the transaction: a retried run must not read
	// it from what a failed run left in pr.
	id := pr.GetId()
	var closed *ruqiv1.JointVisitProposal
	err := s.store.Update(ctx, func(tx store.Tx) error {
		var err error
		closed, err = inspection.CloseProposal(tx, principal(ctx), s.now(), id, regs)
		return err
	})
	if err != nil {
		return nil, err
	}
	return closed, nil
}

// SettleAnsweredProposals settles the proposals whose answers are all in
// but which are still open: the server that took the last answer stopped
// before it registered them. It returns how many it settled.
//
// Its first pass after a start reads every proposal, which finds those
// answered before the marks (inspection.SettlePendingPrefix) were kept, or
// by a replica of an older version before this one started (replicas are
// upgraded together: README, Upgrading); later passes read the marked
// ones. A full pass that failed to settle one of those it found is made
// again. The full pass also marks every open proposal it finds that has
// no open mark (inspection.MarkOpenProposals): those an older version
// stored, before this one first started or while it was rolled back; the
// first such pass says the marks complete, after which matching runs read
// the marked ones only. Every pass drops the marks of proposals whose
// common time has begun.
func (s *Service) SettleAnsweredProposals(ctx context.Context) (int, error) {
	now := s.now()
	var stuck []*ruqiv1.JointVisitProposal
	var open []string // found open by the full pass
	keep := func(pr *ruqiv1.JointVisitProposal) error {
		if _, register := matching.Settle(pr); register && pr.GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
			stuck = append(stuck, pr)
		}
		return nil
	}
	full := !s.settleScanned.Load()
	err := s.store.View(ctx, func(r store.Reader) error {
		if full {
			return store.Each(500, r.Proposals, (*ruqiv1.JointVisitProposal).GetId, func(pr *ruqiv1.JointVisitProposal) error {
				if inspection.ProposalAsOf(pr, now).GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
					open = append(open, pr.GetId())
				}
				return keep(pr)
			})
		}
		return r.Counts(inspection.SettlePendingPrefix, func(k string, _ int64) error {
			pr, err := r.Proposal(strings.TrimPrefix(k, inspection.SettlePendingPrefix))
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			if err != nil {
				return err
			}
			return keep(pr)
		})
	})
	if err != nil {
		return 0, err
	}
	var errs []error
	if full {
		// A thousand a transaction, the last saying the marks complete:
		// the writer is not held for long. A proposal already marked
		// costs a counter's read.
		for done := false; !done; {
			n := min(len(open), 1000)
			done = n == len(open)
			err := s.store.Update(ctx, func(tx store.Tx) error {
				return inspection.MarkOpenProposals(tx, open[:n], done)
			})
			if err != nil {
				errs = append(errs, fmt.Errorf("marking the open proposals: %w", err))
				break
			}
			open = open[n:]
		}
	}
	if err := s.store.Update(ctx, func(tx store.Tx) error { _, err := inspection.PruneOpenMarks(tx, now); return err }); err != nil {
		errs = append(errs, fmt.Errorf("dropping the marks of proposals begun: %w", err))
	}
	// One proposal that cannot be settled now (the coordinator or the store
	// unreachable for it) does not hold up the others.
	settled := 0
	for _, pr := range stuck {
		if _, err := s.settleProposal(ctx, pr, inspection.AcceptedMembers(pr)); err != nil {
			errs = append(errs, fmt.Errorf("settling proposal %s: %w", pr.GetId(), err))
			continue
		}
		settled++
	}
	// The full pass is done once every proposal it found is settled: one
	// it found unmarked and failed to settle (the store or the coordinator
	// out of reach for a moment) is found by no later pass of the marks,
	// and stayed open until the server restarted (review2, 2026-12-07).
	if full && len(errs) == 0 {
		s.settleScanned.Store(true)
	}
	return settled, errors.Join(errs...)
}

// RunProposalSettling settles answered proposals left open (see
// SettleAnsweredProposals) now and then every interval, on the replica
// that sequences the log where several share a store, until ctx ends.
func (s *Service) RunProposalSettling(ctx context.Context, interval time.Duration, logErr func(error)) {
	s.onSequencer(ctx, interval, func() error { _, err := s.SettleAnsweredProposals(ctx); return err }, logErr)
}

// KeepEvaluationsByAgency keeps every evaluation counter an older version
// counted under its agency too (report.KeepEvalsByAgency), one month's
// counters at a time and five hundred a transaction, and says so
// (report.MarkEvalsKept): after that each agency's evaluation summary
// reads its own counters, not every agency's (report.EvaluationMonths).
// Made at every start, not once: a version rolled back to counts under R
// alone; what it counted, in the months since the previous start
// (report.EvalMonthsToCheck), is found out of step and copied.
func (s *Service) KeepEvaluationsByAgency(ctx context.Context) error {
	now := s.now()
	var months []report.EvalMonth
	err := s.store.View(ctx, func(r store.Reader) (err error) {
		months, err = report.EvalMonthsToCheck(r, now)
		return err
	})
	if err != nil {
		return err
	}
	copied := 0
	for _, em := range months {
		var keys []string
		err := s.store.View(ctx, func(r store.Reader) (err error) {
			keys, err = report.EvalsOutOfStep(r, em)
			return err
		})
		if err != nil {
			return err
		}
		for len(keys) > 0 {
			n := min(len(keys), 500)
			if err := s.store.Update(ctx, func(tx store.Tx) error { return report.KeepEvalsByAgency(tx, keys[:n]) }); err != nil {
				return err
			}
			copied += n
			keys = keys[n:]
		}
	}
	if copied > 0 {
		slog.Info("kept the evaluation counters under their agencies", "counters", copied)
	}
	return s.store.Update(ctx, func(tx store.Tx) error { return report.MarkEvalsKept(tx, now) })
}

// KeepEvaluators brings the evaluator counters (inspection.EvaluatorPrefix)
// in step with the evaluations the agencies' sums count, for the months
// since the last start's check (every month the first time, after the
// upgrade), and keeps this start's month as checked. Evaluate keeps them in
// step; what is out of step is what an older version recorded: every
// evaluation before the upgrade, and those of a version rolled back to
// between two starts of this one. An agency with a month out of step has
// its evaluations read and its months kept in a transaction of its own
// (inspection.KeepEvaluators); meanwhile its summary reads its evaluations,
// as before.
func (s *Service) KeepEvaluators(ctx context.Context) error {
	now := s.now()
	var months, agencies []string
	err := s.store.View(ctx, func(r store.Reader) error {
		checked, err := r.Count(inspection.EvaluatorsKept)
		if err != nil {
			return err
		}
		months = report.MonthsSinceCheck(checked, now)
		agencies, err = report.AgenciesEvaluated(r, months)
		return err
	})
	if err != nil {
		return err
	}
	kept := 0
	for _, agency := range agencies {
		// Checked outside the writer first: most agencies are in step.
		var out []string
		if err := s.store.View(ctx, func(r store.Reader) (err error) {
			out, err = inspection.EvaluatorsOutOfStep(r, agency, months)
			return err
		}); err != nil {
			return err
		}
		if len(out) == 0 {
			continue
		}
		var did bool
		if err := s.store.Update(ctx, func(tx store.Tx) (err error) {
			did, err = inspection.KeepEvaluators(tx, agency, months)
			return err
		}); err != nil {
			return err
		}
		if did {
			kept++
		}
	}
	if kept > 0 {
		slog.Info("kept the evaluators of the agencies' months", "agencies", kept)
	}
	return s.store.Update(ctx, func(tx store.Tx) error { return inspection.MarkEvaluatorsKept(tx, now) })
}

// RunStartPruning drops, every interval on the replica that sequences the
// events, the report's start counts of the hours gone by
// (report.PruneStarts); the first time after a start, it keeps the
// evaluation counters an older version counted under their agencies too
// (KeepEvaluationsByAgency), and the evaluators of what it recorded
// (KeepEvaluators), and indexes the leads opened before under their
// enterprises (MarkOwnLeads).
func (s *Service) RunStartPruning(ctx context.Context, interval time.Duration, logErr func(error)) {
	s.onSequencer(ctx, interval, func() error {
		// Once a start (the counters an older version counted).
		if !s.evalsKept.Load() {
			if err := s.KeepEvaluationsByAgency(ctx); err != nil {
				logErr(fmt.Errorf("keeping the evaluation counters under their agencies: %w", err))
			} else {
				s.evalsKept.Store(true)
			}
		}
		// After the V copy: the check compares with the sums it keeps,
		// and a month missing a count there would look in step.
		if s.evalsKept.Load() && !s.evaluatorsKept.Load() {
			if err := s.KeepEvaluators(ctx); err != nil {
				logErr(fmt.Errorf("keeping the evaluators of the agencies' months: %w", err))
			} else {
				s.evaluatorsKept.Store(true)
			}
		}
		if !s.ownLeadsMarked.Load() {
			if err := s.MarkOwnLeads(ctx); err != nil {
				logErr(fmt.Errorf("indexing the leads under their enterprises: %w", err))
			} else {
				s.ownLeadsMarked.Store(true)
			}
		}
		return s.store.Update(ctx, func(tx store.Tx) error { return report.PruneStarts(tx, s.now()) })
	}, logErr)
}
