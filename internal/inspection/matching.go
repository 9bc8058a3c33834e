package inspection

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/matching"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// SubmitCoverage files what one of the caller's agency's plans covers, for
// matching (拼团): its items on the agency's current catalogue, its
// enterprises in the directory. The same plan id again replaces it.
func SubmitCoverage(tx store.Tx, p auth.Principal, now time.Time, c *ruqiv1.PlanCoverage) (*ruqiv1.PlanCoverage, error) {
	agency, err := AgencyOf(tx, p, c.GetAgencyId())
	if err != nil {
		return nil, err
	}
	items := make([]*ruqiv1.CheckItem, 0, len(c.GetCheckItemIds()))
	for _, id := range c.GetCheckItemIds() {
		it, err := tx.CheckItem(id)
		if err != nil {
			return nil, notFound(err, "ITEM_UNKNOWN", "检查事项 %s 不存在，请从本部门检查事项清单中选择", id)
		}
		items = append(items, it)
	}
	if err := domain.CheckItemsForAgency(agency, items); err != nil {
		return nil, err
	}
	var plan *ruqiv1.Plan
	if c.GetType() == ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL {
		// An accepted proposal registers the agency's part as a 专项
		// inspection under this plan id: checked now, as the registration
		// will check it, not after every agency has accepted a visit that
		// cannot be joint (an agency's trial, 2026-12-06).
		if plan, err = LoadPlan(tx, c.GetPlanId()); err != nil {
			return nil, err
		}
	}
	ag, err := agencyRecord(tx, agency)
	if err != nil {
		return nil, err
	}
	for _, u := range c.GetEnterpriseUsccs() {
		e, err := tx.Enterprise(u)
		if err != nil {
			return nil, notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在企业名录中，请核对统一社会信用代码", u)
		}
		// An accepted proposal registers the agency's part: an enterprise
		// it could not register is refused now (属地管辖).
		if err := domain.CheckJurisdiction(ag, e, domain.ForPlan); err != nil {
			return nil, err
		}
		if plan != nil {
			if _, err := domain.CheckSpecialRegistration(plan, agency, e, c.GetCheckItemIds(), c.GetPeriodStart().AsTime(), c.GetPeriodEnd().AsTime()); err != nil {
				return nil, err
			}
		}
	}
	c.AgencyId = agency
	c.SubmittedAt = timestamppb.New(now)
	c.SubmittedBy = p.String()
	if err := tx.PutPlanCoverage(c); err != nil {
		return nil, err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_PLAN_COVERAGE_SUBMITTED)
	e.Detail = fmt.Sprintf("plan %s %s %d enterprises", store.CoverageKey(agency, c.GetPlanId()), c.GetType(), len(c.GetEnterpriseUsccs()))
	return c, j.Record(e)
}

