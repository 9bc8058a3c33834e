package coord

import (
	"sort"
	"strings"
	"time"
)

// State is one enterprise's coordinator state. It is the reference
// semantics: coord/local runs it as is, and coord/redis's Lua scripts do the
// same steps on Redis keys (the conformance suite holds them to it).
//
// The rule (综合查一次): a joint inspection is a set of plans of different
// agencies whose windows all share a common time, the intersection of their
// windows, at least Policy.JointMinimum long. A new plan joins the one visit
// whose common time it overlaps by that minimum (the largest overlap, then
// the visit registered first); a visit that is not an inspection
// (Plan.NotInspection) is never merged either way; a plan never joins two visits into one, and a
// plan that overlaps a member's window but not the common time is a visit
// of its own. Windows shorter than the minimum are held to their length: a
// plan joins when the whole of it lies in the common time, or the whole
// common time in it (see joinNeed). Each visit is held by its earliest plan, which alone carries
// the visit counts.
type State struct {
	Version int64
	// Fence is the store's fence for the enterprise when the state was
	// seeded or last settled against the store (Seed.Fence): decisions
	// carry it (Decision.Fence).
	Fence  int64
	order  int64
	Plans  map[string]*PlanState
	Counts map[string]Count
}

// PlanState is a plan as the coordinator holds it: open (its window has not
// ended and it is not closed: it may be joined or duplicated) or over but
// still counted, until
// every count it could add to has lapsed (KeepUntil), so that cancelling it
// after its window gives its counts back exactly as a reseed would.
type PlanState struct {
	Plan
	Order   int64
	Charged []string // counter keys it added one to
	// VisitKeys are the visit counters the plan adds to when it holds a
	// visit, so that the visit's counts follow its holder.
	VisitKeys []VisitKey
	// KeepUntil is when the last counter the plan could add to lapses.
	KeepUntil time.Time
}

// Count is a calendar period's count and when it lapses.
type Count struct {
	N        int
	ExpireAt time.Time
}

// VisitKey is a visit counter a plan adds to while it holds a visit.
type VisitKey struct {
	Key      string
	ExpireAt time.Time
}

// TakeFence takes the store's fence f, raised by a check of pending plans
// or a release that read the store (coord.Seeder). The state stands on f if
// f is the next fence after its own: no other raise came between, so every
// plan committed under f was decided here. It answers false, changing
// nothing, if another raise came between: another state (since lost, or
// replaced) may have committed plans this one lacks, and the state must be
// rebuilt from the store. 0, or a fence the state has, changes nothing (a
// release under a fence older than the state's releases nothing:
// ReleaseStale).
func (s *State) TakeFence(f int64) bool {
	switch {
	case f <= s.Fence:
		return true
	case f == s.Fence+1:
		s.Fence = f
		return true
	}
	return false
}

// ReleaseStale says whether a release under fence f must release nothing:
// f is older than the state's, so a raise came after the one the release
// stands on, and what the state decided since may stand on that raise (a
// retry of the released plan, decided again under it, whose write passes
// its check). Released, that retry's plan was written uncounted; left, the
// reservation is settled against the store when its hold is up. Dropping
// the state instead (248d898) rebuilt it for every such release: batches
// of take-backs from two replicas reseeded an enterprise ten times in a
// dozen releases (two reviews, 2026-12-07).
func (s *State) ReleaseStale(f int64) bool { return f != 0 && f < s.Fence }

// TakeSeedFence takes the fence of a seed read with the fence raised (a
// check of pending plans): as TakeFence, and also past other raises if the
// state holds every plan of the seed. The seed lists every plan committed
// (it was read after its raise, and writes decided under older fences fail
// their check), so a state that holds them all counts every plan the store
// can hold. It answers false if the state must be rebuilt from the seed.
func (s *State) TakeSeedFence(seed Seed) bool {
	if s.TakeFence(seed.Fence) {
		return true
	}
	for _, p := range seed.Plans {
		if s.Plans[p.InspectionID] == nil {
			return false
		}
	}
	// Decisions written meanwhile (by a state since lost) carry versions
	// up to the seed's: the next must be newer, or the store would keep
	// their membership over it.
	s.Fence, s.Version = seed.Fence, max(s.Version, seed.Version)
	return true
}

