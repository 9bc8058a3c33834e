package coord

import (
	"sort"
	"strings"
	"time"
)

// State is one enterprise's coordinator state. It is the reference
// semantics: coord/local runs it as is, and coord/redis's Lua scripts do the
// same steps on Redis keys (the conformance suite holds them to it).
type State struct {
	Version int64
	order   int64
	Plans   map[string]*PlanState
	Counts  map[string]Count
}

// PlanState is an open plan as the coordinator holds it.
type PlanState struct {
	Plan
	Order   int64
	Charged []string // counter keys it added one to
}

// Count is a calendar period's count and when it lapses.
type Count struct {
	N        int
	ExpireAt time.Time
}

// NewState rebuilds an enterprise's state from the store's seed under pol.
func NewState(seed Seed, pol Policy, now time.Time) *State {
	s := &State{Version: seed.Version, Plans: map[string]*PlanState{}, Counts: map[string]Count{}}
	for _, p := range seed.Plans {
		s.order++
		ps := &PlanState{Plan: p, Order: s.order}
		for _, c := range pol.Counters(p, p.Grade) {
			if !now.Before(c.ExpireAt) || (c.Visit && !p.NewVisit) {
				continue
			}
			s.add(c.Key, 1, c.ExpireAt)
			ps.Charged = append(ps.Charged, c.Key)
		}
		if p.End.After(now) {
			s.Plans[p.InspectionID] = ps
		}
	}
	return s
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

// prune drops plans whose window has ended: they can no longer be joined.
// Their counts stay until the period lapses.
func (s *State) prune(now time.Time) {
	for id, p := range s.Plans {
		if !p.End.After(now) {
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

// Decide applies the policy to a new plan and, unless refused, records it.
func (s *State) Decide(p Plan, pol Policy, now time.Time) Decision {
	s.prune(now)
	if old, ok := s.Plans[p.InspectionID]; ok {
		// A repeated decision for the same plan (a retry after a lost reply)
		// answers what was decided.
		if old.JointID != "" {
			return s.describe(old, Joined)
		}
		return s.describe(old, Accepted)
	}
	var dup *PlanState
	var touching []*PlanState
	for _, o := range s.sorted() {
		if !overlaps(o.Plan, p) {
			continue
		}
		if o.AgencyID == p.AgencyID {
			if dup == nil {
				dup = o
			}
			continue
		}
		touching = append(touching, o)
	}
	if dup != nil {
		return Decision{Outcome: Duplicate, Existing: dup.InspectionID, JointID: dup.JointID, Version: s.Version}
	}

	newVisit := len(touching) == 0
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
	ps := &PlanState{Plan: p, Order: s.order}
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

	// Join: every plan this one touches, with everything already grouped
	// with them, becomes one joint inspection. Its id is the smallest
	// existing joint id among them, or one made from the earliest plan.
	groups := map[string]bool{}
	target := ""
	for _, o := range touching {
		if o.JointID != "" {
			groups[o.JointID] = true
			if target == "" || o.JointID < target {
				target = o.JointID
			}
		}
	}
	if target == "" {
		target = JointIDFor(touching[0].InspectionID)
	}
	var regrouped []string
	merged := 0
	visitHolder := (*PlanState)(nil)
	for _, o := range s.sorted() {
		member := o == ps || contains(touching, o) || (o.JointID != "" && groups[o.JointID])
		if !member {
			continue
		}
		if o != ps && o.JointID != target {
			regrouped = append(regrouped, o.InspectionID)
		}
		o.JointID = target
		if o.NewVisit {
			if visitHolder == nil {
				visitHolder = o
			} else {
				// Two visits bridged into one: the later one is a visit
				// avoided after all.
				s.dropVisit(o)
				merged++
			}
		}
	}
	d := s.describe(ps, Joined)
	d.Regrouped = regrouped
	d.VisitsMerged = merged
	d.Warnings = warnings
	return d
}

// dropVisit takes back the visit counts a plan made.
func (s *State) dropVisit(o *PlanState) {
	var kept []string
	for _, k := range o.Charged {
		if strings.HasPrefix(k, "v:") {
			s.add(k, -1, time.Time{})
			continue
		}
		kept = append(kept, k)
	}
	o.Charged, o.NewVisit = kept, false
}

// JointIDFor names a joint inspection after its first plan.
func JointIDFor(inspectionID string) string {
	return "JNT-" + strings.TrimPrefix(inspectionID, "INS-")
}

// Withdraw removes a plan (cancelled, or released after a failed write).
func (s *State) Withdraw(id string, now time.Time) Decision {
	s.prune(now)
	p, ok := s.Plans[id]
	if !ok {
		return Decision{Version: s.Version}
	}
	s.Version++
	delete(s.Plans, id)
	var visitKeys []string
	for _, k := range p.Charged {
		if strings.HasPrefix(k, "v:") && p.JointID != "" {
			visitKeys = append(visitKeys, k)
			continue
		}
		s.add(k, -1, time.Time{})
	}
	if p.JointID == "" {
		return Decision{Outcome: Accepted, Version: s.Version}
	}
	members := s.members(p.JointID)
	if len(members) == 0 {
		for _, k := range visitKeys {
			s.add(k, -1, time.Time{})
		}
		return Decision{Outcome: Joined, JointID: p.JointID, Version: s.Version}
	}
	if p.NewVisit {
		// The visit goes on with the others: its counts pass to the
		// earliest remaining member.
		members[0].NewVisit = true
		members[0].Charged = append(members[0].Charged, visitKeys...)
	}
	d := s.describe(members[0], Joined)
	return d
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

func (s *State) describe(ps *PlanState, o Outcome) Decision {
	d := Decision{Outcome: o, JointID: ps.JointID, Version: s.Version}
	if ps.JointID == "" {
		d.Members = []string{ps.InspectionID}
		d.LeadAgency = ps.AgencyID
		return d
	}
	for _, m := range s.members(ps.JointID) {
		if d.LeadAgency == "" {
			d.LeadAgency = m.AgencyID
		}
		d.Members = append(d.Members, m.InspectionID)
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

func contains(list []*PlanState, p *PlanState) bool {
	for _, x := range list {
		if x == p {
			return true
		}
	}
	return false
}