// Coverages reads what matching takes for the period [from, to): the
// agencies' filed inspection plans (检查计划) in the version in force, and
// the coverages submitted to the matcher directly (SubmitCoverage); a
// submitted coverage under the same agency and plan id as a filed plan
// gives way to the plan.
//
// A plan whose scope names a population (a region, perhaps an industry: a
// 专项 campaign) covers, for matching, the enterprises of that population
// that another plan or coverage lists: that is where another agency will
// enter anyway, so that its visit can take the campaign's items along. A
// 双随机 plan's population is not matched: its draws pick whom it inspects. Two
// plans that both name populations do not meet on their own: finding their
// common enterprises would read the whole directory on every run (draws do
// that, a few times a month), and would propose a joint visit to each.
func Coverages(r store.Reader, from, to time.Time) ([]matching.Coverage, error) {
	var out []matching.Coverage
	items := map[string]*ruqiv1.CheckItem{}
	inPeriod := func(mc matching.Coverage) bool { return mc.Start.Before(to) && mc.End.After(from) }
	// An enterprise, nil if not in the directory. Read for each plan that
	// lists it, not kept: a province's month lists a million enterprises
	// two million times (BenchmarkMatch_ProvinceMonth), whose records held
	// in memory would be some hundreds of MB; at about 1.6 µs a read on
	// bbolt (BenchmarkEvaluationSummary_FiveYears) the reads are some
	// seconds beside the matching's minute.
	enterprise := func(u string) (*ruqiv1.Enterprise, error) {
		e, err := r.Enterprise(u)
		if errors.Is(err, store.ErrNotFound) {
			return nil, nil
		}
		return e, err
	}
	agencies := map[string]*ruqiv1.Agency{} // nil: not in the directory
	// inJurisdiction keeps of a coverage the enterprises its agency may
	// inspect (属地管辖): filing refuses others, but plans and coverages
	// an older version kept may name them (a district's 专项 plan over the
	// province, in an upgrade trial, 2026-12-07), and matching proposed
	// visits led by an agency that could not register its part.
	inJurisdiction := func(mc *matching.Coverage) error {
		ag, ok := agencies[mc.AgencyID]
		if !ok {
			var err error
			if ag, err = r.Agency(mc.AgencyID); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			agencies[mc.AgencyID] = ag
		}
		kept := mc.Enterprises[:0:0]
		for _, u := range mc.Enterprises {
			e, err := enterprise(u)
			if err != nil {
				return err
			}
			if ag != nil && e != nil && domain.CheckJurisdiction(ag, e, domain.ForPlan) == nil {
				kept = append(kept, u)
			}
		}
		mc.Enterprises = kept
		return nil
	}
	add := func(mc matching.Coverage, ids []string) error {
		if !inPeriod(mc) || len(mc.Enterprises) == 0 {
			return nil
		}
		if err := inJurisdiction(&mc); err != nil || len(mc.Enterprises) == 0 {
			return err
		}
		for _, id := range ids {
			it, ok := items[id]
			if !ok {
				var err error
				if it, err = r.CheckItem(id); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				items[id] = it
			}
			// An item retired since the plan was filed is no longer
			// inspected (清单之外无检查).
			if it != nil && !it.GetRetired() {
				mc.Items = append(mc.Items, it)
			}
		}
		if len(mc.Items) > 0 {
			out = append(out, mc)
		}
		return nil
	}
	type population struct {
		mc matching.Coverage
		v  *ruqiv1.PlanVersion
	}
	var populations []population
	filed := map[string]bool{}
	plans := func(p store.Page) ([]*ruqiv1.Plan, error) { return r.Plans("", p) }
	err := store.Each(1000, plans, (*ruqiv1.Plan).GetId, func(p *ruqiv1.Plan) error {
		v := domain.InForce(p)
		if v == nil {
			return nil
		}
		filed[store.CoverageKey(p.GetAgencyId(), p.GetId())] = true
		sc := v.GetScope()
		mc := matching.Coverage{PlanID: p.GetId(), AgencyID: p.GetAgencyId(), Type: v.GetType(),
			Start: v.GetPeriodStart().AsTime(), End: v.GetPeriodEnd().AsTime(), Enterprises: sc.GetEnterpriseUsccs()}
		if len(mc.Enterprises) == 0 && sc.GetRegionCode() != "" {
			// A 双随机 plan inspects the enterprises its draws pick, not
			// its population: matched elsewhere, it would choose them.
			if inPeriod(mc) && v.GetType() != ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM {
				populations = append(populations, population{mc: mc, v: v})
			}
			return nil
		}
		return add(mc, v.GetCheckItemIds())
	})
	if err != nil {
		return nil, err
	}
	coverageKey := func(c *ruqiv1.PlanCoverage) string { return store.CoverageKey(c.GetAgencyId(), c.GetPlanId()) }
	err = store.Each(1000, r.PlanCoverages, coverageKey, func(c *ruqiv1.PlanCoverage) error {
		if filed[coverageKey(c)] {
			return nil
		}
		mc := matching.Coverage{PlanID: c.GetPlanId(), AgencyID: c.GetAgencyId(), Type: c.GetType(),
			Start: c.GetPeriodStart().AsTime(), End: c.GetPeriodEnd().AsTime(), Enterprises: c.GetEnterpriseUsccs()}
		return add(mc, c.GetCheckItemIds())
	})
	if err != nil {
		return nil, err
	}
	if len(populations) == 0 {
		return out, nil
	}
	// The enterprises listed, each read once, in order (the proposals'
	// order does not depend on the maps').
	var listed []string
	seen := map[string]bool{}
	for _, mc := range out {
		for _, u := range mc.Enterprises {
			if !seen[u] {
				seen[u] = true
				listed = append(listed, u)
			}
		}
	}
	slices.Sort(listed)
	for _, u := range listed {
		e, err := enterprise(u)
		if err != nil {
			return nil, err
		}
		if e == nil {
			continue // a listed enterprise since removed from the directory
		}
		for i := range populations {
			if pp := &populations[i]; domain.Covers(pp.v, e) {
				pp.mc.Enterprises = append(pp.mc.Enterprises, u)
			}
		}
	}
	for _, pp := range populations {
		if err := add(pp.mc, pp.v.GetCheckItemIds()); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// OpenProposals reads the proposals still open at now (ProposalAsOf) and
// says whether one already takes an agency to an enterprise on a day within
// [start, end): the agency is a member that has not declined. Matching
// leaves such a plan out at that enterprise (matching.Input.Proposed).
// made is ProposalsMadeKey's count, for Propose, read before the
// proposals: a reader that does not see one snapshot (a replica's read
// committed) then reads proposals at least as new as the count, never
// older.
//
// It reads the proposals marked open (OpenMarkPrefix) once every open one
// is marked (OpenMarksCompleteKey); before that, on a store an older
// version wrote, it reads every proposal, about 6 million after a
// province's year (a review of what grows with history, 2026-12-07).
func OpenProposals(r store.Reader, now time.Time) (taken func(uscc, agency string, start, end time.Time) bool, made int64, err error) {
	if made, err = r.Count(ProposalsMadeKey); err != nil {
		return nil, 0, err
	}
	open := openProposals{}
	marked, err := r.Count(OpenMarksCompleteKey)
	if err != nil {
		return nil, 0, err
	}
	if marked > 0 {
		err = EachMarkedOpen(r, now, func(pr *ruqiv1.JointVisitProposal) error {
			open.add(pr, now)
			return nil
		})
	} else {
		err = store.Each(500, r.Proposals, (*ruqiv1.JointVisitProposal).GetId, func(pr *ruqiv1.JointVisitProposal) error {
			open.add(pr, now)
			return nil
		})
	}
	if err != nil {
		return nil, 0, err
	}
	return func(uscc, agency string, start, end time.Time) bool {
		return open.taking(uscc, agency, start, end) != ""
	}, made, nil
}

// OpenMarkPrefix, with the minute a proposal's common time begins (UTC,
// 200601021504; "~" for a proposal without one) and its id, marks a
// proposal stored open: putProposal keeps the mark as the proposal's state
// changes, and the hourly settling drops the marks of those whose time has
// begun (PruneOpenMarks), which ProposalAsOf reads as expired. So the marks
// are as many as the proposals still to be answered, not one per proposal
// ever made. Counters, as SettlePendingPrefix's marks: both stores keep
// them without a schema of their own.
const OpenMarkPrefix = "proposal_open|"

// OpenMarksCompleteKey is set once every proposal stored open has its mark
// (MarkOpenProposals, by the first settling after a start of a version
// that keeps them); proposals stored since are marked as they are stored.
const OpenMarksCompleteKey = "proposal_open_marked"

// markMinute is a minute as marks name it, and as now's is compared with
// theirs.
func markMinute(t time.Time) string { return t.UTC().Format("200601021504") }

func openMarkKey(pr *ruqiv1.JointVisitProposal) string {
	minute := "~" // never expires (ProposalAsOf); sorts after every minute
	if pr.GetWindowStart() != nil {
		minute = markMinute(pr.GetWindowStart().AsTime())
	}
	return OpenMarkPrefix + minute + "|" + pr.GetId()
}

// splitOpenMark is openMarkKey undone: the minute and the proposal's id.
func splitOpenMark(k string) (minute, id string, ok bool) {
	return strings.Cut(strings.TrimPrefix(k, OpenMarkPrefix), "|")
}

// putProposal stores pr and its open mark: set while pr is stored open,
// gone once it is not.
func putProposal(tx store.Tx, pr *ruqiv1.JointVisitProposal) error {
	if err := tx.PutProposal(pr); err != nil {
		return err
	}
	return setOpenMark(tx, pr)
}

func setOpenMark(tx store.Tx, pr *ruqiv1.JointVisitProposal) error {
	var want int64
	if pr.GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
		want = 1
	}
	return store.SetCount(tx, openMarkKey(pr), want)
}

// MarkedOpenIDs returns the ids of the proposals marked open whose common
// time has not begun at now's minute, each once, in the marks' order
// (their minute, then id): counters only, no proposal read. A mark may
// outlive its proposal's openness by a moment (a closing in a transaction
// not yet seen); readers check the proposal.
func MarkedOpenIDs(r store.Reader, now time.Time) ([]string, error) {
	cut := markMinute(now)
	var ids []string
	seen := map[string]bool{}
	err := r.Counts(OpenMarkPrefix, func(k string, n int64) error {
		minute, id, ok := splitOpenMark(k)
		if !ok || n <= 0 || minute < cut || seen[id] {
			return nil // begun: expired, and pruned within the hour
		}
		seen[id] = true
		ids = append(ids, id)
		return nil
	})
	return ids, err
}

// EachMarkedOpen calls fn with each proposal marked open whose common time
// has not begun at now's minute and that is stored open (the caller
// applies ProposalAsOf), read 500 at a time.
func EachMarkedOpen(r store.Reader, now time.Time, fn func(*ruqiv1.JointVisitProposal) error) error {
	ids, err := MarkedOpenIDs(r, now)
	if err != nil {
		return err
	}
	for len(ids) > 0 {
		n := min(len(ids), 500)
		held, err := r.ProposalsOf(ids[:n])
		if err != nil {
			return err
		}
		for _, id := range ids[:n] {
			if pr := held[id]; pr != nil && pr.GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
				if err := fn(pr); err != nil {
					return err
				}
			}
		}
		ids = ids[n:]
	}
	return nil
}

