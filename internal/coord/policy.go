package coord

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Policy is one region's frequency policy (无事不扰). A nil cap is no cap;
// a cap of 0 allows none (衡阳: grade A, no proactive inspection in a year).
// Periods are calendar periods in Zone: a year is 1 January to 31
// December local time, never 365 days.
type Policy struct {
	Region string
	Zone   *time.Location
	// AgencyPerYear caps one agency's proactive inspections of one
	// enterprise per calendar year (涟源: 2).
	AgencyPerYear *int
	// VisitsPerYear caps the visits of all agencies together to one
	// enterprise per calendar year; a plan that joins a visit adds none.
	VisitsPerYear *int
	// ProactivePerYearByGrade caps all agencies' proactive inspections of an
	// enterprise per year by its credit grade ("A".."D").
	ProactivePerYearByGrade map[string]int
	// WarnVisitsPerDay/Week/Month: a visit beyond these is registered and
	// warned about (成都: 1 / 2 / 3). Weeks start on Monday.
	WarnVisitsPerDay, WarnVisitsPerWeek, WarnVisitsPerMonth *int
	// EntriesPerYear caps every entry into an enterprise per calendar year,
	// inspections and visits that are not inspections (日常巡查, 政策宣传,
	// 走访调研, 服务) together; a plan that joins a visit adds none.
	EntriesPerYear *int
	// WarnEntriesPerDay/Week/Month: an entry of any kind beyond these is
	// registered and warned about, separately from the inspections' own
	// warnings.
	WarnEntriesPerDay, WarnEntriesPerWeek, WarnEntriesPerMonth *int
	// NoticeDays is how many days before its window an enterprise is shown
	// a registered visit (检查预告); UnannouncedTypes are the inspection
	// types it is shown only once their window begins (e.g. 双随机, 个案).
	// See domain.Notice, the rule.
	NoticeDays       int
	UnannouncedTypes []string
	// JointMinutes is the shortest common time of a joint inspection, in
	// minutes: a plan joins a visit only if it overlaps the visit's common
	// time by that much. Zero: DefaultJointMinutes.
	JointMinutes int
	// FullUseFrom starts full use (全面推行) of 扫码入企 in the region; before
	// it, in the trial phase (试运行), a refusal is recorded as advisory.
	// Zero: full use.
	FullUseFrom time.Time
	// MutualMinutes is the interval within which the officer's arrival and
	// the enterprise's check-in make 两码互核 (重庆). Zero:
	// DefaultMutualMinutes.
	MutualMinutes int
	// RequireMutual: the region requires 两码互核, so a check-in without the
	// officer's arrival is warned about.
	RequireMutual bool
	// ArrivalToleranceMinutes is how far outside the registered window an
	// arrival may be before the 司法局 is warned. Zero:
	// DefaultArrivalToleranceMinutes.
	ArrivalToleranceMinutes int
	// VisitMinutes is how long one check-in is taken to hold an officer at
	// an enterprise: two check-ins of one officer at different enterprises
	// closer than that overlap. Zero: DefaultVisitMinutes.
	VisitMinutes int
	// PlanPublishDays is how many days after its approval a special-campaign
	// inspection plan (专项检查计划) must be published (上海, 2026: within a
	// month). Zero: domain.DefaultPublishDays.
	PlanPublishDays int
}

// DefaultVisitMinutes: no officer checks in at two enterprises within half
// an hour of each other.
const DefaultVisitMinutes = 30

// VisitSpan is how long a check-in holds an officer at an enterprise.
func (pol Policy) VisitSpan() time.Duration {
	if pol.VisitMinutes <= 0 {
		return DefaultVisitMinutes * time.Minute
	}
	return time.Duration(pol.VisitMinutes) * time.Minute
}

// DefaultMutualMinutes: arrival and check-in within a quarter of an hour of
// each other are one officer at the door.
const DefaultMutualMinutes = 15

// DefaultArrivalToleranceMinutes: arriving two hours early or late is not
// yet suspicious.
const DefaultArrivalToleranceMinutes = 120

