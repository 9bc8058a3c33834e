package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Shares are the parts of the plan set that are meant to go together or go
// wrong. Overlap, Duplicate and Cap are shares of all registration attempts;
// Tampered and WrongEnterprise of all plans (only registered ones get codes
// to show); Evaluate of the plans whose result is recorded.
type Shares struct {
	// Overlap: plans that deliberately overlap another agency's plan for the
	// same enterprise, so that the server merges them (综合查一次).
	Overlap float64 `json:"overlap"`
	// Duplicate: plans by an agency that already has a plan for the same
	// enterprise and window (refused: AlreadyExists).
	Duplicate float64 `json:"duplicate"`
	// Cap: proactive plans meant to go over a frequency cap (refused:
	// ResourceExhausted): a grade A enterprise (no proactive inspection), or
	// the same agency's third visit to one enterprise in the year.
	Cap float64 `json:"cap"`
	// Tampered: one officer's code is shown with one character changed.
	Tampered float64 `json:"tampered"`
	// WrongEnterprise: one officer's code is first shown at another
	// enterprise, which refuses; the officers then go to the right one.
	WrongEnterprise float64 `json:"wrongEnterprise"`
	// Evaluate: completed inspections the enterprise evaluates (评价).
	Evaluate float64 `json:"evaluate"`
}

// DefaultShares are the shares of `ruqi simulate` without flags.
func DefaultShares() Shares {
	return Shares{Overlap: 0.20, Duplicate: 0.02, Cap: 0.04, Tampered: 0.03, WrongEnterprise: 0.03, Evaluate: 0.7}
}

func (s Shares) validate() error {
	for _, v := range []struct {
		name string
		x    float64
	}{{"overlap", s.Overlap}, {"duplicate", s.Duplicate}, {"cap", s.Cap}, {"tampered", s.Tampered}, {"wrong-enterprise", s.WrongEnterprise}, {"evaluate", s.Evaluate}} {
		if v.x < 0 || v.x > 1 || v.x != v.x {
			return fmt.Errorf("比例 %s 应在 0 到 1 之间，收到 %v", v.name, v.x)
		}
	}
	if s.Overlap+s.Duplicate+s.Cap > 1 {
		return fmt.Errorf("重叠、重复与超限比例之和应不超过 1，收到 %.3f", s.Overlap+s.Duplicate+s.Cap)
	}
	if s.Tampered+s.WrongEnterprise > 1 {
		return fmt.Errorf("篡改与错扫比例之和应不超过 1，收到 %.3f", s.Tampered+s.WrongEnterprise)
	}
	return nil
}

// typeShares is the mix of inspection types among plans chosen freely:
// 日常, 双随机, 专项, 个案.
var typeShares = []struct {
	t     ruqiv1.InspectionType
	share float64
}{
	{ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, 0.45},
	{ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, 0.25},
	{ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, 0.15},
	{ruqiv1.InspectionType_INSPECTION_TYPE_CASE, 0.15},
}

// outcomeShares is the mix of per-item results.
var outcomeShares = []struct {
	o     ruqiv1.ItemOutcome
	share float64
}{
	{ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM, 0.70},
	{ruqiv1.ItemOutcome_ITEM_OUTCOME_FIRST_VIOLATION_NO_PENALTY, 0.08},
	{ruqiv1.ItemOutcome_ITEM_OUTCOME_MINOR_NO_PENALTY, 0.07},
	{ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, 0.12},
	{ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED, 0.03},
}

// Intent is what a plan was generated to do.
type Intent uint8

const (
	IntentSolo      Intent = iota // a visit of one agency
	IntentOverlap                 // overlaps another agency's plan: to be merged
	IntentDuplicate               // the same agency again, same window: to be refused
	IntentCapGrade                // proactive, grade A enterprise: over the cap
	IntentCapRepeat               // the agency's third proactive visit this year: over the cap
)

func (i Intent) String() string {
	switch i {
	case IntentSolo:
		return "solo"
	case IntentOverlap:
		return "overlap"
	case IntentDuplicate:
		return "duplicate"
	case IntentCapGrade:
		return "cap-grade"
	case IntentCapRepeat:
		return "cap-repeat"
	}
	return fmt.Sprintf("intent(%d)", uint8(i))
}

// Outcome is what the server answers a registration.
type Outcome uint8