// NewState rebuilds an enterprise's state from the store's seed under pol.
// It applies the rule to what the store says: a stored joint inspection
// whose plans share no common time (one merged by the older, transitive
// rule) is split into the visits RegroupSeed makes of it, taking its plans
// in registration order; a joint inspection left with one plan is that plan
// alone. Plans never merge in a reseed.
func NewState(seed Seed, pol Policy, now time.Time) *State {
	s := &State{Version: seed.Version, Fence: seed.Fence, Plans: map[string]*PlanState{}, Counts: map[string]Count{}}
	plans := RegroupSeed(seed.Plans)
	for _, p := range plans {
		s.order++
		ps := s.newPlanState(p, pol)
		for _, c := range pol.Counters(p, p.Grade) {
			if !now.Before(c.ExpireAt) || (c.Visit && !p.NewVisit) {
				continue
			}
			s.add(c.Key, 1, c.ExpireAt)
			ps.Charged = append(ps.Charged, c.Key)
		}
		if now.Before(ps.KeepUntil) {
			s.Plans[p.InspectionID] = ps
		}
	}
	return s
}

// RegroupSeed splits what the store holds into visits the agencies can
// make together, in registration order: within each stored joint
// inspection, every plan joins the visit formed from its predecessors whose
// common time it overlaps (the largest overlap, then the earliest visit), or
// makes a new one. The largest visit keeps the stored joint id (the earliest
// on a tie); the others are named after their first plan; a visit of one
// plan is alone. The plan of each visit the seed marks as holding it
// (NewVisit set on exactly one of them: the store's record of who holds
// it) keeps it; otherwise its first plan holds it. The store's record
// counts: the coordinator that decided the plans handed a visit on in the
// order it decided them, which two registrations at once can make other
// than their registration order (a read-only review, 2026-12-04).
//
// Any overlap keeps a stored visit together, not the region's minimum: the
// minimum is for joining (Decide), and a visit that was joined rightly can
// end with less than it once a member leaves (State.Withdraw): a plan that
// joined through a short window's common time shares just that time with the
// others when the short plan is cancelled. Withdraw keeps such a visit, so
// the seed does too. What is split is a joint inspection whose plans cannot
// all be there at once, as the older, transitive rule stored some.
func RegroupSeed(plans []Plan) []Plan {
	out := make([]Plan, len(plans))
	copy(out, plans)
	marked := make([]bool, len(plans))
	for i, p := range plans {
		marked[i] = p.NewVisit
	}
	type visit struct {
		idx        []int
		start, end time.Time
	}
	byJoint := map[string][]*visit{}
	var joints []string
	for i, p := range out {
		if p.JointID == "" {
			continue
		}
		vs, seen := byJoint[p.JointID]
		if !seen {
			joints = append(joints, p.JointID)
		}
		var best *visit
		var bestOverlap time.Duration
		for _, v := range vs {
			if o := overlap(v.start, v.end, p.Start, p.End); o > bestOverlap {
				best, bestOverlap = v, o
			}
		}
		if best == nil {
			byJoint[p.JointID] = append(vs, &visit{idx: []int{i}, start: p.Start, end: p.End})
			continue
		}
		best.idx = append(best.idx, i)
		best.start, best.end = later(best.start, p.Start), earlier(best.end, p.End)
	}
	for i := range out {
		out[i].NewVisit = out[i].JointID == ""
	}
	for _, j := range joints {
		vs := byJoint[j]
		keep := -1
		for k, v := range vs {
			if len(v.idx) > 1 && (keep < 0 || len(v.idx) > len(vs[keep].idx)) {
				keep = k
			}
		}
		for k, v := range vs {
			name := ""
			switch {
			case len(v.idx) == 1:
			case k == keep:
				name = j
			default:
				name = JointIDFor(out[v.idx[0]].InspectionID)
			}
			holder := -1
			for n, i := range v.idx {
				if marked[i] {
					if holder != -1 {
						holder = -2 // more than one: the record does not say
					} else {
						holder = n
					}
				}
			}
			if holder < 0 {
				holder = 0
			}
			for n, i := range v.idx {
				out[i].JointID = name
				out[i].NewVisit = n == holder
			}
		}
	}
	return out
}

func (s *State) newPlanState(p Plan, pol Policy) *PlanState {
	ps := &PlanState{Plan: p, Order: s.order}
	counters := pol.Counters(p, p.Grade)
	// Sized once: a plan is held for up to a year, an append's spare
	// capacity with it.
	visits := 0
	for _, c := range counters {
		if c.Visit {
			visits++
		}
	}
	ps.Charged = make([]string, 0, len(counters))
	ps.VisitKeys = make([]VisitKey, 0, visits)
	for _, c := range counters {
		if c.Visit {
			ps.VisitKeys = append(ps.VisitKeys, VisitKey{Key: c.Key, ExpireAt: c.ExpireAt})
		}
		if c.ExpireAt.After(ps.KeepUntil) {
			ps.KeepUntil = c.ExpireAt
		}
	}
	return ps
}