// MarkOpenProposals marks, in tx, those of ids still stored open, and with
// complete says that every proposal stored open is now marked: the first
// settling after a start, having read every proposal, marks those an
// older version stored (Service.SettleAnsweredProposals).
func MarkOpenProposals(tx store.Tx, ids []string, complete bool) error {
	for _, id := range ids {
		pr, err := tx.Proposal(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if pr.GetState() == ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
			if err := setOpenMark(tx, pr); err != nil {
				return err
			}
		}
	}
	if !complete {
		return nil
	}
	return store.SetCount(tx, OpenMarksCompleteKey, 1)
}

// PruneOpenMarks drops the open marks of proposals whose common time began
// before now's minute: ProposalAsOf reads them as expired, and no reader
// takes such a mark. The server runs it hourly with the settling, in a
// transaction of its own (as report.PruneStarts, for PostgreSQL's
// SERIALIZABLE: a registration's transaction reading the range would
// conflict with every proposal stored meanwhile).
func PruneOpenMarks(tx store.Tx, now time.Time) (int, error) {
	cut := markMinute(now)
	return store.DropCounts(tx, OpenMarkPrefix, func(k string) bool {
		minute, _, _ := splitOpenMark(k)
		return minute < cut
	})
}

// SettlePendingPrefix, with a proposal's id, marks a proposal whose
// answers are all in with two acceptances or more, open until its settling
// closes it (CloseProposal). The hourly settling reads these, where it read
// every proposal ever made each hour (about 6 million after a province's
// year; a review of what grows with history, 2026-12-07).
const SettlePendingPrefix = "settle_pending|"

func settlePendingKey(proposalID string) string { return SettlePendingPrefix + proposalID }

// ProposalsMadeKey counts the proposals Propose has stored: a run whose
// read saw the count the writer sees has missed no proposal, and Propose
// need not read the member agencies' proposals again in the writer.
const ProposalsMadeKey = "proposals_made"