const (
	OutcomeAlone     Outcome = iota // registered as its own visit
	OutcomeJoined                   // registered and merged into a joint inspection
	OutcomeDuplicate                // AlreadyExists
	OutcomeCapped                   // ResourceExhausted
)

// ScanMode is how a plan's codes are shown.
type ScanMode uint8

const (
	ScanValid           ScanMode = iota // every officer's code, at the right enterprise
	ScanTampered                        // one code with one character changed; refused
	ScanWrongEnterprise                 // one code at another enterprise first; refused there
)

// Evaluation is an enterprise's evaluation of one inspection.
type Evaluation struct {
	CertificateShown  bool
	RightsExplained   bool
	ConductedProperly bool
	Overall           int32
}

// Plan is one registration attempt and what follows it.
type Plan struct {
	Seq        int
	Enterprise string
	Agency     string
	// Officers[0] registers the plan and records its result.
	Officers []string
	Items    []string
	Type     ruqiv1.InspectionType
	Trigger  string
	Reason   string
	Intent   Intent
	// Expect is the server's answer under the default policy on a server
	// that has no earlier plans for the enterprise this year.
	Expect Outcome
	Scan   ScanMode
	// Foreign is the enterprise shown the code by mistake (ScanWrongEnterprise).
	Foreign string
	// TamperFromEnd and TamperWith say which character of the code is
	// changed (counted from the end, never the last) and into what.
	TamperFromEnd int
	TamperWith    int
	Outcomes      []ruqiv1.ItemOutcome // one per item
	Evaluate      bool
	Eval          Evaluation
}

// Proactive reports whether the plan is subject to caps (not 个案).
func (p *Plan) Proactive() bool { return p.Type != ruqiv1.InspectionType_INSPECTION_TYPE_CASE }

// Visit is the plans that share one window at one enterprise.
type Visit struct {
	Slot  int // the enterprise's visits in order: 0, 1, …
	Plans []*Plan
}

// Schedule is one enterprise's visits in the period, in order.
type Schedule struct {
	Enterprise string
	Grade      ruqiv1.CreditGrade
	Visits     []*Visit
}

// PlanSet is the plans of a block of enterprises, or of the whole period.
type PlanSet struct {
	Schedules []*Schedule // by first visit
	Plans     []*Plan     // by Seq
}

// Expected counts the outcomes the plan set expects.
func (ps *PlanSet) Expected() Expected {
	var e Expected
	for _, p := range ps.Plans {
		switch p.Expect {
		case OutcomeAlone:
			e.Alone++
		case OutcomeJoined:
			e.Joined++
		case OutcomeDuplicate:
			e.Duplicates++
		case OutcomeCapped:
			e.Capped++
		}
	}
	return e
}

// Expected is the outcome of each registration as the plan set expects it,
// under the default policy on a server without earlier plans this year.
type Expected struct {
	Alone      int `json:"alone"`
	Joined     int `json:"joined"`
	Duplicates int `json:"duplicates"`
	Capped     int `json:"capped"`
}

// PlanOptions says what to generate.
type PlanOptions struct {
	Seed        uint64
	Inspections int
	Shares      Shares
	// ValidAt chooses the officers who take part: those whose certificate
	// is active and still valid then. The plan set depends on it only
	// through that choice.
	ValidAt time.Time
}

// defaultAgencyPerYear is the server's default cap per agency per
// enterprise per year (涟源: 2).
const defaultAgencyPerYear = 2

// maxAgenciesPerVisit bounds a joint inspection's size.
const maxAgenciesPerVisit = 4

type agencyPool struct {
	id       string
	region   string // its division: it inspects the enterprises there (domain.CheckJurisdiction)
	officers []string
	items    []string
}

type visitGen struct {
	ent   int
	plans []*Plan
	// joinable: a visit made by a solo plan, which overlaps and duplicates
	// may be added to.
	joinable bool
}

type generator struct {
	r        *rand.Rand
	o        PlanOptions
	n        int // plans to make in this block
	seq      int // Seq of the block's first plan
	agencies []agencyPool
	byRegion map[string][]int // agencies by their division
	ents     []*ruqiv1.Enterprise
	gradeA   []int
	others   []int
	visits   []*visitGen
	joinable []*visitGen
	byEnt    map[int][]*visitGen
	plans    []*Plan
}

// planStream tells the plan generator's PCG apart from other uses of a seed.
const planStream = 0x72757169_73696d31 // "ruqisim1"