// MutualInterval is the interval of 两码互核.
func (pol Policy) MutualInterval() time.Duration {
	if pol.MutualMinutes <= 0 {
		return DefaultMutualMinutes * time.Minute
	}
	return time.Duration(pol.MutualMinutes) * time.Minute
}

// ArrivalTolerance is how far outside its window an arrival may be.
func (pol Policy) ArrivalTolerance() time.Duration {
	if pol.ArrivalToleranceMinutes <= 0 {
		return DefaultArrivalToleranceMinutes * time.Minute
	}
	return time.Duration(pol.ArrivalToleranceMinutes) * time.Minute
}

// DefaultNoticeDays is how long before its window a visit is announced
// unless the region's policy says otherwise.
const DefaultNoticeDays = 3

// InspectionTypeNames are the inspection types as the policy file names
// them.
var InspectionTypeNames = []string{"routine", "random", "special", "case"}

// DefaultUnannouncedTypes: random sampling (双随机) and case-triggered (个案)
// checks are not announced; the enterprise sees them when they begin.
var DefaultUnannouncedTypes = []string{"random", "case"}

// DefaultJointMinutes is the common time a joint inspection needs unless the
// region's policy says otherwise: half an hour, enough for several agencies
// to be at the enterprise together.
const DefaultJointMinutes = 30

// JointMinimum is the shortest common time of a joint inspection.
func (pol Policy) JointMinimum() time.Duration {
	if pol.JointMinutes <= 0 {
		return DefaultJointMinutes * time.Minute
	}
	return time.Duration(pol.JointMinutes) * time.Minute
}

// Trial reports whether t falls in the region's trial phase.
func (pol Policy) Trial(t time.Time) bool {
	return !pol.FullUseFrom.IsZero() && t.Before(pol.FullUseFrom)
}

// PolicyFile is the configuration: a default and per-region policies, the
// most specific region (longest matching division-code prefix) winning.
type PolicyFile struct {
	Default PolicyConfig            `json:"default"`
	Regions map[string]PolicyConfig `json:"regions"`
	// Calendar is the year's holiday arrangement, for the days 拼团
	// matching proposes.
	Calendar CalendarConfig `json:"calendar,omitempty"`
}

// CalendarConfig is the holiday arrangement the State Council publishes
// each year (国务院办公厅关于部分节假日安排的通知), as dates "2027-02-06" in
// Beijing time: Holidays besides those fixed by date (domain.FixedHoliday:
// 春节, 清明, 端午, 中秋, and the days off in lieu), and Workdays, the weekend
// days made working days (调休).
type CalendarConfig struct {
	Holidays []string `json:"holidays,omitempty"`
	Workdays []string `json:"workdays,omitempty"`
}

