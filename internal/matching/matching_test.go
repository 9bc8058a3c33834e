package matching

import (
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

const (
	routine = ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	caseT   = ruqiv1.InspectionType_INSPECTION_TYPE_CASE
)

// December 2026 in Beijing time: the 1st is a Tuesday.
var (
	dec1 = time.Date(2026, 12, 1, 0, 0, 0, 0, domain.Shanghai)
	jan1 = time.Date(2027, 1, 1, 0, 0, 0, 0, domain.Shanghai)
)

func item(agency, id, name string) *ruqiv1.CheckItem {
	return &ruqiv1.CheckItem{Id: id, AgencyId: agency, Name: name, LegalBasis: &ruqiv1.LegalBasis{Law: "消防法", Article: "第十六条"}}
}

func plan(id, agency string, typ ruqiv1.InspectionType, items int, usccs ...string) Coverage {
	c := Coverage{PlanID: id, AgencyID: agency, Type: typ, Start: dec1, End: jan1, Enterprises: usccs}
	for i := 0; i < items; i++ {
		c.Items = append(c.Items, item(agency, agency+"-"+string(rune('A'+i)), agency+" 检查事项 "+string(rune('A'+i))))
	}
	return c
}

func TestMatch_ThreeAgenciesOneEnterprise_OneVisit_LeadHasMostItems(t *testing.T) {
	a := plan("P-A", "AG-01", routine, 1, "E1", "E2")
	b := plan("P-B", "AG-02", routine, 3, "E1")
	c := plan("P-C", "AG-03", routine, 2, "E1", "E3")
	// AG-01 and AG-03 both list the same fire check: it appears once.
	a.Items = append(a.Items, item("AG-01", "AG-01-FIRE", "消防安全检查"))
	c.Items = append(c.Items, item("AG-03", "AG-03-FIRE", "消防安全检查"))
	res := Match(Input{Plans: []Coverage{a, b, c}, NotBefore: dec1.Add(10 * time.Hour)})
	if len(res.Proposals) != 1 || res.Covered != 3 || res.Contested != 1 {
		t.Fatalf("result %+v: want one proposal for E1 of three enterprises covered", res)
	}
	p := res.Proposals[0]
	if p.USCC != "E1" || len(p.Members) != 3 {
		t.Fatalf("proposal %+v", p)
	}
	// AG-02 and AG-03 have 3 items each, AG-01 two: the tie goes to the
	// lower agency id.
	if p.Lead != "AG-02" || p.Members[0].AgencyID != "AG-02" || p.Members[1].AgencyID != "AG-03" || p.Members[2].AgencyID != "AG-01" {
		t.Fatalf("lead %s, members %+v", p.Lead, p.Members)
	}
	// 10:00 on Tuesday the 1st is past 09:00: Wednesday the 2nd.
	if want := dec1.AddDate(0, 0, 1).Add(9 * time.Hour); !p.WindowStart.Equal(want) || p.WindowEnd.Sub(p.WindowStart) != VisitLength {
		t.Fatalf("window %v–%v, want %v for 8h", p.WindowStart, p.WindowEnd, want)
	}
	if len(p.Checklist) != 7 {
		t.Fatalf("checklist of %d lines, want 7 (8 items, the fire check once)", len(p.Checklist))
	}
	for _, l := range p.Checklist {
		if l.GetName() == "消防安全检查" && len(l.GetAgencyIds()) != 2 {
			t.Fatalf("shared check under %v, want both agencies", l.GetAgencyIds())
		}
	}
}

func TestMatch_SameAgencyTwice_IsLeftAsDuplicate(t *testing.T) {
	res := Match(Input{Plans: []Coverage{
		plan("P-A", "AG-01", routine, 1, "E1"),
		plan("P-A2", "AG-01", routine, 1, "E1"),
		plan("P-B", "AG-02", routine, 1, "E1"),
	}, NotBefore: dec1})
	if len(res.Proposals) != 1 || len(res.Proposals[0].Members) != 2 {
		t.Fatalf("%+v", res)
	}
	l := res.Proposals[0].Left
	if len(l) != 1 || l[0].PlanID != "P-A2" || !l[0].Duplicate {
		t.Fatalf("left %+v, want the second AG-01 plan as a duplicate", l)
	}
}

func TestMatch_PeriodsThatDoNotShareADay_AreNoProposal(t *testing.T) {
	a := plan("P-A", "AG-01", routine, 1, "E1")
	b := plan("P-B", "AG-02", routine, 1, "E1")
	a.End = dec1.AddDate(0, 0, 10)
	b.Start = dec1.AddDate(0, 0, 10)
	res := Match(Input{Plans: []Coverage{a, b}, NotBefore: dec1})
	if len(res.Proposals) != 0 || res.Contested != 0 {
		t.Fatalf("%+v", res)
	}
	// Sharing only a weekend: the visit is on the Saturday.
	a.End = dec1.AddDate(0, 0, 6)                       // Monday the 7th, 00:00
	b.Start = dec1.AddDate(0, 0, 3).Add(18 * time.Hour) // Friday the 4th, 18:00
	res = Match(Input{Plans: []Coverage{a, b}, NotBefore: dec1})
	if len(res.Proposals) != 1 || res.Proposals[0].WindowStart.Weekday() != time.Saturday {
		t.Fatalf("%+v", res)
	}
}

func ptr(n int) *int { return &n }

func TestMatch_GradeA_OnlyExemptPlansJoin(t *testing.T) {
	// 衡阳: a grade A enterprise gets no proactive inspection; case-triggered
	// checks are exempt (有事必到).
	pol := coord.DefaultPolicies().For("430405")
	standing := func(string, int) (Standing, bool) { return Standing{Policy: pol, Grade: "A"}, true }
	plans := []Coverage{
		plan("P-A", "AG-01", routine, 3, "E1"),
		plan("P-B", "AG-02", caseT, 1, "E1"),
		plan("P-C", "AG-03", caseT, 1, "E1"),
	}
	res := Match(Input{Plans: plans, NotBefore: dec1, Standing: standing})
	if len(res.Proposals) != 1 || res.CappedOut != 1 {
		t.Fatalf("%+v", res)
	}
	p := res.Proposals[0]
	if len(p.Members) != 2 || p.Members[0].AgencyID != "AG-02" || p.Left[0].AgencyID != "AG-01" || p.Left[0].Cap.Rule != "grade_A_per_year" {
		t.Fatalf("proposal %+v", p)
	}
	// Without the exempt plans nothing is left to match.
	res = Match(Input{Plans: plans[:2], NotBefore: dec1, Standing: standing})
	if len(res.Proposals) != 0 || res.Unmatched != 1 {
		t.Fatalf("%+v", res)
	}
}

func TestMatch_AgencyCapSpent_ThatAgencyIsLeftOut(t *testing.T) {
	pol := coord.DefaultPolicies().For("110105") // 涟源's 2 per agency per year
	standing := func(string, int) (Standing, bool) {
		return Standing{Policy: pol, Grade: "B", Counts: coord.YearCounts{ByAgency: map[string]int{"AG-02": 2}}}, true
	}
	res := Match(Input{Plans: []Coverage{
		plan("P-A", "AG-01", routine, 1, "E1"),
		plan("P-B", "AG-02", routine, 5, "E1"),
		plan("P-C", "AG-03", routine, 1, "E1"),
	}, NotBefore: dec1, Standing: standing})
	if len(res.Proposals) != 1 {
		t.Fatalf("%+v", res)
	}
	p := res.Proposals[0]
	if len(p.Members) != 2 || p.Lead != "AG-01" || len(p.Left) != 1 || p.Left[0].AgencyID != "AG-02" || p.Left[0].Cap.Rule != "agency_per_year" {
		t.Fatalf("%+v", p)
	}
}

func TestMatch_VisitsCapSpent_ExemptPlanLeads(t *testing.T) {
	pol := coord.DefaultPolicies().For("110105")
	pol.VisitsPerYear = ptr(4)
	standing := func(string, int) (Standing, bool) {
		return Standing{Policy: pol, Grade: "B", Counts: coord.YearCounts{Visits: 4}}, true
	}
	res := Match(Input{Plans: []Coverage{
		plan("P-A", "AG-01", routine, 5, "E1"),
		plan("P-B", "AG-02", caseT, 1, "E1"),
	}, NotBefore: dec1, Standing: standing})
	if len(res.Proposals) != 1 || res.Proposals[0].Lead != "AG-02" || len(res.Proposals[0].Members) != 2 {
		t.Fatalf("%+v", res)
	}
}

// TestYearCap_AgreesWithDecide holds the planner's cap check to the
// coordinator's decision on the same counts.
func TestYearCap_AgreesWithDecide(t *testing.T) {
	pol := coord.DefaultPolicies().For("110105")
	pol.VisitsPerYear = ptr(3)
	pol.WarnVisitsPerDay, pol.WarnVisitsPerWeek, pol.WarnVisitsPerMonth = nil, nil, nil
	now := dec1
	for _, grade := range []string{"A", "B"} {
		for own := 0; own <= 2; own++ {
			for visits := own; visits <= 4; visits++ {
				for _, exempt := range []bool{false, true} {
					var seed coord.Seed
					// own plans of AG-01, then other agencies' visits, each a
					// visit of its own on its own day.
					for i := 0; i < visits; i++ {
						agency := "AG-09"
						if i < own {
							agency = "AG-01"
						}
						day := now.AddDate(0, 0, -(i+1)*2)
						seed.Plans = append(seed.Plans, coord.Plan{InspectionID: "INS-" + string(rune('a'+i)), AgencyID: agency, USCC: "E1",
							Start: day, End: day.Add(time.Hour), Grade: grade, NewVisit: true, Exempt: grade == "A"})
					}
					st := coord.NewState(seed, pol, now)
					p := coord.Plan{InspectionID: "INS-new", AgencyID: "AG-01", USCC: "E1", Start: now.Add(time.Hour), End: now.Add(2 * time.Hour), Grade: grade, Exempt: exempt}
					d := st.Decide(p, pol, now)
					proactive := visits
					if grade == "A" {
						proactive = 0
					}
					byAgency := map[string]int{"AG-01": own}
					if grade == "A" {
						byAgency = nil
					}
					b := pol.YearCap(coord.YearCounts{ByAgency: byAgency, Proactive: proactive, Visits: visits}, "AG-01", grade, exempt, true, 2026)
					if (d.Outcome == coord.Capped) != (b != nil) || (b != nil && d.Cap.Rule != b.Rule) {
						t.Fatalf("grade %s own %d visits %d exempt %v: Decide %v %+v, YearCap %+v", grade, own, visits, exempt, d.Outcome, d.Cap, b)
					}
				}
			}
		}
	}
}

// A plan whose agency an open proposal already takes to the enterprise on a
// day of its period is left out there (Input.Proposed), and only there: the
// enterprise still counts as covered, the plan's other enterprises are
// matched, and a plan of the agency for another period is not held back.
func TestMatch_AgencyAlreadyProposed_LeftOutThereOnly(t *testing.T) {
	day := dec1.AddDate(0, 0, 1).Add(DayStart) // AG-01's open proposal for E1
	proposed := func(uscc, agency string, start, end time.Time) bool {
		return uscc == "E1" && agency == "AG-01" && start.Before(day.Add(VisitLength)) && end.After(day)
	}
	a := plan("P-A", "AG-01", routine, 1, "E1", "E2")
	b := plan("P-B", "AG-02", routine, 1, "E1", "E2")
	a2 := plan("P-A2", "AG-01", routine, 1, "E1")
	b2 := plan("P-B2", "AG-02", routine, 1, "E1")
	a2.Start, a2.End, b2.Start, b2.End = jan1, jan1.AddDate(0, 1, 0), jan1, jan1.AddDate(0, 1, 0)
	res := Match(Input{Plans: []Coverage{a, b, a2, b2}, NotBefore: dec1, Proposed: proposed})
	var got []string
	for _, p := range res.Proposals {
		got = append(got, p.USCC+":"+p.Members[0].PlanID+"+"+p.Members[1].PlanID)
	}
	if res.Covered != 2 || len(got) != 2 || got[0] != "E1:P-A2+P-B2" || got[1] != "E2:P-A+P-B" {
		t.Fatalf("proposals %v, covered %d: want E1 in January and E2 in December, of two enterprises covered", got, res.Covered)
	}
}