// blockEnterprises bounds the enterprises the generator takes at a time. A
// block's plans are made, handed over and forgotten before the next block's,
// so a province's year (a million plans) is never held whole. Every intent
// (overlap, duplicate, cap probe) is between plans of one enterprise, so
// blocks change only which random numbers fall where; a directory of up to
// a block is one block, as before blocks existed.
const blockEnterprises = 20000

// Generate makes the whole plan set at once: the same directory and options
// give the same plans, in the same order. It holds every plan; Run uses
// GenerateBlocks.
func Generate(dir *ruqiv1.Directory, o PlanOptions) (*PlanSet, error) {
	all := &PlanSet{}
	err := GenerateBlocks(dir, EnterprisesOf(dir), o, func(ps *PlanSet) error {
		all.Schedules = append(all.Schedules, ps.Schedules...)
		all.Plans = append(all.Plans, ps.Plans...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// Enterprises gives a directory's N enterprises a range at a time, so that
// the simulator need not hold a province's directory (sample.EnterpriseRange).
type Enterprises struct {
	N     int
	Range func(lo, hi int) []*ruqiv1.Enterprise
}

// EnterprisesOf gives the enterprises of a directory held whole.
func EnterprisesOf(dir *ruqiv1.Directory) Enterprises {
	ents := dir.GetEnterprises()
	return Enterprises{N: len(ents), Range: func(lo, hi int) []*ruqiv1.Enterprise { return ents[lo:hi] }}
}

// GenerateBlocks makes the plan set block by block of enterprises and hands
// each block's plans to fn, in order; an error from fn stops it. dir gives
// the agencies, officers and items, ents the enterprises. The plans are
// those of Generate, Seq counting across blocks; the number of plans of a
// block is its share of the enterprises.
func GenerateBlocks(dir *ruqiv1.Directory, ents Enterprises, o PlanOptions, fn func(*PlanSet) error) error {
	if o.Inspections < 1 {
		return errors.New("检查次数应至少为 1")
	}
	if err := o.Shares.validate(); err != nil {
		return err
	}
	agencies := agencyPools(dir, o.ValidAt)
	if len(agencies) == 0 {
		return errors.New("名录中没有可用的执法部门：每个部门须有至少 2 名执法证有效的执法人员和至少 1 项在用的检查事项")
	}
	if len(agencies) < 2 && o.Shares.Overlap > 0 {
		return errors.New("联合检查需要至少 2 个可用的执法部门")
	}
	if ents.N == 0 {
		return errors.New("名录中没有企业")
	}
	// Blocks of equal size (at least half a block each), and plans in
	// proportion: the totals are exact.
	blocks := (ents.N + blockEnterprises - 1) / blockEnterprises
	seq := 0
	for b := range blocks {
		lo, hi := b*ents.N/blocks, (b+1)*ents.N/blocks
		n := o.Inspections*hi/ents.N - o.Inspections*lo/ents.N
		if n == 0 {
			continue
		}
		g := &generator{r: rand.New(rand.NewPCG(o.Seed, planStream+uint64(b))), o: o, n: n, seq: seq,
			agencies: agencies, ents: ents.Range(lo, hi), byEnt: map[int][]*visitGen{}}
		ps, err := g.run()
		if err != nil {
			return err
		}
		seq += n
		if err := fn(ps); err != nil {
			return err
		}
	}
	return nil
}

// run makes the block's n plans.
func (g *generator) run() (*PlanSet, error) {
	for i, e := range g.ents {
		if e.GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_A {
			g.gradeA = append(g.gradeA, i)
		} else {
			g.others = append(g.others, i)
		}
	}
	if len(g.others) == 0 {
		// In a block of 10,000 or more, only a directory without them.
		return nil, errors.New("名录中没有信用等级 A 以外的企业，无法安排日常检查")
	}
	g.byRegion = map[string][]int{}
	for i, a := range g.agencies {
		g.byRegion[a.region] = append(g.byRegion[a.region], i)
	}
	for idle := 0; len(g.plans) < g.n; {
		if idle > 10000 {
			return nil, errors.New("名录中执法部门的管辖区域几乎不含任何企业，无法安排检查")
		}
		before := len(g.plans)
		s := g.o.Shares
		u := g.r.Float64()
		switch {
		case u < s.Overlap:
			g.overlap()
		case u < s.Overlap+s.Duplicate:
			g.duplicate()
		case u < s.Overlap+s.Duplicate+s.Cap:
			g.capProbe()
		default:
			g.solo()
		}
		if len(g.plans) == before {
			idle++
		} else {
			idle = 0
		}
	}
	return g.finish(), nil
}

// drawType draws an inspection type from typeShares.
func (g *generator) drawType() ruqiv1.InspectionType {
	u := g.r.Float64()
	for _, t := range typeShares {
		if u < t.share {
			return t.t
		}
		u -= t.share
	}
	return typeShares[len(typeShares)-1].t
}

func (g *generator) drawProactiveType() ruqiv1.InspectionType {
	for {
		if t := g.drawType(); t != ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
			return t
		}
	}
}

// newPlan fills in everything about a plan but its place: officers, items,
// reason, how its codes are shown, its results and its evaluation.
func (g *generator) newPlan(ent int, a *agencyPool, t ruqiv1.InspectionType, intent Intent) *Plan {
	r := g.r
	p := &Plan{
		Seq:        g.seq + len(g.plans),
		Enterprise: g.ents[ent].GetUscc(),
		Agency:     a.id,
		Type:       t,
		Intent:     intent,
	}
	nOff := 2
	if len(a.officers) > 2 && r.Float64() < 0.2 {
		nOff = 3
	}
	p.Officers = pick(r, a.officers, nOff)
	p.Items = pick(r, a.items, 1+r.IntN(min(3, len(a.items))))
	p.Reason, p.Trigger = reasonFor(t, p.Seq, r)

	u := r.Float64()
	switch {
	case u < g.o.Shares.Tampered:
		p.Scan = ScanTampered
	case u < g.o.Shares.Tampered+g.o.Shares.WrongEnterprise && len(g.ents) > 1:
		p.Scan = ScanWrongEnterprise
		f := r.IntN(len(g.ents) - 1)
		if f >= ent {
			f++
		}
		p.Foreign = g.ents[f].GetUscc()
	}
	p.TamperFromEnd = 1 + r.IntN(20)
	p.TamperWith = r.IntN(32)

	p.Outcomes = make([]ruqiv1.ItemOutcome, len(p.Items))
	for i := range p.Outcomes {
		u := r.Float64()
		p.Outcomes[i] = outcomeShares[len(outcomeShares)-1].o
		for _, o := range outcomeShares {
			if u < o.share {
				p.Outcomes[i] = o.o
				break
			}
			u -= o.share
		}
	}
	p.Evaluate = r.Float64() < g.o.Shares.Evaluate
	p.Eval = Evaluation{
		CertificateShown:  r.Float64() < 0.97,
		RightsExplained:   r.Float64() < 0.93,
		ConductedProperly: r.Float64() < 0.95,
	}
	switch u := r.Float64(); {
	case u < 0.55:
		p.Eval.Overall = 5
	case u < 0.85:
		p.Eval.Overall = 4
	case u < 0.95:
		p.Eval.Overall = 3
	case u < 0.98:
		p.Eval.Overall = 2
	default:
		p.Eval.Overall = 1
	}
	g.plans = append(g.plans, p)
	return p
}

// agencyPools lists the agencies that can inspect: at least two officers
// whose certificates are active and valid at t, and one current item.
func agencyPools(dir *ruqiv1.Directory, t time.Time) []agencyPool {
	officersOf := map[string][]string{}
	for _, of := range dir.GetOfficers() {
		if domain.CertificateValid(of, t) {
			officersOf[of.GetAgencyId()] = append(officersOf[of.GetAgencyId()], of.GetId())
		}
	}
	itemsOf := map[string][]string{}
	for _, it := range dir.GetCheckItems() {
		if !it.GetRetired() {
			itemsOf[it.GetAgencyId()] = append(itemsOf[it.GetAgencyId()], it.GetId())
		}
	}
	var out []agencyPool
	for _, a := range dir.GetAgencies() {
		if len(officersOf[a.GetId()]) >= 2 && len(itemsOf[a.GetId()]) >= 1 {
			out = append(out, agencyPool{id: a.GetId(), region: a.GetRegionCode(), officers: officersOf[a.GetId()], items: itemsOf[a.GetId()]})
		}
	}
	return out
}

// pick draws n distinct elements of xs (a partial Fisher–Yates shuffle of a
// copy of the indexes).
func pick(r *rand.Rand, xs []string, n int) []string {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	out := make([]string, n)
	for i := 0; i < n; i++ {
		j := i + r.IntN(len(idx)-i)
		idx[i], idx[j] = idx[j], idx[i]
		out[i] = xs[idx[i]]
	}
	return out
}

var triggerKinds = []string{"投诉举报", "转办交办", "事故调查", "整改复查"}

func reasonFor(t ruqiv1.InspectionType, seq int, r *rand.Rand) (reason, trigger string) {
	switch t {
	case ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE:
		return "年度日常监督检查（模拟）", ""
	case ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM:
		return "双随机、一公开抽查（模拟）", ""
	case ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL:
		return "专项整治检查（模拟）", ""
	}
	kind := triggerKinds[r.IntN(len(triggerKinds))]
	return "个案检查：" + kind + "核查（模拟）", fmt.Sprintf("%s-SIM-%06d", kind, seq+1)
}

func (g *generator) newVisit(ent int, joinable bool) *visitGen {
	v := &visitGen{ent: ent, joinable: joinable}
	g.visits = append(g.visits, v)
	g.byEnt[ent] = append(g.byEnt[ent], v)
	if joinable {
		g.joinable = append(g.joinable, v)
	}
	return v
}

// agencyFor draws one of the agencies whose territory holds enterprise ent
// (属地管辖), nil if none does.
func (g *generator) agencyFor(ent int) *agencyPool {
	return g.pickCovering(ent, nil)
}

// pickCovering draws an agency whose territory holds enterprise ent and
// that is not in taken, nil if there is none.
func (g *generator) pickCovering(ent int, taken map[string]bool) *agencyPool {
	region := g.ents[ent].GetRegionCode()
	var n int
	var chosen *agencyPool
	// The agencies of the enterprise's county, city and province (a
	// province's thousands of agencies are not all read for every plan),
	// drawn by reservoir sampling.
	for _, at := range territories(region) {
		for _, i := range g.byRegion[at] {
			a := &g.agencies[i]
			if taken[a.id] || !domain.RegionCovers(a.region, region) {
				continue
			}
			n++
			if g.r.IntN(n) == 0 {
				chosen = a
			}
		}
	}
	return chosen
}

// territories are the divisions whose agencies may hold a region: the
// region itself, its city and its province (division codes go in pairs
// of digits).
func territories(region string) []string {
	if len(region) != 6 {
		return []string{region}
	}
	out := []string{region}
	for _, t := range []string{region[:4] + "00", region[:2] + "0000"} {
		if t != out[len(out)-1] {
			out = append(out, t)
		}
	}
	return out
}

// solo is a plan of its own: any enterprise for a 个案 check, any but grade A
// for a proactive one (agencies know the grade policy).
func (g *generator) solo() {
	t := g.drawType()
	var ent int
	if t == ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
		ent = g.r.IntN(len(g.ents))
	} else {
		ent = g.others[g.r.IntN(len(g.others))]
	}
	a := g.agencyFor(ent)
	if a == nil {
		return // no agency inspects there: the block makes another plan
	}
	v := g.newVisit(ent, true)
	v.plans = append(v.plans, g.newPlan(ent, a, t, IntentSolo))
}

// overlap adds another agency's plan to an earlier visit, in its window.
func (g *generator) overlap() {
	for try := 0; try < 8 && len(g.joinable) > 0; try++ {
		v := g.joinable[g.r.IntN(len(g.joinable))]
		if len(v.plans) >= maxAgenciesPerVisit {
			continue
		}
		in := map[string]bool{}
		for _, p := range v.plans {
			in[p.Agency] = true
		}
		a := g.pickCovering(v.ent, in)
		if a == nil {
			continue
		}
		t := g.drawType()
		if g.ents[v.ent].GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_A {
			t = ruqiv1.InspectionType_INSPECTION_TYPE_CASE
		}
		v.plans = append(v.plans, g.newPlan(v.ent, a, t, IntentOverlap))
		return
	}
	g.solo()
}

// duplicate repeats an agency's plan of an earlier visit, in its window.
func (g *generator) duplicate() {
	if len(g.joinable) == 0 {
		g.solo()
		return
	}
	v := g.joinable[g.r.IntN(len(g.joinable))]
	first := v.plans[g.r.IntN(len(v.plans))]
	var a *agencyPool
	for i := range g.agencies {
		if g.agencies[i].id == first.Agency {
			a = &g.agencies[i]
		}
	}
	v.plans = append(v.plans, g.newPlan(v.ent, a, first.Type, IntentDuplicate))
}

// capProbe is a proactive plan over a cap: half the time a grade A
// enterprise, half the time an agency's third visit to one enterprise this
// year (with the second visit added first where there was none).
func (g *generator) capProbe() {
	if len(g.gradeA) > 0 && (g.r.IntN(2) == 0 || len(g.joinable) == 0) {
		ent := g.gradeA[g.r.IntN(len(g.gradeA))]
		if a := g.agencyFor(ent); a != nil {
			v := g.newVisit(ent, false)
			v.plans = append(v.plans, g.newPlan(ent, a, g.drawProactiveType(), IntentCapGrade))
			return
		}
	}
	if len(g.joinable) == 0 {
		g.solo()
		return
	}
	v := g.joinable[g.r.IntN(len(g.joinable))]
	var base *Plan
	for _, p := range v.plans {
		if p.Intent != IntentDuplicate && p.Proactive() {
			base = p
			break
		}
	}
	if base == nil {
		g.solo()
		return
	}
	var a *agencyPool
	for i := range g.agencies {
		if g.agencies[i].id == base.Agency {
			a = &g.agencies[i]
		}
	}
	// Proactive plans of this agency at this enterprise so far.
	n := 0
	for _, w := range g.byEnt[v.ent] {
		for _, p := range w.plans {
			if p.Agency == a.id && p.Proactive() && (p.Intent == IntentSolo || p.Intent == IntentOverlap) {
				n++
			}
		}
	}
	for ; n < defaultAgencyPerYear && len(g.plans) < g.n-1; n++ {
		w := g.newVisit(v.ent, false)
		w.plans = append(w.plans, g.newPlan(v.ent, a, g.drawProactiveType(), IntentSolo))
	}
	w := g.newVisit(v.ent, false)
	w.plans = append(w.plans, g.newPlan(v.ent, a, g.drawProactiveType(), IntentCapRepeat))
}

// finish orders each enterprise's visits as they were made and works out
// what the server will answer each plan under the default policy.
func (g *generator) finish() *PlanSet {
	ps := &PlanSet{Plans: g.plans}
	sched := map[int]*Schedule{}
	for _, v := range g.visits {
		s := sched[v.ent]
		if s == nil {
			e := g.ents[v.ent]
			s = &Schedule{Enterprise: e.GetUscc(), Grade: e.GetCreditGrade()}
			sched[v.ent] = s
			ps.Schedules = append(ps.Schedules, s)
		}
		s.Visits = append(s.Visits, &Visit{Slot: len(s.Visits), Plans: v.plans})
	}
	for _, s := range ps.Schedules {
		expect(s)
	}
	return ps
}

// expect sets each plan's Expect by the server's rules (coord.State) under
// the default policy: a plan overlapping its own agency's registered plan is
// a duplicate; a proactive plan of a grade A enterprise, or an agency's third
// proactive plan of the year at one enterprise, is capped; a plan
// overlapping another agency's registered plan joins it.
func expect(s *Schedule) {
	perAgency := map[string]int{}
	for _, v := range s.Visits {
		in := map[string]bool{}
		for _, p := range v.Plans {
			switch {
			case in[p.Agency]:
				p.Expect = OutcomeDuplicate
			case p.Proactive() && s.Grade == ruqiv1.CreditGrade_CREDIT_GRADE_A:
				p.Expect = OutcomeCapped
			case p.Proactive() && perAgency[p.Agency] >= defaultAgencyPerYear:
				p.Expect = OutcomeCapped
			default:
				p.Expect = OutcomeAlone
				if len(in) > 0 {
					p.Expect = OutcomeJoined
				}
				in[p.Agency] = true
				if p.Proactive() {
					perAgency[p.Agency]++
				}
			}
		}
	}
}

// base32Alphabet is the alphabet of code tokens (RFC 4648, upper case).
const base32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// Tamper changes one character of a code (a token or the QR's URL) into
// another character of the token alphabet: the character fromEnd places
// before the last one, which lies in the signature.
func Tamper(code string, fromEnd, with int) string {
	i := len(code) - 1 - fromEnd
	if i < 0 || fromEnd < 1 {
		return code + "A"
	}
	c := base32Alphabet[with%len(base32Alphabet)]
	if c == code[i] {
		c = base32Alphabet[(with+1)%len(base32Alphabet)]
	}
	return code[:i] + string(c) + code[i+1:]
}