// PolicyConfig is a policy as written in the file.
type PolicyConfig struct {
	TimeZone                string         `json:"time_zone,omitempty"`
	AgencyPerYear           *int           `json:"agency_per_year,omitempty"`
	VisitsPerYear           *int           `json:"visits_per_year,omitempty"`
	ProactivePerYearByGrade map[string]int `json:"proactive_per_year_by_grade,omitempty"`
	WarnVisitsPerDay        *int           `json:"warn_visits_per_day,omitempty"`
	WarnVisitsPerWeek       *int           `json:"warn_visits_per_week,omitempty"`
	WarnVisitsPerMonth      *int           `json:"warn_visits_per_month,omitempty"`
	// EntriesPerYear and WarnEntriesPer* count every entry, inspection or
	// not (日常巡查, 政策宣传, 走访调研, 服务).
	EntriesPerYear      *int `json:"entries_per_year,omitempty"`
	WarnEntriesPerDay   *int `json:"warn_entries_per_day,omitempty"`
	WarnEntriesPerWeek  *int `json:"warn_entries_per_week,omitempty"`
	WarnEntriesPerMonth *int `json:"warn_entries_per_month,omitempty"`
	// NoticeDays (0–90, default 3) is how long before its window an
	// enterprise sees a visit coming (检查预告).
	NoticeDays *int `json:"notice_days,omitempty"`
	// UnannouncedTypes are the inspection types announced only when their
	// window begins: "routine", "random", "special", "case" (default
	// random and case).
	UnannouncedTypes []string `json:"unannounced_types,omitempty"`
	// JointMinutes is the shortest common time of a joint inspection
	// (default 30).
	JointMinutes *int `json:"joint_minutes,omitempty"`
	// FullUseFrom is a date, "2026-04-01" (四川 天府入企码: trial from
	// 2025-09-01, full use from 2026-04-01), midnight in the region's zone.
	FullUseFrom string `json:"full_use_from,omitempty"`
	// MutualMinutes is the interval of 两码互核 (default 15, 1–1440).
	MutualMinutes *int `json:"mutual_minutes,omitempty"`
	// RequireMutual makes a check-in without the officer's arrival a
	// warning for the 司法局.
	RequireMutual *bool `json:"require_mutual,omitempty"`
	// ArrivalToleranceMinutes (default 120, 1–10080): an arrival further
	// outside the window is a warning.
	ArrivalToleranceMinutes *int `json:"arrival_tolerance_minutes,omitempty"`
	// VisitMinutes (default 30, 1–1440): one officer's check-ins at two
	// enterprises closer than this overlap, a warning.
	VisitMinutes *int `json:"visit_minutes,omitempty"`
	// PlanPublishDays is how many days after approval a special-campaign
	// plan must be published (default 30).
	PlanPublishDays *int `json:"plan_publish_days,omitempty"`
}

// Policies resolves an enterprise's region to its policy.
type Policies struct {
	def     Policy
	regions map[string]Policy
	order   []string // region prefixes, longest first
	// holidays and workdays are the calendar's dates ("2006-01-02").
	holidays, workdays map[string]bool
}

// Workday reports whether day (its date in Beijing time) is a working day:
// a weekend day the calendar makes a working day (调休) is one, a holiday it
// lists is not, and otherwise domain.Workday decides.
func (p *Policies) Workday(day time.Time) bool {
	key := day.In(domain.Shanghai).Format(time.DateOnly)
	if p.workdays[key] {
		return true
	}
	return !p.holidays[key] && domain.Workday(day)
}

// Digest identifies what the policies decide: equal for the same caps,
// warnings, zones and rules per region, whatever file or order gave them.
// Replicas that decide on different policies would count one enterprise by
// two rules, and a cap breaks (inspection.CheckPolicy). It is in [1, 2^62):
// the store keeps it as a count, published as the difference from the one
// before, which must not overflow (a review, 2026-12-05: on PostgreSQL a
// wrapped difference broke every registration and the sequencer's folding).
func (p *Policies) Digest() int64 {
	h := sha256.New()
	add := func(pol Policy) {
		// A set, however the file listed it (a review, 2026-12-05).
		pol.UnannouncedTypes = slices.Compact(slices.Sorted(slices.Values(pol.UnannouncedTypes)))
		b, err := json.Marshal(pol)
		if err != nil {
			panic(err) // plain values only
		}
		h.Write(b)
		h.Write([]byte(pol.Zone.String()))
		h.Write([]byte{0})
	}
	add(p.def)
	for _, prefix := range p.order { // sorted: longest first, then by prefix
		h.Write([]byte(prefix))
		add(p.regions[prefix])
	}
	d := int64(binary.BigEndian.Uint64(h.Sum(nil)) >> 2)
	if d == 0 {
		d = 1
	}
	return d
}

// LoadPolicies reads a policy file; an empty path gives DefaultPolicies.
func LoadPolicies(path string) (*Policies, error) {
	if path == "" {
		return DefaultPolicies(), nil
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("policy file: %w", err)
	}
	var f PolicyFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("policy file %s: %w", path, err)
	}
	return NewPolicies(f)
}