// openProposals indexes open proposals by enterprise and member agency
// ("uscc|agency"), for OpenProposals' read and Propose's write.
type openProposals map[string][]openProposal

type openProposal struct {
	id         string
	start, end time.Time
}

// add indexes pr under each member that has not declined, if pr is open at
// now; a proposal added again is indexed once.
func (o openProposals) add(pr *ruqiv1.JointVisitProposal, now time.Time) {
	if ProposalAsOf(pr, now).GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
		return
	}
	for _, m := range pr.GetMembers() {
		k := pr.GetEnterpriseUscc() + "|" + m.GetAgencyId()
		if m.GetAnswer() == ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED ||
			slices.ContainsFunc(o[k], func(d openProposal) bool { return d.id == pr.GetId() }) {
			continue
		}
		o[k] = append(o[k], openProposal{pr.GetId(), pr.GetWindowStart().AsTime(), pr.GetWindowEnd().AsTime()})
	}
}

// taking names an open proposal that takes agency to enterprise uscc on a
// day within [start, end), or "" if none.
func (o openProposals) taking(uscc, agency string, start, end time.Time) string {
	for _, d := range o[uscc+"|"+agency] {
		if d.start.Before(end) && d.end.After(start) {
			return d.id
		}
	}
	return ""
}

// ProposalID names a proposal after its enterprise and its members' plans,
// so that matching the same plans again proposes nothing new.
func ProposalID(uscc string, members []matching.Member) string {
	keys := make([]string, 0, len(members))
	for _, m := range members {
		keys = append(keys, store.CoverageKey(m.AgencyID, m.PlanID))
	}
	slices.Sort(keys)
	sum := sha256.Sum256([]byte("ruqi.proposal.v1\x00" + uscc + "\x00" + strings.Join(keys, "\x00")))
	return "MAT-" + base32.StdEncoding.EncodeToString(sum[:10])
}

// ErrProposalsMoved is Propose's refusal of proposals decided from a read
// that another run's proposals have since overtaken: match again.
var ErrProposalsMoved = errors.New("inspection: open proposals changed since the matching run read them")

// Propose stores the proposals of a matching run that are new, with an
// event each, and returns them. triggers gives a case-triggered plan's
// trigger reference.
//
// The run decided them from a read made before (matching.Input.Proposed,
// OpenProposals): a member whose agency an open proposal stored since then
// takes to the enterprise in its plan's period makes it ErrProposalsMoved,
// and nothing is written. Two runs at once, one reading before a third
// agency's coverage and one after, each stored its proposal, so two
// agencies had two open proposals for one enterprise on the same days.
//
// made is ProposalsMadeKey's count in that read (OpenProposals), or -1 if
// unknown. While the count is the same, no proposal was stored since the
// read, which therefore saw every open one (proposals only close after
// they are made), and the check is done. Otherwise each member agency's
// proposals are read, whole histories: in the writer, a province's run
// read them all every time (about 530,000 proposals a month; a review,
// 2026-12-07).
func Propose(tx store.Tx, p auth.Principal, now time.Time, made int64, props []matching.Proposal, triggers func(agency, plan string) string) ([]*ruqiv1.JointVisitProposal, error) {
	j := journal(tx, p, now)
	var out []*ruqiv1.JointVisitProposal
	var fresh []matching.Proposal
	for _, mp := range props {
		if _, err := tx.Proposal(ProposalID(mp.USCC, mp.Members)); err == nil {
			continue
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		fresh = append(fresh, mp)
	}
	if len(fresh) == 0 {
		return nil, nil
	}
	stored, err := tx.Count(ProposalsMadeKey)
	if err != nil {
		return nil, err
	}
	// Checked against the stored proposals before any of the run's is
	// written, unless none was stored since the run's read.
	if stored != made {
		if err := stillFree(tx, now, fresh); err != nil {
			return nil, err
		}
	}
	for _, mp := range fresh {
		id := ProposalID(mp.USCC, mp.Members)
		rec := &ruqiv1.JointVisitProposal{
			Id: id, EnterpriseUscc: mp.USCC, RegionCode: RegionOf(tx, mp.USCC), LeadAgencyId: mp.Lead,
			WindowStart: timestamppb.New(mp.WindowStart), WindowEnd: timestamppb.New(mp.WindowEnd),
			Checklist: mp.Checklist, State: ruqiv1.ProposalState_PROPOSAL_STATE_OPEN, CreatedAt: timestamppb.New(now),
		}
		for _, m := range mp.Members {
			pm := &ruqiv1.ProposalMember{AgencyId: m.AgencyID, PlanId: m.PlanID, Type: m.Type}
			for _, it := range m.Items {
				pm.CheckItemIds = append(pm.CheckItemIds, it.GetId())
			}
			if m.Type == ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
				pm.TriggerReference = triggers(m.AgencyID, m.PlanID)
			}
			rec.Members = append(rec.Members, pm)
		}
		if err := putProposal(tx, rec); err != nil {
			return nil, err
		}
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_PROPOSAL_MADE)
		e.EnterpriseUscc = mp.USCC
		e.Detail = fmt.Sprintf("%s lead %s members %d", id, mp.Lead, len(mp.Members))
		if err := j.Record(e); err != nil {
			return nil, err
		}
		out = append(out, rec)
	}
	if err := tx.AddCount(ProposalsMadeKey, int64(len(out))); err != nil {
		return nil, err
	}
	return out, nil
}

