package coord

import (
	"fmt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unsafe"
)

func TestLoadPolicies_MostSpecificRegionWins_InheritsDefault(t *testing.T) {
	p, err := LoadPolicies(filepath.Join("..", "..", "testdata", "policy", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	lianyuan := p.For("431382")
	if lianyuan.Region != "431382" || *lianyuan.VisitsPerYear != 6 || *lianyuan.AgencyPerYear != 2 || *lianyuan.WarnVisitsPerDay != 1 {
		t.Fatalf("涟源 policy %+v", lianyuan)
	}
	hengyang := p.For("430405") // a district of 衡阳
	if hengyang.Region != "430400" || hengyang.ProactivePerYearByGrade["B"] != 4 || hengyang.VisitsPerYear != nil {
		t.Fatalf("衡阳 district policy %+v", hengyang)
	}
	other := p.For("110105")
	if other.Region != "" || *other.AgencyPerYear != 2 || other.Zone.String() != "Asia/Shanghai" {
		t.Fatalf("default policy %+v", other)
	}
}

func TestLoadPolicies_BadFiles(t *testing.T) {
	for name, body := range map[string]string{
		"unknown field":  `{"default": {"agency_per_yaer": 2}}`,
		"negative":       `{"default": {"agency_per_year": -1}}`,
		"bad region":     `{"regions": {"5101": {}}}`,
		"no province":    `{"regions": {"999999": {}}}`,
		"no city":        `{"regions": {"510004": {}}}`,
		"bad grade":      `{"default": {"proactive_per_year_by_grade": {"E": 1}}}`,
		"bad zone":       `{"default": {"time_zone": "Mars/Olympus"}}`,
		"another zone":   `{"regions": {"650100": {"time_zone": "Asia/Urumqi"}}}`,
		"not json":       `agency_per_year: 2`,
		"no common time": `{"default": {"joint_minutes": 0}}`,
		"a day and more": `{"regions": {"510100": {"joint_minutes": 1441}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "p.json")
			os.WriteFile(path, []byte(body), 0o600)
			if _, err := LoadPolicies(path); err == nil {
				t.Fatalf("accepted %s", body)
			}
		})
	}
}

// The minimum common time of a joint inspection: 30 minutes unless a region
// says otherwise, inherited like every other field.
func TestPolicies_JointMinutes(t *testing.T) {
	ten := 10
	p, err := NewPolicies(PolicyFile{Regions: map[string]PolicyConfig{"510100": {JointMinutes: &ten}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := p.For("510104").JointMinimum(); got != 10*time.Minute {
		t.Errorf("成都: %v, want 10m", got)
	}
	if got := p.For("110105").JointMinimum(); got != 30*time.Minute {
		t.Errorf("default: %v, want 30m", got)
	}
}

// Periods are calendar periods in the policy's zone: the year of a plan at
// 00:30 on 1 January in Beijing is the new year, though it is still 31
// December in UTC; weeks start on Monday (ISO weeks).
func TestCounters_CalendarPeriods(t *testing.T) {
	pol := DefaultPolicies().For("510104")
	at := func(s string) time.Time {
		tm, _ := time.ParseInLocation("2006-01-02 15:04", s, pol.Zone)
		return tm
	}
	keys := func(start string) string {
		var out []string
		for _, c := range pol.Counters(Plan{AgencyID: "AG-1", Start: at(start)}, "B") {
			out = append(out, c.Key+"@"+c.ExpireAt.In(pol.Zone).Format("2006-01-02"))
		}
		return strings.Join(out, " ")
	}
	cases := map[string]string{
		"2027-01-01 00:30": "a:AG-1:y:2027@2028-01-12 i:y:2027@2028-01-12 v:y:2027@2028-01-12 v:m:202701@2027-02-12 v:w:2026W53@2027-01-15 v:d:20270101@2027-01-13",
		"2028-02-29 09:00": "a:AG-1:y:2028@2029-01-12 i:y:2028@2029-01-12 v:y:2028@2029-01-12 v:m:202802@2028-03-12 v:w:2028W09@2028-03-17 v:d:20280229@2028-03-12",
	}
	for start, want := range cases {
		if got := keys(start); got != want {
			t.Errorf("%s:\n got %s\nwant %s", start, got, want)
		}
	}
	// Exempt plans are never capped and add only to visit counts.
	for _, c := range pol.Counters(Plan{AgencyID: "AG-1", Start: at("2026-11-23 09:00"), Exempt: true}, "A") {
		if c.Cap >= 0 || !c.Visit {
			t.Fatalf("exempt plan counter %+v", c)
		}
	}
	// Where the policy counts entries, an inspection adds to them too.
	one := 1
	withEntries := pol
	withEntries.WarnEntriesPerDay = &one
	var keys1 []string
	for _, c := range withEntries.Counters(Plan{AgencyID: "AG-1", Start: at("2026-11-23 09:00")}, "B") {
		keys1 = append(keys1, c.Key)
	}
	if got := strings.Join(keys1, " "); !strings.HasSuffix(got, "v:d:20261123 e:y:2026 e:m:202611 e:w:2026W48 e:d:20261123") {
		t.Fatalf("inspection, entries counted: counters %s", got)
	}
	// A visit that is not an inspection adds only to the counts of all
	// entries, never to the inspections', whatever the policy.
	var keys2 []string
	for _, c := range pol.Counters(Plan{AgencyID: "AG-1", Start: at("2026-11-23 09:00"), NotInspection: true}, "A") {
		keys2 = append(keys2, c.Key)
	}
	if got := strings.Join(keys2, " "); got != "e:y:2026 e:m:202611 e:w:2026W48 e:d:20261123" {
		t.Fatalf("not an inspection: counters %s", got)
	}
}

// 检查预告 is configured like the rest of the policy: notice_days and the
// unannounced types, inherited from the default, checked when loaded.
func TestPolicy_Notice(t *testing.T) {
	five := 5
	p, err := NewPolicies(PolicyFile{Default: PolicyConfig{UnannouncedTypes: []string{"random"}}, Regions: map[string]PolicyConfig{"440300": {NoticeDays: &five}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := p.For("440305").Notice(); n.Lead != 5*24*time.Hour || len(n.Unannounced) != 1 || n.Unannounced[0] != ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM {
		t.Errorf("深圳: %+v", n)
	}
	if n := DefaultPolicies().For("510104").Notice(); n.Lead != DefaultNoticeDays*24*time.Hour || len(n.Unannounced) != 2 {
		t.Errorf("default: %+v", n)
	}
	for _, bad := range []PolicyConfig{{NoticeDays: ptrInt(91)}, {NoticeDays: ptrInt(-1)}, {UnannouncedTypes: []string{"surprise"}}, {EntriesPerYear: ptrInt(-2)}} {
		if _, err := NewPolicies(PolicyFile{Default: bad}); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func ptrInt(n int) *int { return &n }

// TestCounters_KeysShared: two plans' counters name the same keys with one
// copy of each, and the table starts over past its size, the strings it
// handed out staying valid.
func TestCounters_KeysShared(t *testing.T) {
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	pol := Policy{Zone: zone}
	start := time.Date(2026, 11, 23, 9, 0, 0, 0, zone)
	a := pol.Counters(Plan{AgencyID: "AG-1", Start: start, End: start.Add(time.Hour)}, "B")
	b := pol.Counters(Plan{AgencyID: "AG-1", Start: start.Add(2 * time.Hour), End: start.Add(3 * time.Hour)}, "B")
	if len(a) != len(b) || len(a) == 0 {
		t.Fatalf("%d and %d counters", len(a), len(b))
	}
	for i := range a {
		if a[i].Key != b[i].Key || unsafe.StringData(a[i].Key) != unsafe.StringData(b[i].Key) {
			t.Errorf("key %q and %q: two copies", a[i].Key, b[i].Key)
		}
	}

	var tab internTable
	first := tab.intern(strings.Repeat("k", 3))
	for i := range internMax {
		tab.intern(fmt.Sprint(i))
	}
	if len(tab.m) > internMax {
		t.Fatalf("%d strings held, at most %d", len(tab.m), internMax)
	}
	again := tab.intern(strings.Repeat("k", 3))
	if again != first || unsafe.StringData(again) == unsafe.StringData(first) {
		t.Fatalf("after the table started over: %q, a new copy expected", again)
	}
}

// TestLoadPolicies_CityInheritsProvincePhase: the example file puts 四川
// (510000) in its trial phase until 2026-04-01 (天府入企码: trial from
// 2025-09-01, full use from 2026-04-01) and gives 成都 (510100) its own
// warnings. 成都 is in 四川: its enterprises are in the trial phase in March
// 2026 as the province's are, and a city that sets its warnings does not
// thereby leave the province's rollout. Found by a trial of the calendar
// (2026-12-06).
func TestLoadPolicies_CityInheritsProvincePhase(t *testing.T) {
	p, err := LoadPolicies(filepath.Join("..", "..", "testdata", "policy", "example.json"))
	if err != nil {
		t.Fatal(err)
	}
	march := time.Date(2026, 3, 15, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))
	if !p.For("511302").Trial(march) { // 南充 顺庆区: only the province's policy
		t.Fatalf("南充 (511302) in March 2026: not in the trial phase; the example file's 510000 sets full_use_from 2026-04-01")
	}
	if !p.For("510104").Trial(march) {
		t.Errorf("成都 锦江区 (510104) in March 2026: full use, want the trial phase of 四川 (510000, full_use_from 2026-04-01); 成都's policy (510100) sets only warnings: full_use_from %v",
			p.For("510104").FullUseFrom)
	}
}

// A county inherits from its city and the city from its province, whatever
// order the file lists them in; a region the file does not list takes the
// nearest one above it.
func TestNewPolicies_InheritFromNearestAncestor(t *testing.T) {
	one, five, nine := 1, 5, 9
	p, err := NewPolicies(PolicyFile{Regions: map[string]PolicyConfig{
		"510104": {WarnVisitsPerDay: &nine},
		"510000": {AgencyPerYear: &one},
		"510100": {NoticeDays: &five},
	}})
	if err != nil {
		t.Fatal(err)
	}
	county := p.For("510104")
	if *county.AgencyPerYear != 1 || county.NoticeDays != 5 || *county.WarnVisitsPerDay != 9 {
		t.Errorf("锦江区: agency_per_year %d (四川's 1), notice_days %d (成都's 5), warn_visits_per_day %d (its own 9)",
			*county.AgencyPerYear, county.NoticeDays, *county.WarnVisitsPerDay)
	}
	if other := p.For("510105"); *other.AgencyPerYear != 1 || other.NoticeDays != 5 || other.Region != "510100" {
		t.Errorf("青羊区 (not listed): %+v, want 成都's", other)
	}
	if other := p.For("110105"); other.AgencyPerYear != nil || other.NoticeDays != DefaultNoticeDays {
		t.Errorf("北京: %+v, want the default", other)
	}
}

// The calendar adds the year's holidays and 调休 working days to the days
// fixed by date; bad dates are refused when the file is read.
func TestPolicies_Calendar(t *testing.T) {
	p, err := NewPolicies(PolicyFile{Calendar: CalendarConfig{
		Holidays: []string{"2027-02-05", "2027-02-08", "2027-02-09"}, // 春节 (a Monday and Tuesday among them)
		Workdays: []string{"2027-02-20"},                             // a Saturday worked (调休)
	}})
	if err != nil {
		t.Fatal(err)
	}
	day := func(s string) time.Time {
		d, err := time.ParseInLocation(time.DateOnly, s, time.FixedZone("CST", 8*3600))
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(9 * time.Hour)
	}
	for d, want := range map[string]bool{
		"2027-02-08": false, // listed
		"2027-02-10": true,  // an ordinary Wednesday
		"2027-02-20": true,  // Saturday, worked
		"2027-02-21": false, // Sunday
		"2027-01-01": false, // 元旦, fixed by date
	} {
		if got := p.Workday(day(d)); got != want {
			t.Errorf("%s: workday %v, want %v", d, got, want)
		}
	}
	for name, c := range map[string]CalendarConfig{
		"not a date": {Holidays: []string{"2027-02-30"}},
		"both":       {Holidays: []string{"2027-02-20"}, Workdays: []string{"2027-02-20"}},
	} {
		if _, err := NewPolicies(PolicyFile{Calendar: c}); err == nil {
			t.Errorf("%s: accepted %+v", name, c)
		}
	}
}