func (s *State) add(key string, d int, exp time.Time) {
	c := s.Counts[key]
	c.N += d
	if exp.After(c.ExpireAt) {
		c.ExpireAt = exp
	}
	if c.N <= 0 {
		delete(s.Counts, key)
		return
	}
	s.Counts[key] = c
}

func (s *State) count(key string, now time.Time) int {
	c, ok := s.Counts[key]
	if !ok || !now.Before(c.ExpireAt) {
		return 0
	}
	return c.N
}

// prune drops plans none of whose counts can be live any more, and lapsed
// counts.
func (s *State) prune(now time.Time) {
	for id, p := range s.Plans {
		if !now.Before(p.KeepUntil) {
			delete(s.Plans, id)
		}
	}
	for k, c := range s.Counts {
		if !now.Before(c.ExpireAt) {
			delete(s.Counts, k)
		}
	}
}

func overlaps(a, b Plan) bool { return a.Start.Before(b.End) && b.Start.Before(a.End) }

// overlap is how long [s1,e1) and [s2,e2) share (0 if they do not).
func overlap(s1, e1, s2, e2 time.Time) time.Duration {
	d := earlier(e1, e2).Sub(later(s1, s2))
	if d < 0 {
		return 0
	}
	return d
}

// joinNeed is how much of a visit's common time [start, end) plan p must
// overlap to join it: the minimum, or all of the common time or of the plan
// if either is shorter (two agencies' identical 20-minute windows are one
// visit).
func joinNeed(min time.Duration, start, end time.Time, p Plan) time.Duration {
	return minDuration(min, end.Sub(start), p.End.Sub(p.Start))
}