// NewPolicies builds the resolver. Each region inherits what it leaves unset
// from the nearest region above it in the file (a county from its city, a
// city from its province), and the top ones from the default: a city that
// sets its own warnings stays in its province's rollout phase (a trial of
// the calendar, 2026-12-06: 成都 left 四川's trial phase that way).
func NewPolicies(f PolicyFile) (*Policies, error) {
	def, err := f.Default.policy("", nil)
	if err != nil {
		return nil, fmt.Errorf("default policy: %w", err)
	}
	p := &Policies{def: def, regions: map[string]Policy{}}
	if p.holidays, p.workdays, err = f.Calendar.dates(); err != nil {
		return nil, fmt.Errorf("calendar: %w", err)
	}
	regions := make([]string, 0, len(f.Regions))
	for region := range f.Regions {
		// domain's rule, the directory's: "999999" or "510004" was taken,
		// a policy for a region no enterprise can be in (a review,
		// 2026-12-07).
		if err := domain.ValidateRegion(region); err != nil {
			return nil, fmt.Errorf("region %q: %w", region, err)
		}
		regions = append(regions, region)
	}
	// Provinces before their cities, cities before their counties: a
	// region's ancestors are built before it.
	sort.Slice(regions, func(i, j int) bool {
		a, b := regionPrefix(regions[i]), regionPrefix(regions[j])
		return len(a) < len(b) || (len(a) == len(b) && a < b)
	})
	for _, region := range regions {
		prefix := regionPrefix(region)
		parent := p.lookup(prefix)
		rp, err := f.Regions[region].policy(region, &parent)
		if err != nil {
			return nil, fmt.Errorf("region %s: %w", region, err)
		}
		p.regions[prefix] = rp
		p.order = append(p.order, prefix)
	}
	sort.Slice(p.order, func(i, j int) bool {
		return len(p.order[i]) > len(p.order[j]) || (len(p.order[i]) == len(p.order[j]) && p.order[i] < p.order[j])
	})
	return p, nil
}

// DefaultPolicies: 成都's warnings (1/day, 2/week, 3/month), 涟源's two
// inspections per agency per year, and no proactive inspection of grade A
// enterprises (衡阳), in Beijing time.
func DefaultPolicies() *Policies {
	two, one, three := 2, 1, 3
	p, err := NewPolicies(PolicyFile{Default: PolicyConfig{
		AgencyPerYear:           &two,
		ProactivePerYearByGrade: map[string]int{"A": 0},
		WarnVisitsPerDay:        &one,
		WarnVisitsPerWeek:       &two,
		WarnVisitsPerMonth:      &three,
	}})
	if err != nil {
		panic(err)
	}
	return p
}