// Answer is one agency's answer to a proposal.
type Answer struct {
	ProposalID, AgencyID string
	Accept               bool
	OfficerIDs           []string
	Note                 string
}

// Answered is what answering did: the proposal as it stands and, once it is
// complete with at least two acceptances (matching.Settle), the members to
// register, in order (the lead agency first).
type Answered struct {
	Proposal *ruqiv1.JointVisitProposal
	Register []*ruqiv1.ProposalMember
	// Agency is the agency that answered.
	Agency string
	// Expired says the proposal's common time had begun: the answer was not
	// recorded, the proposal closed as 未成团 (the caller says so as a
	// refusal, not as an answer taken).
	Expired bool
}

// AnswerProposal records an agency's answer: only the agency's own officer
// or administrator (or an administrator naming it) answers for it, once,
// while the proposal is open; accepting names officers of the agency whose
// certificates cover the window. A proposal complete with fewer than two
// acceptances fails (未成团). Answering again the same way once the proposal
// is complete but not yet registered returns the members to register, so
// that a registration cut short is finished by a retry.
func AnswerProposal(tx store.Tx, p auth.Principal, now time.Time, a Answer) (Answered, error) {
	// Whom the caller answers for is settled before the proposal is read:
	// naming another agency was refused OTHER_AGENCY for a proposal that
	// exists and PROPOSAL_UNKNOWN for one that does not, the very
	// difference refused below (a review, 2026-12-07).
	agency, err := AgencyOf(tx, p, a.AgencyID)
	if err != nil {
		return Answered{}, err
	}
	pr, err := tx.Proposal(a.ProposalID)
	if err != nil {
		return Answered{}, notFound(err, "PROPOSAL_UNKNOWN", "拼团提议 %s 不存在", a.ProposalID)
	}
	var m *ruqiv1.ProposalMember
	for _, x := range pr.GetMembers() {
		if x.GetAgencyId() == agency {
			m = x
		}
	}
	if m == nil {
		// To an agency outside it, a proposal is as unknown as one that
		// does not exist: its id is a hash of the enterprise and the plans,
		// and "not in proposal" against "unknown" told an agency which
		// enterprise other agencies plan to visit, an unannounced 个案 check
		// among them (a security review, 2026-12-07). An administrator,
		// who answers for any agency, is told which.
		if !p.Is(ruqiv1.Role_ROLE_ADMIN) {
			return Answered{}, domain.NotFoundf("PROPOSAL_UNKNOWN", "拼团提议 %s 不存在", a.ProposalID)
		}
		return Answered{}, domain.PermissionDeniedf("NOT_IN_PROPOSAL", "部门 %s 不在拼团提议 %s 中，不能响应；各部门只能为本部门响应", agency, pr.GetId())
	}
	want := ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED
	if a.Accept {
		want = ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED
	}
	if pr.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
		return Answered{}, domain.FailedPreconditionf("PROPOSAL_CLOSED", "拼团提议 %s %s，不能再响应", pr.GetId(), stateWords(pr.GetState()))
	}
	if m.GetAnswer() != ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_UNSPECIFIED {
		if complete, register := matching.Settle(pr); m.GetAnswer() == want && complete && register {
			return Answered{Proposal: pr, Register: AcceptedMembers(pr), Agency: agency}, nil
		}
		return Answered{}, domain.FailedPreconditionf("ALREADY_ANSWERED", "本部门已于 %s 响应该拼团提议（%s），不能更改", domain.FormatTime(m.GetAnsweredAt().AsTime()), answerWords(m.GetAnswer()))
	}
	if asOf := ProposalAsOf(pr, now); asOf.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
		// The common time has begun with answers missing: no part can be
		// registered any more (a registration's window may not start in the
		// past), and settling made each accepting agency's part a refusal
		// that told it to record an emergency late. The proposal closes
		// here as it is listed (ProposalAsOf), the answer unrecorded.
		pr = asOf
		j := journal(tx, p, now)
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_PROPOSAL_CLOSED)
		e.EnterpriseUscc, e.Detail = pr.GetEnterpriseUscc(), pr.GetId()+" expired"
		if err := j.Record(e); err != nil {
			return Answered{}, err
		}
		return Answered{Proposal: pr, Agency: agency, Expired: true}, putProposal(tx, pr)
	}
	if a.Accept {
		var officers []*ruqiv1.Officer
		for _, id := range a.OfficerIDs {
			o, err := tx.Officer(id)
			if err != nil {
				return Answered{}, notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", id)
			}
			officers = append(officers, o)
		}
		if err := domain.CheckOfficersForAgency(agency, officers, pr.GetWindowStart().AsTime(), pr.GetWindowEnd().AsTime()); err != nil {
			return Answered{}, err
		}
		m.OfficerIds = a.OfficerIDs
	}
	m.Answer = want
	m.AnsweredAt = timestamppb.New(now)
	m.AnsweredBy = p.String()
	m.AnsweredByRole, m.AnsweredBySubject = p.Role, p.Subject
	m.Note = a.Note
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_PROPOSAL_ANSWERED)
	e.EnterpriseUscc = pr.GetEnterpriseUscc()
	e.Detail = fmt.Sprintf("%s %s %s", pr.GetId(), agency, want)
	if err := j.Record(e); err != nil {
		return Answered{}, err
	}
	out := Answered{Proposal: pr, Agency: agency}
	switch complete, register := matching.Settle(pr); {
	case register:
		out.Register = AcceptedMembers(pr)
		// Answered and open until the settling that follows closes it;
		// a server stopping in between leaves it to the hourly settling,
		// which finds it here.
		if err := tx.AddCount(settlePendingKey(pr.GetId()), 1); err != nil {
			return Answered{}, err
		}
	case complete:
		pr.State = ruqiv1.ProposalState_PROPOSAL_STATE_FAILED
		pr.Outcome = "未成团：同意的部门不足两个，各部门按各自计划另行报备"
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_PROPOSAL_CLOSED)
		e.EnterpriseUscc, e.Detail = pr.GetEnterpriseUscc(), pr.GetId()+" failed"
		if err := j.Record(e); err != nil {
			return Answered{}, err
		}
	}
	return out, putProposal(tx, pr)
}

