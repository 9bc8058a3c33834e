// Package matching proposes joint visits (拼团, 撮合) from agencies'
// inspection plans before anyone has fixed a time: for each enterprise that
// several agencies' plans cover in the same period, one visit with a common
// window, a lead agency and one combined checklist (一表通查). It is pure: no
// I/O, no clock; the service stores what it proposes and registers accepted
// visits through the normal registration path (coordinator, caps, codes).
package matching

import (
	"cmp"
	"slices"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Coverage is what matching needs of one agency's inspection plan (检查计划):
// whom it covers, in which period, with which items and of which type.
type Coverage struct {
	PlanID   string
	AgencyID string
	Type     ruqiv1.InspectionType
	// Start and End are the plan's period, half-open (a month, a campaign).
	Start, End time.Time
	// Items are the plan's checks, from the agency's catalogue.
	Items []*ruqiv1.CheckItem
	// Enterprises are the USCCs the plan covers (a population resolved to
	// its enterprises).
	Enterprises []string
}

// Exempt reports whether the plan is case-triggered (个案), which no cap
// limits (有事必到).
func (c *Coverage) Exempt() bool { return c.Type == ruqiv1.InspectionType_INSPECTION_TYPE_CASE }

// Standing is what the caps need of an enterprise: its region's policy, its
// credit grade and its counts this year.
type Standing struct {
	Policy coord.Policy
	Grade  string
	Counts coord.YearCounts
}

// Input is one matching run.
type Input struct {
	Plans []Coverage
	// Standing returns an enterprise's standing in the calendar year of
	// the proposed visit (a run over the turn of the year proposes visits in
	// either); ok false (or a nil func) means no caps are known for it, and
	// only the same-agency rule applies.
	Standing func(uscc string, year int) (s Standing, ok bool)
	// NotBefore is the earliest a proposed window may start (now, or the
	// time the agencies need to answer).
	NotBefore time.Time
	// Zone places the visit day; nil is Beijing time.
	Zone *time.Location
	// Workday says whether a day is a working day, on which a joint visit
	// is proposed (coord.Policies.Workday: the year's holidays and 调休);
	// nil is domain.Workday.
	Workday func(day time.Time) bool
	// Proposed says whether an agency is already to visit the enterprise,
	// in an open proposal, on a day within [start, end)
	// (inspection.OpenProposals); such a plan is left out at that
	// enterprise, which it still counts as covered. nil: none is.
	Proposed func(uscc, agency string, start, end time.Time) bool
}

// Visit hours: a proposed joint visit is one working day, 09:00 to 17:00
// local time, so that every agency can plan its officers for that day.
const (
	DayStart    = 9 * time.Hour
	VisitLength = 8 * time.Hour
)

// Member is one agency's part in a proposal.
type Member struct {
	PlanID   string
	AgencyID string
	Type     ruqiv1.InspectionType
	Exempt   bool
	Items    []*ruqiv1.CheckItem
	// Start and End are the member plan's period, in which an open
	// proposal already taking its agency to the enterprise leaves it out
	// (Input.Proposed): the write checks that again (inspection.Propose).
	Start, End time.Time
}

// Left is a plan that covers the enterprise in the period but is not in the
// proposal, and why: a second plan of an agency already in it (Duplicate),
// or a year cap (Cap).
type Left struct {
	PlanID, AgencyID string
	Duplicate        bool
	Cap              *coord.Breach
}

// Proposal is one proposed joint visit.
type Proposal struct {
	USCC string
	// Lead is the lead agency; see Lead for the rule. Members[0] is its.
	Lead    string
	Members []Member
	// WindowStart and WindowEnd are the common window: the first working
	// day's 09:00–17:00 inside every member's period, not before NotBefore.
	WindowStart, WindowEnd time.Time
	// Checklist is the combined checklist, the lead's items first
	// (domain.Checklist, the rule registration uses).
	Checklist []*ruqiv1.CheckItemView
	Left      []Left
}

// Result is a run's proposals, ordered by enterprise then window, and what
// it counted.
type Result struct {
	Proposals []Proposal
	// Covered is the number of enterprises any plan covers; Contested those
	// that two or more agencies' plans cover in one period.
	Covered, Contested int
	// CappedOut counts plans left out by a cap; Unmatched groups that cap
	// or the lack of a working day left with fewer than two agencies.
	CappedOut, Unmatched int
	// Capped names the plans CappedOut counts, with the enterprise and the
	// cap, in the proposals' order, whether or not the rest of the group
	// made a proposal: "因频次上限未参加的计划 3 项" told a planner nothing of
	// which (a planner's trial).
	Capped []Capped
}

// Capped is a plan a year cap left out of a joint visit at one enterprise.
type Capped struct {
	USCC, PlanID, AgencyID string
	Cap                    coord.Breach
}

type pair struct {
	uscc     string
	plan     int32
	proposed bool
}

// Match proposes the joint visits of in.
//
// The rule, per enterprise: its plans, by period start, form groups as the
// coordinator forms visits — a plan joins the group whose common period it
// overlaps by at least a visit day's length (the largest overlap, then the
// earlier group), unless its agency is already in it, in which case the
// plan is Left as a duplicate; otherwise it starts a group. A group of two
// or more agencies becomes a proposal, after the year caps: the lead is
// chosen (Lead), then each member in order must pass its caps on top of the
// enterprise's counts and of the members admitted before it; the lead alone
// makes the visit, the others join it, as they will at registration. A
// group left with one agency, or with no working day in its common period,
// is no proposal.
func Match(in Input) Result {
	zone := in.Zone
	if zone == nil {
		zone = domain.Shanghai
	}
	n := 0
	for i := range in.Plans {
		n += len(in.Plans[i].Enterprises)
	}
	pairs := make([]pair, 0, n)
	for i := range in.Plans {
		c := &in.Plans[i]
		for _, u := range c.Enterprises {
			pairs = append(pairs, pair{u, int32(i), in.Proposed != nil && in.Proposed(u, c.AgencyID, c.Start, c.End)})
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := cmp.Compare(a.uscc, b.uscc); c != 0 {
			return c
		}
		pa, pb := &in.Plans[a.plan], &in.Plans[b.plan]
		if c := pa.Start.Compare(pb.Start); c != 0 {
			return c
		}
		return cmp.Compare(a.plan, b.plan)
	})
	var res Result
	var groups []group
	var free []pair
	for i := 0; i < len(pairs); {
		j := i + 1
		for j < len(pairs) && pairs[j].uscc == pairs[i].uscc {
			j++
		}
		res.Covered++
		// A plan whose agency an open proposal already takes to the
		// enterprise in its period is not proposed again: a third agency's
		// plan made a second open proposal, of all three, beside the first
		// (a planner's trial), and each agency would have answered two
		// visits of one enterprise on the same days.
		free = free[:0]
		for _, pr := range pairs[i:j] {
			if !pr.proposed {
				free = append(free, pr)
			}
		}
		run := free
		i = j
		if len(run) < 2 {
			continue
		}
		groups = groupRun(in.Plans, run, groups[:0])
		contested := false
		for g := range groups {
			if len(groups[g].plans) < 2 {
				continue
			}
			contested = true
			if p, ok := propose(in, zone, run[0].uscc, &groups[g], &res); ok {
				res.Proposals = append(res.Proposals, p)
			} else {
				res.Unmatched++
			}
		}
		if contested {
			res.Contested++
		}
	}
	return res
}

// group is one enterprise's plans that share a period.
type group struct {
	plans      []int32 // one per agency, in period order
	dups       []int32
	start, end time.Time
}

func groupRun(plans []Coverage, run []pair, groups []group) []group {
	for _, pr := range run {
		p := &plans[pr.plan]
		best, bestOverlap := -1, time.Duration(0)
		dupOf := -1
		for g := range groups {
			o := earlier(groups[g].end, p.End).Sub(later(groups[g].start, p.Start))
			if o < VisitLength || o <= bestOverlap {
				continue
			}
			if hasAgency(plans, groups[g].plans, p.AgencyID) {
				if dupOf < 0 {
					dupOf = g
				}
				continue
			}
			best, bestOverlap = g, o
		}
		switch {
		case best >= 0:
			g := &groups[best]
			g.plans = append(g.plans, pr.plan)
			g.start, g.end = later(g.start, p.Start), earlier(g.end, p.End)
		case dupOf >= 0:
			groups[dupOf].dups = append(groups[dupOf].dups, pr.plan)
		default:
			groups = append(groups, group{plans: []int32{pr.plan}, start: p.Start, end: p.End})
		}
	}
	return groups
}

func hasAgency(plans []Coverage, in []int32, agency string) bool {
	for _, i := range in {
		if plans[i].AgencyID == agency {
			return true
		}
	}
	return false
}

// Lead orders a group's plans, the lead first. The lead agency is the one
// with the most items to check (it has the most to do on site and sets the
// day's order); a tie goes to the plan whose period starts first, then to
// the lower agency id, so that every run names the same lead. One
// exception: when the enterprise's visits cap for the year is spent, only
// an exempt (个案) plan can make the visit, so an exempt plan leads.
func Lead(plans []Coverage, group []int32, visitsSpent bool) {
	slices.SortFunc(group, func(a, b int32) int {
		pa, pb := &plans[a], &plans[b]
		if visitsSpent && pa.Exempt() != pb.Exempt() {
			if pa.Exempt() {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(len(pb.Items), len(pa.Items)); c != 0 {
			return c
		}
		if c := pa.Start.Compare(pb.Start); c != 0 {
			return c
		}
		return cmp.Compare(pa.AgencyID, pb.AgencyID)
	})
}

func propose(in Input, zone *time.Location, uscc string, g *group, res *Result) (Proposal, bool) {
	workday := in.Workday
	if workday == nil {
		workday = domain.Workday
	}
	start, end, ok := window(later(g.start, in.NotBefore), g.end, zone, workday)
	if !ok {
		return Proposal{}, false
	}
	var st Standing
	capped := false
	year := start.In(zone).Year()
	if in.Standing != nil {
		st, capped = in.Standing(uscc, year)
	}
	visitsSpent := capped && st.Policy.VisitsPerYear != nil && st.Counts.Visits >= *st.Policy.VisitsPerYear
	Lead(in.Plans, g.plans, visitsSpent)
	p := Proposal{USCC: uscc, WindowStart: start, WindowEnd: end, Members: make([]Member, 0, len(g.plans))}
	// Within a group each agency has one plan, so the agency counts are
	// the enterprise's as they stand; the grade and visit counts grow with
	// each member admitted.
	counts := st.Counts
	for _, i := range g.plans {
		c := &in.Plans[i]
		if capped {
			if b := st.Policy.YearCap(counts, c.AgencyID, st.Grade, c.Exempt(), len(p.Members) == 0, year); b != nil {
				p.Left = append(p.Left, Left{PlanID: c.PlanID, AgencyID: c.AgencyID, Cap: b})
				res.CappedOut++
				res.Capped = append(res.Capped, Capped{USCC: uscc, PlanID: c.PlanID, AgencyID: c.AgencyID, Cap: *b})
				continue
			}
			if !c.Exempt() {
				counts.Proactive++
			}
			if len(p.Members) == 0 {
				counts.Visits++
			}
		}
		p.Members = append(p.Members, Member{PlanID: c.PlanID, AgencyID: c.AgencyID, Type: c.Type, Exempt: c.Exempt(), Items: c.Items,
			Start: c.Start, End: c.End})
	}
	for _, i := range g.dups {
		p.Left = append(p.Left, Left{PlanID: in.Plans[i].PlanID, AgencyID: in.Plans[i].AgencyID, Duplicate: true})
	}
	if len(p.Members) < 2 {
		return Proposal{}, false
	}
	p.Lead = p.Members[0].AgencyID
	n := 0
	for _, m := range p.Members {
		n += len(m.Items)
	}
	items := make([]*ruqiv1.CheckItem, 0, n)
	for _, m := range p.Members {
		items = append(items, m.Items...)
	}
	p.Checklist = domain.Checklist(items)
	return p, true
}

// window is the first working day whose 09:00–17:00 in zone lies within
// [from, to); failing that, the first such day of any kind (a campaign over
// a weekend or a holiday).
func window(from, to time.Time, zone *time.Location, workday func(time.Time) bool) (time.Time, time.Time, bool) {
	var weekend time.Time
	t := from.In(zone)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, zone)
	for ; ; day = day.AddDate(0, 0, 1) {
		s := day.Add(DayStart)
		e := s.Add(VisitLength)
		if e.After(to) {
			break
		}
		if s.Before(from) {
			continue
		}
		if workday(s) {
			return s, e, true
		}
		if weekend.IsZero() {
			weekend = s
		}
	}
	if !weekend.IsZero() {
		return weekend, weekend.Add(VisitLength), true
	}
	return time.Time{}, time.Time{}, false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// Settle is the rule that closes a proposal: it is complete once every
// member agency has answered; it is registered if then at least two have
// accepted (all who have not declined, and at least two: a joint visit of
// one agency is no joint visit, and an agency that declines leaves the
// others joined).
func Settle(p *ruqiv1.JointVisitProposal) (complete, register bool) {
	accepted := 0
	for _, m := range p.GetMembers() {
		switch m.GetAnswer() {
		case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_UNSPECIFIED:
			return false, false
		case ruqiv1.ProposalAnswer_PROPOSAL_ANSWER_ACCEPTED:
			accepted++
		}
	}
	return true, accepted >= 2
}

// Bounds of a plan's coverage as an agency submits it.
const (
	// MaxPeriod is the longest plan period matched: a campaign of a quarter.
	MaxPeriod = 92 * 24 * time.Hour
	// MaxEnterprises is the most enterprises one submission covers; a
	// larger population goes in several plans.
	MaxEnterprises = 20000
)

// ValidateCoverage checks a submitted coverage's shape: the plan id, type,
// period, items and enterprises (each a valid USCC, none twice).
func ValidateCoverage(c *ruqiv1.PlanCoverage) error {
	if c == nil {
		return domain.Invalidf("COVERAGE_MISSING", "请填写检查计划的覆盖范围")
	}
	if err := domain.ValidateID("检查计划编号", c.GetPlanId()); err != nil {
		return err
	}
	switch c.GetType() {
	case ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, ruqiv1.InspectionType_INSPECTION_TYPE_CASE:
	default:
		return domain.Invalidf("TYPE_MISSING", "请选择检查类型：日常、双随机、专项或个案")
	}
	if err := domain.TriggerForType(c.GetType(), c.GetTriggerReference()); err != nil {
		return err
	}
	if err := domain.ValidateText("触发依据", c.GetTriggerReference(), 200); err != nil {
		return err
	}
	if c.GetPeriodStart() == nil || c.GetPeriodEnd() == nil {
		return domain.Invalidf("PERIOD_MISSING", "请填写检查计划的起止日期")
	}
	start, end := c.GetPeriodStart().AsTime(), c.GetPeriodEnd().AsTime()
	if !end.After(start) {
		return domain.Invalidf("PERIOD_BACKWARDS", "计划结束时间（%s）须晚于开始时间（%s）", domain.FormatTime(end), domain.FormatTime(start))
	}
	if end.Sub(start) > MaxPeriod {
		return domain.Invalidf("PERIOD_TOO_LONG", "计划期间为%s，超过上限%s：请按月或按季度分别提交", domain.Composed(domain.FormatSpan(start, end)), domain.FormatDuration(MaxPeriod))
	}
	if len(c.GetCheckItemIds()) == 0 {
		return domain.Invalidf("ITEMS_EMPTY", "检查事项不能为空：请从本部门公布的检查事项清单中选择至少一项")
	}
	seen := map[string]bool{}
	for _, id := range c.GetCheckItemIds() {
		if seen[id] {
			return domain.Invalidf("ITEM_REPEATED", "检查事项 %s 重复填写", id)
		}
		seen[id] = true
	}
	if len(c.GetEnterpriseUsccs()) == 0 {
		return domain.Invalidf("ENTERPRISES_EMPTY", "请列出计划覆盖的企业（统一社会信用代码）")
	}
	if len(c.GetEnterpriseUsccs()) > MaxEnterprises {
		return domain.Invalidf("ENTERPRISES_TOO_MANY", "一次最多提交%d家企业，本次%d家：请分为多个计划提交", MaxEnterprises, len(c.GetEnterpriseUsccs()))
	}
	clear(seen)
	for _, u := range c.GetEnterpriseUsccs() {
		if err := domain.ValidateUSCC(u); err != nil {
			return err
		}
		if seen[u] {
			return domain.Invalidf("ENTERPRISE_REPEATED", "企业 %s 重复填写", u)
		}
		seen[u] = true
	}
	return nil
}