func (c PolicyConfig) policy(region string, parent *Policy) (Policy, error) {
	p := Policy{Region: region, NoticeDays: DefaultNoticeDays, UnannouncedTypes: DefaultUnannouncedTypes}
	if parent != nil {
		p = *parent
		p.Region = region
	}
	// Every period is counted in Beijing time, China's one legal time: the
	// reports, the enterprise's history and 检查预告 count in it, and a cap
	// counted in another zone counted one inspection in two years (a trial
	// of the calendar, 2026-12-06). time_zone stays in the file's format,
	// for files that name it, and must name Beijing time.
	if c.TimeZone != "" && !beijingTime[c.TimeZone] {
		return Policy{}, fmt.Errorf("time_zone %q: periods are counted in Beijing time (Asia/Shanghai) only, as the reports count them", c.TimeZone)
	}
	p.Zone = domain.Shanghai
	for _, v := range []*int{c.AgencyPerYear, c.VisitsPerYear, c.WarnVisitsPerDay, c.WarnVisitsPerWeek, c.WarnVisitsPerMonth,
		c.EntriesPerYear, c.WarnEntriesPerDay, c.WarnEntriesPerWeek, c.WarnEntriesPerMonth} {
		if v != nil && *v < 0 {
			return Policy{}, fmt.Errorf("negative limit %d", *v)
		}
	}
	if c.JointMinutes != nil {
		if *c.JointMinutes < 1 || *c.JointMinutes > 24*60 {
			return Policy{}, fmt.Errorf("joint_minutes %d: want 1 to 1440", *c.JointMinutes)
		}
		p.JointMinutes = *c.JointMinutes
	}
	if c.MutualMinutes != nil {
		if *c.MutualMinutes < 1 || *c.MutualMinutes > 24*60 {
			return Policy{}, fmt.Errorf("mutual_minutes %d: want 1 to 1440", *c.MutualMinutes)
		}
		p.MutualMinutes = *c.MutualMinutes
	}
	if c.ArrivalToleranceMinutes != nil {
		if *c.ArrivalToleranceMinutes < 1 || *c.ArrivalToleranceMinutes > 7*24*60 {
			return Policy{}, fmt.Errorf("arrival_tolerance_minutes %d: want 1 to 10080", *c.ArrivalToleranceMinutes)
		}
		p.ArrivalToleranceMinutes = *c.ArrivalToleranceMinutes
	}
	if c.VisitMinutes != nil {
		if *c.VisitMinutes < 1 || *c.VisitMinutes > 24*60 {
			return Policy{}, fmt.Errorf("visit_minutes %d: want 1 to 1440", *c.VisitMinutes)
		}
		p.VisitMinutes = *c.VisitMinutes
	}
	if c.RequireMutual != nil {
		p.RequireMutual = *c.RequireMutual
	}
	if c.PlanPublishDays != nil {
		if *c.PlanPublishDays < 1 || *c.PlanPublishDays > 366 {
			return Policy{}, fmt.Errorf("plan_publish_days %d: want 1 to 366", *c.PlanPublishDays)
		}
		p.PlanPublishDays = *c.PlanPublishDays
	}
	if c.FullUseFrom != "" {
		t, err := time.ParseInLocation("2006-01-02", c.FullUseFrom, p.Zone)
		if err != nil {
			return Policy{}, fmt.Errorf("full_use_from: %w", err)
		}
		p.FullUseFrom = t
	}
	set := func(dst **int, v *int) {
		if v != nil {
			*dst = v
		}
	}
	set(&p.AgencyPerYear, c.AgencyPerYear)
	set(&p.VisitsPerYear, c.VisitsPerYear)
	set(&p.WarnVisitsPerDay, c.WarnVisitsPerDay)
	set(&p.WarnVisitsPerWeek, c.WarnVisitsPerWeek)
	set(&p.WarnVisitsPerMonth, c.WarnVisitsPerMonth)
	set(&p.EntriesPerYear, c.EntriesPerYear)
	set(&p.WarnEntriesPerDay, c.WarnEntriesPerDay)
	set(&p.WarnEntriesPerWeek, c.WarnEntriesPerWeek)
	set(&p.WarnEntriesPerMonth, c.WarnEntriesPerMonth)
	if c.NoticeDays != nil {
		if *c.NoticeDays < 0 || *c.NoticeDays > 90 {
			return Policy{}, fmt.Errorf("notice_days %d: want 0 to 90", *c.NoticeDays)
		}
		p.NoticeDays = *c.NoticeDays
	}
	if c.UnannouncedTypes != nil {
		for _, t := range c.UnannouncedTypes {
			if !slices.Contains(InspectionTypeNames, t) {
				return Policy{}, fmt.Errorf("unannounced_types: %q: want one of %s", t, strings.Join(InspectionTypeNames, ", "))
			}
		}
		p.UnannouncedTypes = slices.Clone(c.UnannouncedTypes)
	}
	if c.ProactivePerYearByGrade != nil {
		p.ProactivePerYearByGrade = map[string]int{}
		for g, n := range c.ProactivePerYearByGrade {
			if !strings.Contains("ABCD", g) || len(g) != 1 || n < 0 {
				return Policy{}, fmt.Errorf("grade cap %q: %d", g, n)
			}
			p.ProactivePerYearByGrade[g] = n
		}
	}
	return p, nil
}