// stillFree refuses, with ErrProposalsMoved, proposals a member of which
// an open proposal stored already takes to the enterprise in its plan's
// period: each member agency's proposals read once, in the writer's
// transaction, where the whole list was read per member.
func stillFree(tx store.Tx, now time.Time, props []matching.Proposal) error {
	open, read := openProposals{}, map[string]bool{}
	for _, mp := range props {
		for _, m := range mp.Members {
			if !read[m.AgencyID] {
				read[m.AgencyID] = true
				err := store.Each(500, func(pg store.Page) ([]*ruqiv1.JointVisitProposal, error) { return tx.ProposalsOfAgency(m.AgencyID, pg) },
					(*ruqiv1.JointVisitProposal).GetId, func(pr *ruqiv1.JointVisitProposal) error { open.add(pr, now); return nil })
				if err != nil {
					return err
				}
			}
			if taken := open.taking(mp.USCC, m.AgencyID, m.Start, m.End); taken != "" {
				return fmt.Errorf("%w: %s already takes %s to %s", ErrProposalsMoved, taken, m.AgencyID, mp.USCC)
			}
		}
	}
	return nil
}

// AcceptedMembers are the members of a proposal that accepted it, in the
// proposal's order (the lead first).
func AcceptedMembers(pr *ruqiv1.JointVisitProposal) []*ruqiv1.ProposalMember {
	var out []*ruqiv1.ProposalMember
	for _, m := range pr.GetMembers() {
		if m.GetAnswer() == ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED {
			out = append(out, m)
		}
	}
	return out
}

// ProposalRequestID is the request id under which each accepting member's
// part of a proposal is registered: a retried settling registers nothing
// twice.
func ProposalRequestID(proposalID string) string { return "match-" + proposalID }