func minDuration(a, b, c time.Duration) time.Duration {
	if b < a {
		a = b
	}
	if c < a {
		a = c
	}
	return a
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

// sameRequest reports whether two plans with one id ask for the same thing.
func sameRequest(a, b Plan) bool {
	return a.AgencyID == b.AgencyID && a.Start.Equal(b.Start) && a.End.Equal(b.End) && a.Exempt == b.Exempt && a.NotInspection == b.NotInspection
}

// group is one visit: a joint inspection's plans, or one plan alone.
type group struct {
	members    []*PlanState
	start, end time.Time // the common time
}

// closed reports whether an agency closed its part of the visit (办结):
// the visit took place, and nobody joins it any more.
func (g *group) closed() bool {
	for _, m := range g.members {
		if m.Closed {
			return true
		}
	}
	return false
}

// groups lists the visits, in the order of their first plans.
func (s *State) groups() []*group {
	var out []*group
	byJoint := map[string]*group{}
	for _, o := range s.sorted() {
		var g *group
		if o.JointID != "" {
			g = byJoint[o.JointID]
		}
		if g == nil {
			g = &group{start: o.Start, end: o.End}
			out = append(out, g)
			if o.JointID != "" {
				byJoint[o.JointID] = g
			}
		}
		g.members = append(g.members, o)
		g.start, g.end = later(g.start, o.Start), earlier(g.end, o.End)
	}
	return out
}

// Decide applies the policy to a new plan and, unless refused, records it.
// A plan with a ConfirmBy is held pending until Confirm; see Expired.
func (s *State) Decide(p Plan, pol Policy, now time.Time) Decision {
	s.prune(now)
	if old, ok := s.Plans[p.InspectionID]; ok {
		if !sameRequest(old.Plan, p) {
			// The same id for another request (a request id reused with
			// other parameters): the first stands, the second is refused.
			return Decision{Outcome: Duplicate, Existing: old.InspectionID, JointID: old.JointID, Version: s.Version}
		}
		// A repeated decision for the same plan (a retry after a lost
		// reply, or a retried request) answers what was decided, and holds
		// a pending plan as long as the retry asks.
		if !old.ConfirmBy.IsZero() && p.ConfirmBy.After(old.ConfirmBy) {
			old.ConfirmBy = p.ConfirmBy
		}
		return s.answer(old)
	}
	// A duplicate overlaps its agency's open plan; a late record also its
	// agency's plan that is over: the same emergency recorded twice (a
	// trial of the calendar, 2026-12-06). A closed plan is over whatever
	// its window says (Plan.Closed).
	for _, o := range s.sorted() {
		if o.AgencyID == p.AgencyID && ((o.End.After(now) && !o.Closed) || p.Late) && overlaps(o.Plan, p) {
			return Decision{Outcome: Duplicate, Existing: o.InspectionID, JointID: o.JointID, Version: s.Version}
		}
	}

	// The visit to join: its common time still to come (so all its plans are
	// open), none of its plans closed (the visit took place) and
	// overlapping this plan by the minimum; the largest overlap wins, then
	// the visit registered first. A visit that is not an inspection joins
	// none and is joined by none: it is always alone.
	min := pol.JointMinimum()
	var best *group
	var bestOverlap time.Duration
	for _, g := range s.groups() {
		if p.NotInspection || g.members[0].NotInspection || !g.end.After(now) || g.closed() {
			continue
		}
		if o := overlap(g.start, g.end, p.Start, p.End); o > 0 && o >= joinNeed(min, g.start, g.end, p) && o > bestOverlap {
			best, bestOverlap = g, o
		}
	}

	newVisit := best == nil
	counters := pol.Counters(p, p.Grade)
	var warnings []Breach
	for _, c := range counters {
		if c.Visit && !newVisit {
			continue
		}
		n := s.count(c.Key, now) + 1
		if c.Cap >= 0 && n > c.Cap {
			return Decision{Outcome: Capped, Cap: &Breach{Rule: c.Rule, Limit: c.Cap, Count: n, Period: c.Period}, Version: s.Version}
		}
		if c.Warn >= 0 && n > c.Warn {
			warnings = append(warnings, Breach{Rule: c.Rule, Limit: c.Warn, Count: n, Period: c.Period})
		}
	}

	s.Version++
	s.order++
	ps := s.newPlanState(p, pol)
	ps.NewVisit = newVisit
	ps.JointID = ""
	for _, c := range counters {
		if c.Visit && !newVisit {
			continue
		}
		s.add(c.Key, 1, c.ExpireAt)
		ps.Charged = append(ps.Charged, c.Key)
	}
	s.Plans[p.InspectionID] = ps
	if newVisit {
		d := s.describe(ps, Accepted)
		d.Warnings = warnings
		return d
	}
	var regrouped []string
	first := best.members[0]
	if first.JointID == "" {
		// A plan alone becomes a joint inspection, named after it.
		first.JointID = JointIDFor(first.InspectionID)
		regrouped = append(regrouped, first.InspectionID)
	}
	ps.JointID = first.JointID
	d := s.describe(ps, Joined)
	d.Regrouped = regrouped
	d.Warnings = warnings
	return d
}

// answer is a repeated decision's answer: what the plan is now.
func (s *State) answer(ps *PlanState) Decision {
	if ps.NewVisit {
		return s.describe(ps, Accepted)
	}
	return s.describe(ps, Joined)
}

// JointIDFor names a joint inspection after its first plan.
func JointIDFor(inspectionID string) string {
	return "JNT-" + strings.TrimPrefix(inspectionID, "INS-")
}

// NamedAfter is the plan a joint inspection's id names (JointIDFor), which
// may have left it since: the id tells whoever reads it that plan's id.
func NamedAfter(jointID string) string {
	return "INS-" + strings.TrimPrefix(jointID, "JNT-")
}

// Withdraw removes a plan (cancelled, released after a failed write, or
// never written). A visit it held passes to the earliest remaining plan of
// its joint inspection, which then carries its own visit counts; a joint
// inspection left with one plan ends, that plan being alone again. The
// common time of what remains can only grow, so it stays one visit, even
// where it is under the region's minimum (a plan joined through a member
// with a short window, which is now gone); RegroupSeed keeps it so too.
func (s *State) Withdraw(id string, now time.Time) Decision {
	s.prune(now)
	p, ok := s.Plans[id]
	if !ok {
		return Decision{Version: s.Version}
	}
	s.Version++
	delete(s.Plans, id)
	for _, k := range p.Charged {
		s.add(k, -1, time.Time{})
	}
	if p.JointID == "" {
		return Decision{Outcome: Accepted, NewVisit: p.NewVisit, Version: s.Version}
	}
	rest := s.members(p.JointID)
	if len(rest) == 0 {
		return Decision{Outcome: Joined, JointID: p.JointID, NewVisit: p.NewVisit, Version: s.Version}
	}
	heir := ""
	if p.NewVisit {
		h := rest[0]
		h.NewVisit, heir = true, h.InspectionID
		for _, c := range h.VisitKeys {
			if now.Before(c.ExpireAt) {
				s.add(c.Key, 1, c.ExpireAt)
				h.Charged = append(h.Charged, c.Key)
			}
		}
	}
	var regrouped []string
	if len(rest) == 1 {
		rest[0].JointID = ""
		regrouped = []string{rest[0].InspectionID}
	}
	d := s.describe(rest[0], Joined)
	if len(rest) == 1 {
		d.Outcome = Accepted
	}
	d.NewVisit, d.Heir, d.Regrouped = p.NewVisit, heir, regrouped
	return d
}

// Release withdraws a plan that is still pending (its store write failed)
// and held no later than heldUntil: the hold of the attempt that failed. A
// retry of the same plan, still writing, has moved the hold later (Decide)
// and keeps it; a confirmed plan is the store's and stays. A zero heldUntil
// releases whatever hold. The decision is Withdraw's, or zero if nothing
// was released.
func (s *State) Release(id string, heldUntil, now time.Time) Decision {
	s.prune(now)
	p, ok := s.Plans[id]
	if !ok || p.ConfirmBy.IsZero() || (!heldUntil.IsZero() && p.ConfirmBy.After(heldUntil)) {
		return Decision{}
	}
	return s.Withdraw(id, now)
}

// Close marks a plan closed (Plan.Closed); its counts stay.
func (s *State) Close(id string) {
	if p, ok := s.Plans[id]; ok {
		p.Closed = true
	}
}

// Confirm marks a pending plan as written to the store.
func (s *State) Confirm(id string) {
	if p, ok := s.Plans[id]; ok {
		p.ConfirmBy = time.Time{}
	}
}

// Pending reports whether a plan is held pending (decided, its store write
// not confirmed): the store does not know it yet, so the state cannot be
// rebuilt from a seed and must not be forgotten (coord/local's eviction).
func (s *State) Pending() bool {
	for _, p := range s.Plans {
		if !p.ConfirmBy.IsZero() {
			return true
		}
	}
	return false
}

// Expired lists the pending plans whose ConfirmBy has passed, in
// registration order: their writes may never have committed, so the store
// must say whether they exist (Settle) before the next decision.
func (s *State) Expired(now time.Time) []string {
	var out []string
	for _, p := range s.sorted() {
		if !p.ConfirmBy.IsZero() && !now.Before(p.ConfirmBy) {
			out = append(out, p.InspectionID)
		}
	}
	return out
}

// Settle applies what the store says of expired pending plans: those it
// holds are confirmed, the others withdrawn if their hold is still over (a
// retry may have renewed it meanwhile); it returns the withdrawals.
func (s *State) Settle(stored, missing []string, now time.Time) []Decision {
	for _, id := range stored {
		s.Confirm(id)
	}
	var out []Decision
	for _, id := range missing {
		if d := s.Release(id, now, now); d.Version > 0 {
			out = append(out, d)
		}
	}
	return out
}

func (s *State) members(joint string) []*PlanState {
	var out []*PlanState
	for _, o := range s.sorted() {
		if o.JointID == joint {
			out = append(out, o)
		}
	}
	return out
}

func (s *State) describe(ps *PlanState, o Outcome) (d Decision) {
	d = Decision{Outcome: o, JointID: ps.JointID, Version: s.Version, NewVisit: ps.NewVisit}
	// Times to the millisecond in the local zone, as coord/redis answers.
	defer func() {
		d.CommonStart, d.CommonEnd = time.UnixMilli(d.CommonStart.UnixMilli()), time.UnixMilli(d.CommonEnd.UnixMilli())
	}()
	if ps.JointID == "" {
		d.Members = []string{ps.InspectionID}
		d.LeadAgency = ps.AgencyID
		d.CommonStart, d.CommonEnd = ps.Start, ps.End
		return d
	}
	for _, m := range s.members(ps.JointID) {
		if d.LeadAgency == "" {
			d.LeadAgency = m.AgencyID
			d.CommonStart, d.CommonEnd = m.Start, m.End
		}
		d.Members = append(d.Members, m.InspectionID)
		d.CommonStart, d.CommonEnd = later(d.CommonStart, m.Start), earlier(d.CommonEnd, m.End)
	}
	return d
}

func (s *State) sorted() []*PlanState {
	out := make([]*PlanState, 0, len(s.Plans))
	for _, p := range s.Plans {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Order < out[j].Order })
	return out
}