// For returns the policy of an enterprise's region.
func (p *Policies) For(region string) Policy {
	for _, prefix := range p.order {
		if strings.HasPrefix(region, prefix) {
			return p.regions[prefix]
		}
	}
	d := p.def
	d.Region = ""
	return d
}

// dates reads the calendar's dates; a date both a holiday and a working day
// is refused.
func (c CalendarConfig) dates() (holidays, workdays map[string]bool, err error) {
	read := func(list []string) (map[string]bool, error) {
		m := map[string]bool{}
		for _, s := range list {
			d, err := time.ParseInLocation(time.DateOnly, s, domain.Shanghai)
			if err != nil {
				return nil, fmt.Errorf("date %q: want YYYY-MM-DD", s)
			}
			m[d.Format(time.DateOnly)] = true
		}
		return m, nil
	}
	if holidays, err = read(c.Holidays); err != nil {
		return nil, nil, err
	}
	if workdays, err = read(c.Workdays); err != nil {
		return nil, nil, err
	}
	for d := range workdays {
		if holidays[d] {
			return nil, nil, fmt.Errorf("%s is listed both as a holiday and as a working day", d)
		}
	}
	return holidays, workdays, nil
}

// lookup is the policy a region of this prefix inherits from while the
// policies are built: the longest region built so far above it, or the
// default.
func (p *Policies) lookup(prefix string) Policy {
	parent, best := p.def, -1
	for q, pol := range p.regions {
		if len(q) < len(prefix) && len(q) > best && strings.HasPrefix(prefix, q) {
			parent, best = pol, len(q)
		}
	}
	return parent
}

func regionPrefix(region string) string {
	prefix := strings.TrimRight(region, "0")
	if len(prefix)%2 == 1 {
		prefix += "0"
	}
	return prefix
}

// Counter is one count a plan adds to: a calendar period's key, when it
// expires, and the cap and warning thresholds on it (-1: none).
type Counter struct {
	Key      string // e.g. "a:AG-01:y:2026", "v:w:2026W53"
	ExpireAt time.Time
	Visit    bool // counts visits (only a plan that makes a new visit adds)
	Cap      int
	Warn     int
	Rule     string
	Period   string // for people: "2026年", "2026年12月", …
}

// beijingTime lists the names of Beijing time a policy file may give as
// time_zone: one zone, whatever the alias.
var beijingTime = map[string]bool{"Asia/Shanghai": true, "Asia/Chongqing": true, "Asia/Chungking": true, "Asia/Harbin": true, "PRC": true}

// lateMargin is how long a counter outlives its period: a day, so a decision
// at the edge that straddles clocks never finds a counter already gone, and
// the days in which a visit may still be recorded late (a trial of the
// calendar, 2026-12-06: a second visit of 1 December recorded on 5
// December found the day's counter gone and was not warned of).
var lateMargin = time.Duration(domain.DefaultLimits().LateDays+1) * 24 * time.Hour