// AcceptanceStands is whether member's acceptance of proposal proposalID
// still stands at now, as the proposal settles: an officer who accepted
// must still be one who may act for the agency (domain.AcceptanceStands).
// The registration that follows is made as that officer without a token,
// so nothing else asks; named officers are checked by the registration
// itself. An acceptance by the agency's administrator or an administrator
// stands, and so does a part already registered by a settling cut short:
// it is the agency's inspection, which only cancelling withdraws.
func AcceptanceStands(r store.Reader, proposalID string, m *ruqiv1.ProposalMember, now time.Time) error {
	if m.GetAnsweredByRole() != ruqiv1.Role_ROLE_OFFICER {
		return nil
	}
	if _, err := r.InspectionForRequest(RequestKey(m.GetAgencyId(), ProposalRequestID(proposalID))); err == nil {
		return nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	o, err := r.Officer(m.GetAnsweredBySubject())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err != nil {
		o = nil
	}
	return domain.AcceptanceStands(m.GetAnsweredBySubject(), o, m.GetAgencyId(), now)
}

// MemberRegistration is how one accepted member's registration went.
type MemberRegistration struct {
	AgencyID     string
	InspectionID string
	JointID      string
	// Refused is the registration's refusal, in the officer's words.
	Refused string
	// Warnings are the frequency warnings the registration gave.
	Warnings []*ruqiv1.FrequencyWarning
}

// CloseProposal records the registrations of a complete proposal: each
// member's inspection, or its refusal, the joint inspection, and the
// proposal registered (one registration or more) or failed.
func CloseProposal(tx store.Tx, p auth.Principal, now time.Time, id string, regs []MemberRegistration) (*ruqiv1.JointVisitProposal, error) {
	pr, err := tx.Proposal(id)
	if err != nil {
		return nil, err
	}
	if pr.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN {
		return pr, nil // a retry closed it first
	}
	// The settling mark goes with the proposal's closing.
	if n, err := tx.Count(settlePendingKey(id)); err != nil {
		return nil, err
	} else if n != 0 {
		if err := tx.AddCount(settlePendingKey(id), -n); err != nil {
			return nil, err
		}
	}
	registered, joint := 0, ""
	var refused, alone []string
	for _, r := range regs {
		for _, m := range pr.GetMembers() {
			if m.GetAgencyId() != r.AgencyID {
				continue
			}
			if r.Refused != "" {
				m.Answer = ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED
				m.Note = domain.Clip(r.Refused, 300)
				refused = append(refused, r.AgencyID)
				continue
			}
			m.InspectionId = r.InspectionID
			m.Warnings = r.Warnings
			alone = append(alone, r.AgencyID+" "+r.InspectionID)
			registered++
			if joint == "" {
				joint = r.JointID
			}
		}
	}
	pr.JointInspectionId = joint
	switch {
	case registered >= 2 && joint != "":
		pr.State = ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED
		pr.Outcome = fmt.Sprintf("已成团：%d个部门报备为联合检查 %s", registered, joint)
		// The 一表通查 is now the visit's: a member that declined or was
		// refused checks nothing on it, and its lines, kept, were printed
		// under 已成团 and counted in every list of proposals.
		pr.Checklist = registeredChecklist(pr)
		// The lead that declined or was refused leads nothing: the first
		// member registered holds the visit (the settling registers in the
		// proposal's order), so its agency is the joint inspection's lead,
		// which every member's inspection names. (Where the parts joined an
		// earlier plan from outside the proposal, that plan's agency leads;
		// the proposal does not name it to members outside the visit.)
		for _, m := range pr.GetMembers() {
			if m.GetInspectionId() != "" {
				pr.LeadAgencyId = m.GetAgencyId()
				break
			}
		}
	case registered > 0:
		// The others were refused: what stands is one agency's own visit,
		// not a joint one, and 已成团 would count it as one (the state's
		// words in every list, and the proposals a region reports as
		// matched).
		pr.State = ruqiv1.ProposalState_PROPOSAL_STATE_FAILED
		then := "按其计划单独检查"
		if joint != "" {
			then = "并入联合检查 " + joint // with a plan from outside the proposal
		}
		pr.Outcome = "未成团：仅" + strings.Join(alone, "、") + " 报备成功，" + then
	default:
		pr.State = ruqiv1.ProposalState_PROPOSAL_STATE_FAILED
		pr.Outcome = "未成团：各部门报备均未通过"
	}
	if len(refused) > 0 {
		pr.Outcome += "；报备未通过：" + strings.Join(refused, "、")
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_PROPOSAL_CLOSED)
	e.EnterpriseUscc = pr.GetEnterpriseUscc()
	e.Detail = fmt.Sprintf("%s %s joint %s registered %d", pr.GetId(), pr.GetState(), joint, registered)
	if err := j.Record(e); err != nil {
		return nil, err
	}
	return pr, putProposal(tx, pr)
}

// registeredChecklist is a proposal's checklist cut to the members
// registered: each line keeps the agencies and item ids of those members,
// and a line none of them checks goes. A line shared by several agencies
// keeps its text (the same name and legal basis, domain.Checklist) under
// the first agency left.
func registeredChecklist(pr *ruqiv1.JointVisitProposal) []*ruqiv1.CheckItemView {
	agencies := map[string]bool{}
	items := map[string]bool{}
	for _, m := range pr.GetMembers() {
		if m.GetInspectionId() == "" {
			continue
		}
		agencies[m.GetAgencyId()] = true
		for _, id := range m.GetCheckItemIds() {
			items[id] = true
		}
	}
	var out []*ruqiv1.CheckItemView
	for _, line := range pr.GetChecklist() {
		l := proto.Clone(line).(*ruqiv1.CheckItemView)
		l.AgencyIds = slices.DeleteFunc(l.AgencyIds, func(a string) bool { return !agencies[a] })
		l.CheckItemIds = slices.DeleteFunc(l.CheckItemIds, func(id string) bool { return !items[id] })
		if len(l.AgencyIds) == 0 || len(l.CheckItemIds) == 0 {
			continue
		}
		if !agencies[l.GetAgencyId()] || !items[l.GetCheckItemId()] {
			l.AgencyId, l.CheckItemId = l.AgencyIds[0], l.CheckItemIds[0]
		}
		out = append(out, l)
	}
	return out
}

// PartnerRefusal is what the other members of a proposal read of an
// agency's part refused at registration, in place of the refusal itself.
const PartnerRefusal = "该部门的检查未能报备，不参加本次联合检查；具体原因仅该部门和司法局可查看"

// expiredOutcome is the outcome of a proposal whose common time began
// with answers missing.
func expiredOutcome(start time.Time) string {
	return fmt.Sprintf("未成团：共同检查时段已于 %s 开始，答复未齐，提议已过期；各部门按各自计划另行报备", domain.FormatTime(start))
}

// ProposalAsOf is pr as it stands at now: an open proposal whose common
// time has begun is 未成团, expired, as an answer would close it
// (AnswerProposal). One nobody answers again was listed 待响应 for ever, the
// agencies asked to answer a visit that can no longer be registered (a
// planner's trial, 2026-12-06). The record is unchanged; pr is returned
// itself when it stands as stored.
func ProposalAsOf(pr *ruqiv1.JointVisitProposal, now time.Time) *ruqiv1.JointVisitProposal {
	if pr.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_OPEN || pr.GetWindowStart() == nil || now.Before(pr.GetWindowStart().AsTime()) {
		return pr
	}
	out := proto.Clone(pr).(*ruqiv1.JointVisitProposal)
	out.State, out.Outcome = ruqiv1.ProposalState_PROPOSAL_STATE_FAILED, expiredOutcome(pr.GetWindowStart().AsTime())
	return out
}

// ProposalVisitsNow returns a registered proposal with what became of its
// visit since: each member's inspection state, and, once a member has
// cancelled, in words who cancelled and who goes on, read from the joint
// inspection as it stands (an agency may have joined it at registration,
// and its lead passes on). A proposal read "已成团" with the cancelled
// member as lead and its items in the 一表通查 after the joint visit had
// ended, and planners were told of a joint visit that no longer existed (a
// trial of agencies' planners, 2026-12-07). pr itself is not changed.
func ProposalVisitsNow(r store.Reader, pr *ruqiv1.JointVisitProposal) (*ruqiv1.JointVisitProposal, error) {
	if pr.GetState() != ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED {
		return pr, nil
	}
	out := proto.Clone(pr).(*ruqiv1.JointVisitProposal)
	// Each inspection read once: the members' are the joint's too.
	read := map[string]*ruqiv1.Inspection{}
	inspection := func(id string) (*ruqiv1.Inspection, error) {
		if ins, ok := read[id]; ok {
			return ins, nil
		}
		ins, err := r.Inspection(id)
		if err == nil {
			read[id] = ins
		}
		return ins, err
	}
	var cancelled []string
	for _, m := range out.GetMembers() {
		if m.GetInspectionId() == "" {
			continue
		}
		ins, err := inspection(m.GetInspectionId())
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		m.InspectionState = ins.GetState()
		if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			cancelled = append(cancelled, m.GetAgencyId())
		}
	}
	if len(cancelled) == 0 {
		return out, nil
	}
	// Who is in the visit now: the joint inspection's plans not cancelled.
	var standing []string
	lead := ""
	if id := out.GetJointInspectionId(); id != "" {
		j, err := r.JointInspection(id)
		switch {
		case err == nil:
			lead = j.GetLeadAgencyId()
			for _, iid := range j.GetInspectionIds() {
				ins, err := inspection(iid)
				if errors.Is(err, store.ErrNotFound) {
					continue
				}
				if err != nil {
					return nil, err
				}
				if ins.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED && !slices.Contains(standing, ins.GetAgencyId()) {
					standing = append(standing, ins.GetAgencyId())
				}
			}
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	if len(standing) == 0 {
		// No joint record (or none left in it): the members' own parts.
		for _, m := range out.GetMembers() {
			if m.GetInspectionId() != "" && m.GetInspectionState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
				standing = append(standing, m.GetAgencyId())
			}
		}
	}
	who := strings.Join(cancelled, "、")
	switch {
	case len(standing) == 0:
		out.Since = fmt.Sprintf("此后各部门的报备均已撤销（%s），这次联合检查不再进行", who)
	case len(standing) == 1:
		out.Since = fmt.Sprintf("此后%s撤销了报备：联合检查已不成立，只余%s按其计划单独检查，一表通查中其他部门的检查事项不再检查", who, standing[0])
	default:
		if lead == "" || !slices.Contains(standing, lead) {
			lead = standing[0]
		}
		others := slices.DeleteFunc(slices.Clone(standing), func(a string) bool { return a == lead })
		out.Since = fmt.Sprintf("此后%s撤销了报备：联合检查现由%s牵头，与%s继续，一表通查中撤销部门的检查事项不再检查", who, lead, strings.Join(others, "、"))
	}
	return out, nil
}

// ProposalForAgency is a proposal as an officer or administrator of agency
// reads it. Of the other members it leaves out
//   - a 个案 trigger (a complaint's or referral's number), as the other
//     agency's inspection, which the officer may not read at all, does;
//   - why a part was refused at registration, which tells of that
//     agency's other inspections of the enterprise: a frequency cap's
//     count (无事不扰, "本次将是第3次"), a duplicate's inspection id. The
//     partners read that the part was refused and PartnerRefusal (a
//     red-team trial read another agency's count this way).
//
// And an agency whose own part is not in the visit (declined, refused, or
// not registered yet) does not read the joint inspection's id, here or in
// the outcome: the id is its first plan's (coord.JointIDFor), which may be
// a partner's other inspection the proposal's part joined (the very one a
// duplicate refusal names). The agencies in the visit read it on their
// own inspections anyway.
//
// Supervisors and administrators read the proposal whole.
func ProposalForAgency(pr *ruqiv1.JointVisitProposal, agency string) *ruqiv1.JointVisitProposal {
	if pr == nil {
		return nil
	}
	out := proto.Clone(pr).(*ruqiv1.JointVisitProposal)
	inVisit := false
	for _, m := range out.GetMembers() {
		if m.GetAgencyId() == agency {
			inVisit = m.GetInspectionId() != ""
		}
	}
	if j := out.GetJointInspectionId(); j != "" && !inVisit {
		out.JointInspectionId = ""
		out.Outcome = strings.ReplaceAll(out.GetOutcome(), " "+j, "")
	}
	if !inVisit {
		// Who is in the visit now (an agency that joined it at
		// registration among them) is for the agencies in it.
		out.Since = ""
	}
	for _, m := range out.GetMembers() {
		if m.GetAgencyId() == agency {
			continue
		}
		m.TriggerReference = ""
		// A warning counts the enterprise's visits of every agency
		// ("本周被入企检查次数已达第3次"): its own agency's to read, as a
		// registration of its own is answered.
		m.Warnings = nil
		if m.GetAnswer() == ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED {
			m.Note = PartnerRefusal
		}
	}
	return out
}

func stateWords(s ruqiv1.ProposalState) string {
	switch s {
	case ruqiv1.ProposalState_PROPOSAL_STATE_REGISTERED:
		return "已成团并报备"
	case ruqiv1.ProposalState_PROPOSAL_STATE_FAILED:
		return "未成团，已关闭"
	}
	return "待响应"
}

func answerWords(a ruqiv1.ProposalAnswer) string {
	switch a {
	case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED:
		return "同意"
	case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_DECLINED:
		return "拒绝"
	case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_REFUSED:
		return "报备未通过"
	}
	return "待响应"
}