// Counters lists the counts plan p adds to under this policy, grade being the
// enterprise's credit grade. Exempt plans add to visit and entry counts only
// (they still disturb the enterprise) and are never capped. A visit that is
// not an inspection adds to the entry counts only. A late record (Plan.Late)
// adds to what a plan registered ahead adds to, uncapped: it has happened.
func (pol Policy) Counters(p Plan, grade string) []Counter {
	t := p.Start.In(pol.Zone)
	y, m, d := t.Date()
	yearStart := time.Date(y, 1, 1, 0, 0, 0, 0, pol.Zone)
	yearEnd := yearStart.AddDate(1, 0, 0)
	monthStart := time.Date(y, m, 1, 0, 0, 0, 0, pol.Zone)
	dayStart := time.Date(y, m, d, 0, 0, 0, 0, pol.Zone)
	weekStart := dayStart.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7))
	wy, ww := t.ISOWeek()
	margin := lateMargin
	yearLabel := fmt.Sprintf("%d年", y)
	var out []Counter
	// A late record is counted and warned of, never refused.
	capOf := limit
	if p.Late {
		capOf = func(*int) int { return -1 }
	}
	if !p.Exempt && !p.NotInspection {
		out = append(out, Counter{Key: counterKeys.intern(fmt.Sprintf("a:%s:y:%d", p.AgencyID, y)), ExpireAt: yearEnd.Add(margin), Cap: capOf(pol.AgencyPerYear), Warn: -1, Rule: "agency_per_year", Period: yearLabel})
		gradeCap := -1
		if n, ok := pol.ProactivePerYearByGrade[grade]; ok && !p.Late {
			gradeCap = n
		}
		out = append(out, Counter{Key: counterKeys.intern(fmt.Sprintf("i:y:%d", y)), ExpireAt: yearEnd.Add(margin), Cap: gradeCap, Warn: -1, Rule: "grade_" + grade + "_per_year", Period: yearLabel})
	}
	monthLabel, weekLabel, dayLabel := fmt.Sprintf("%d年%d月", y, m), fmt.Sprintf("%d年第%d周", wy, ww), fmt.Sprintf("%d年%d月%d日", y, m, d)
	monthEnd, weekEnd, dayEnd := monthStart.AddDate(0, 1, 0).Add(margin), weekStart.AddDate(0, 0, 7).Add(margin), dayStart.AddDate(0, 0, 1).Add(margin)
	if !p.NotInspection {
		visitCap := capOf(pol.VisitsPerYear)
		if p.Exempt {
			visitCap = -1
		}
		out = append(out,
			Counter{Key: counterKeys.intern(fmt.Sprintf("v:y:%d", y)), ExpireAt: yearEnd.Add(margin), Visit: true, Cap: visitCap, Warn: -1, Rule: "visits_per_year", Period: yearLabel},
			Counter{Key: counterKeys.intern(fmt.Sprintf("v:m:%d%02d", y, m)), ExpireAt: monthEnd, Visit: true, Cap: -1, Warn: limit(pol.WarnVisitsPerMonth), Rule: "visits_per_month", Period: monthLabel},
			Counter{Key: counterKeys.intern(fmt.Sprintf("v:w:%dW%02d", wy, ww)), ExpireAt: weekEnd, Visit: true, Cap: -1, Warn: limit(pol.WarnVisitsPerWeek), Rule: "visits_per_week", Period: weekLabel},
			Counter{Key: counterKeys.intern(fmt.Sprintf("v:d:%d%02d%02d", y, m, d)), ExpireAt: dayEnd, Visit: true, Cap: -1, Warn: limit(pol.WarnVisitsPerDay), Rule: "visits_per_day", Period: dayLabel},
		)
	}
	// Every entry, inspection or not, counts towards 无事不扰 on its own
	// counters; a case-triggered check is still not capped (有事必到). An
	// inspection adds to them only where the policy caps or warns on
	// entries: four more counters per plan are about half again the
	// coordinator's memory per enterprise (docs/BENCHMARKS.md).
	if !p.NotInspection && !pol.CountsEntries() {
		return out
	}
	entryCap := capOf(pol.EntriesPerYear)
	if p.Exempt {
		entryCap = -1
	}
	out = append(out,
		Counter{Key: counterKeys.intern(fmt.Sprintf("e:y:%d", y)), ExpireAt: yearEnd.Add(margin), Visit: true, Cap: entryCap, Warn: -1, Rule: "entries_per_year", Period: yearLabel},
		Counter{Key: counterKeys.intern(fmt.Sprintf("e:m:%d%02d", y, m)), ExpireAt: monthEnd, Visit: true, Cap: -1, Warn: limit(pol.WarnEntriesPerMonth), Rule: "entries_per_month", Period: monthLabel},
		Counter{Key: counterKeys.intern(fmt.Sprintf("e:w:%dW%02d", wy, ww)), ExpireAt: weekEnd, Visit: true, Cap: -1, Warn: limit(pol.WarnEntriesPerWeek), Rule: "entries_per_week", Period: weekLabel},
		Counter{Key: counterKeys.intern(fmt.Sprintf("e:d:%d%02d%02d", y, m, d)), ExpireAt: dayEnd, Visit: true, Cap: -1, Warn: limit(pol.WarnEntriesPerDay), Rule: "entries_per_day", Period: dayLabel},
	)
	return out
}

// counterKeys holds one copy of each counter key: an enterprise's state
// keeps its keys (counts, and each plan's charged and visit keys) for up to
// a year, and the same few keys ("v:d:20261123", "a:AG-01:y:2026") recur
// across enterprises, so sharing them saves some 170 bytes per enterprise
// held (docs/BENCHMARKS.md).
var counterKeys internTable

// internTable returns a shared copy of each string. It forgets everything
// past internMax strings: the strings already handed out stay valid, only
// their sharing restarts, so the table never grows without bound.
type internTable struct {
	mu sync.Mutex
	m  map[string]string
}

const internMax = 1 << 16

func (t *internTable) intern(s string) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c, ok := t.m[s]; ok {
		return c
	}
	if t.m == nil || len(t.m) >= internMax {
		t.m = make(map[string]string)
	}
	t.m[s] = s
	return s
}

func limit(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

// CountsEntries reports whether the policy caps or warns on all entries
// together.
func (pol Policy) CountsEntries() bool {
	return pol.EntriesPerYear != nil || pol.WarnEntriesPerDay != nil || pol.WarnEntriesPerWeek != nil || pol.WarnEntriesPerMonth != nil
}

// Notice is the region's rule for 检查预告 (domain.Notice).
func (pol Policy) Notice() domain.Notice {
	n := domain.Notice{Lead: time.Duration(pol.NoticeDays) * 24 * time.Hour}
	for _, t := range pol.UnannouncedTypes {
		n.Unannounced = append(n.Unannounced, inspectionTypeByName[t])
	}
	return n
}

var inspectionTypeByName = map[string]ruqiv1.InspectionType{
	"routine": ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
	"random":  ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM,
	"special": ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
	"case":    ruqiv1.InspectionType_INSPECTION_TYPE_CASE,
}

// YearCounts are an enterprise's counts in one calendar year as the year
// caps see them: what a planner (internal/matching) knows before anything is
// registered. Registration still goes through the coordinator, which holds
// the authoritative counts.
type YearCounts struct {
	// ByAgency is each agency's proactive (not exempt) inspections.
	ByAgency map[string]int
	// Proactive is all agencies' proactive inspections, for the grade cap.
	Proactive int
	// Visits is the visits made (a joint visit is one), for VisitsPerYear.
	Visits int
	// Entries is every entry made, visits that are not inspections
	// included, for EntriesPerYear.
	Entries int
}

// YearCap says which year cap of Counters would refuse one more plan of
// agency on top of c, and nil if none would: the agency's cap and the
// grade's cap for a proactive plan, the visits cap for a plan that makes a
// new visit (not for one that joins a visit, and never for an exempt plan:
// 有事必到). TestYearCap_AgreesWithDecide holds it to the coordinator.
func (pol Policy) YearCap(c YearCounts, agency, grade string, exempt, newVisit bool, year int) *Breach {
	period := fmt.Sprintf("%d年", year)
	if !exempt {
		if n := c.ByAgency[agency] + 1; pol.AgencyPerYear != nil && n > *pol.AgencyPerYear {
			return &Breach{Rule: "agency_per_year", Limit: *pol.AgencyPerYear, Count: n, Period: period}
		}
		if cap, ok := pol.ProactivePerYearByGrade[grade]; ok && c.Proactive+1 > cap {
			return &Breach{Rule: "grade_" + grade + "_per_year", Limit: cap, Count: c.Proactive + 1, Period: period}
		}
		if n := c.Visits + 1; newVisit && pol.VisitsPerYear != nil && n > *pol.VisitsPerYear {
			return &Breach{Rule: "visits_per_year", Limit: *pol.VisitsPerYear, Count: n, Period: period}
		}
	}
	return nil
}
