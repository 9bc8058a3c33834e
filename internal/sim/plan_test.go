package sim

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/sample"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// validAt is a fixed reference for the officers' certificates, so that the
// plan sets here do not depend on the day the tests run.
var validAt = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)

func testDirectory(enterprises int) *ruqiv1.Directory {
	return sample.Directory(sample.Options{Seed: 1, Enterprises: enterprises})
}

func generate(t *testing.T, dir *ruqiv1.Directory, seed uint64, n int, s Shares) *PlanSet {
	t.Helper()
	ps, err := Generate(dir, PlanOptions{Seed: seed, Inspections: n, Shares: s, ValidAt: validAt})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func TestGenerateDeterministic(t *testing.T) {
	dir := testDirectory(500)
	a := generate(t, dir, 7, 2000, DefaultShares())
	b := generate(t, dir, 7, 2000, DefaultShares())
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same seed gave different plan sets")
	}
	c := generate(t, dir, 8, 2000, DefaultShares())
	if reflect.DeepEqual(a.Plans, c.Plans) {
		t.Fatal("different seeds gave the same plans")
	}
	// A fresh directory object with the same options gives the same plans:
	// nothing depends on pointer identity or map order.
	d := generate(t, testDirectory(500), 7, 2000, DefaultShares())
	if !reflect.DeepEqual(a, d) {
		t.Fatal("the same seed and an equal directory gave different plan sets")
	}
}

func TestGenerateExactCount(t *testing.T) {
	dir := testDirectory(50)
	for _, n := range []int{1, 2, 3, 60, 997} {
		ps := generate(t, dir, 1, n, Shares{Overlap: 0.3, Duplicate: 0.1, Cap: 0.3, Tampered: 0.1, WrongEnterprise: 0.1, Evaluate: 1})
		if len(ps.Plans) != n {
			t.Errorf("n=%d: %d plans", n, len(ps.Plans))
		}
		seen := 0
		for _, s := range ps.Schedules {
			for _, v := range s.Visits {
				seen += len(v.Plans)
			}
		}
		if seen != n {
			t.Errorf("n=%d: schedules hold %d plans", n, seen)
		}
	}
}

func TestGenerateShares(t *testing.T) {
	// As many enterprises as plans: about one visit each, as in a real
	// year, so that few plans hit a cap by chance (an agency's third visit).
	dir := testDirectory(40000)
	s := DefaultShares()
	const n = 40000
	ps := generate(t, dir, 42, n, s)
	count := map[Intent]int{}
	var tampered, wrong, evaluate, caseType int
	for _, p := range ps.Plans {
		count[p.Intent]++
		switch p.Scan {
		case ScanTampered:
			tampered++
		case ScanWrongEnterprise:
			wrong++
		}
		if p.Evaluate {
			evaluate++
		}
		if p.Type == ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
			caseType++
		}
	}
	share := func(k int) float64 { return float64(k) / n }
	check := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s share %.4f, want %.4f ± %.4f", name, got, want, tol)
		}
	}
	check("overlap", share(count[IntentOverlap]), s.Overlap, 0.015)
	check("duplicate", share(count[IntentDuplicate]), s.Duplicate, 0.004)
	check("cap", share(count[IntentCapGrade]+count[IntentCapRepeat]), s.Cap, 0.006)
	check("tampered", share(tampered), s.Tampered, 0.004)
	check("wrong enterprise", share(wrong), s.WrongEnterprise, 0.004)
	check("evaluate", share(evaluate), s.Evaluate, 0.015)
	// 个案 among all plans: 15% drawn, fewer where a cap probe forces a
	// proactive type, more where an overlap at a grade A enterprise forces
	// 个案.
	check("case type", share(caseType), 0.15, 0.02)

	// What the server is expected to answer follows the intents.
	e := ps.Expected()
	if e.Alone+e.Joined+e.Duplicates+e.Capped != n {
		t.Fatalf("expected outcomes %+v do not add up to %d", e, n)
	}
	check("expected joined", share(e.Joined), s.Overlap, 0.02)
	check("expected duplicates", share(e.Duplicates), s.Duplicate, 0.005)
	if e.Capped < count[IntentCapGrade]+count[IntentCapRepeat] {
		t.Errorf("expected %d capped, fewer than the %d cap probes", e.Capped, count[IntentCapGrade]+count[IntentCapRepeat])
	}
	check("expected capped", share(e.Capped), s.Cap, 0.01)
}

func TestGenerateZeroShares(t *testing.T) {
	dir := testDirectory(300)
	grade := map[string]ruqiv1.CreditGrade{}
	for _, e := range dir.GetEnterprises() {
		grade[e.GetUscc()] = e.GetCreditGrade()
	}
	ps := generate(t, dir, 3, 500, Shares{})
	for _, p := range ps.Plans {
		if p.Intent != IntentSolo || p.Scan != ScanValid || p.Evaluate {
			t.Fatalf("plan %d: intent %v scan %v evaluate %v with all shares zero", p.Seq, p.Intent, p.Scan, p.Evaluate)
		}
		// Agencies know the grade policy: no proactive plan of their own
		// choosing at a grade A enterprise.
		if p.Proactive() && grade[p.Enterprise] == ruqiv1.CreditGrade_CREDIT_GRADE_A {
			t.Fatalf("plan %d: proactive plan at a grade A enterprise", p.Seq)
		}
	}
}

func TestGeneratePlansAreWellFormed(t *testing.T) {
	dir := testDirectory(200)
	agencyOf := map[string]string{}
	for _, o := range dir.GetOfficers() {
		agencyOf[o.GetId()] = o.GetAgencyId()
	}
	item := map[string]*ruqiv1.CheckItem{}
	for _, it := range dir.GetCheckItems() {
		item[it.GetId()] = it
	}
	grade := map[string]ruqiv1.CreditGrade{}
	for _, e := range dir.GetEnterprises() {
		grade[e.GetUscc()] = e.GetCreditGrade()
	}
	ps := generate(t, dir, 11, 3000, Shares{Overlap: 0.3, Duplicate: 0.05, Cap: 0.1, Tampered: 0.1, WrongEnterprise: 0.1, Evaluate: 0.5})
	for i, p := range ps.Plans {
		if p.Seq != i {
			t.Fatalf("plan %d has Seq %d", i, p.Seq)
		}
		if len(p.Officers) < 2 || len(p.Items) < 1 || len(p.Outcomes) != len(p.Items) {
			t.Fatalf("plan %d: %d officers, %d items, %d outcomes", i, len(p.Officers), len(p.Items), len(p.Outcomes))
		}
		seen := map[string]bool{}
		for _, o := range p.Officers {
			if seen[o] || agencyOf[o] != p.Agency {
				t.Fatalf("plan %d: officer %s repeated or not of %s", i, o, p.Agency)
			}
			seen[o] = true
		}
		for _, id := range p.Items {
			if seen[id] || item[id].GetAgencyId() != p.Agency || item[id].GetRetired() {
				t.Fatalf("plan %d: item %s repeated, retired or not of %s", i, id, p.Agency)
			}
			seen[id] = true
		}
		if (p.Type == ruqiv1.InspectionType_INSPECTION_TYPE_CASE) != (p.Trigger != "") {
			t.Fatalf("plan %d: type %v with trigger %q", i, p.Type, p.Trigger)
		}
		if p.Scan == ScanWrongEnterprise && (p.Foreign == "" || p.Foreign == p.Enterprise) {
			t.Fatalf("plan %d: wrong enterprise %q", i, p.Foreign)
		}
		if p.Intent == IntentCapGrade && (grade[p.Enterprise] != ruqiv1.CreditGrade_CREDIT_GRADE_A || !p.Proactive()) {
			t.Fatalf("plan %d: grade cap probe at grade %v, type %v", i, grade[p.Enterprise], p.Type)
		}
	}
	inVisits := map[int]bool{}
	for _, s := range ps.Schedules {
		for k, v := range s.Visits {
			if v.Slot != k {
				t.Fatalf("%s: visit %d has slot %d", s.Enterprise, k, v.Slot)
			}
			for _, p := range v.Plans {
				if p.Enterprise != s.Enterprise || inVisits[p.Seq] {
					t.Fatalf("plan %d in the wrong or in two schedules", p.Seq)
				}
				inVisits[p.Seq] = true
				// Plans of the same agency in one visit: all but the
				// first accepted one are duplicates.
			}
		}
	}
	if len(inVisits) != len(ps.Plans) {
		t.Fatalf("%d of %d plans in schedules", len(inVisits), len(ps.Plans))
	}
}

func TestExpectFollowsTheRules(t *testing.T) {
	p := func(agency string, typ ruqiv1.InspectionType) *Plan { return &Plan{Agency: agency, Type: typ} }
	routine, cas := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, ruqiv1.InspectionType_INSPECTION_TYPE_CASE
	s := &Schedule{Grade: ruqiv1.CreditGrade_CREDIT_GRADE_B, Visits: []*Visit{
		{Plans: []*Plan{p("A", routine), p("B", routine), p("A", routine), p("C", cas)}},
		{Plans: []*Plan{p("A", routine)}},
		{Plans: []*Plan{p("A", routine), p("A", cas), p("B", routine)}},
	}}
	expect(s)
	want := [][]Outcome{
		{OutcomeAlone, OutcomeJoined, OutcomeDuplicate, OutcomeJoined},
		{OutcomeAlone},
		// A's third proactive plan is capped; its 个案 plan is exempt and
		// makes the visit; B joins it.
		{OutcomeCapped, OutcomeAlone, OutcomeJoined},
	}
	for i, v := range s.Visits {
		for j, pl := range v.Plans {
			if pl.Expect != want[i][j] {
				t.Errorf("visit %d plan %d: expect %v, want %v", i, j, pl.Expect, want[i][j])
			}
		}
	}
	a := &Schedule{Grade: ruqiv1.CreditGrade_CREDIT_GRADE_A, Visits: []*Visit{{Plans: []*Plan{p("A", routine), p("B", cas), p("C", routine)}}}}
	expect(a)
	if got := []Outcome{a.Visits[0].Plans[0].Expect, a.Visits[0].Plans[1].Expect, a.Visits[0].Plans[2].Expect}; !reflect.DeepEqual(got, []Outcome{OutcomeCapped, OutcomeAlone, OutcomeCapped}) {
		t.Errorf("grade A: %v", got)
	}
}

func TestTamperChangesOneCharacter(t *testing.T) {
	code := "HTTP://127.0.0.1:7480/V/" + strings.Repeat("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 8)
	for from := 1; from <= 20; from++ {
		for with := 0; with < 32; with++ {
			got := Tamper(code, from, with)
			if len(got) != len(code) {
				t.Fatalf("length changed")
			}
			diff := 0
			for i := range code {
				if code[i] != got[i] {
					diff++
					if i == len(code)-1 || !strings.ContainsRune(base32Alphabet, rune(got[i])) {
						t.Fatalf("changed position %d into %q", i, got[i])
					}
				}
			}
			if diff != 1 {
				t.Fatalf("from=%d with=%d: %d characters changed", from, with, diff)
			}
		}
	}
}

func TestSharesValidate(t *testing.T) {
	for _, s := range []Shares{{Overlap: -0.1}, {Overlap: 0.6, Duplicate: 0.3, Cap: 0.2}, {Tampered: 0.7, WrongEnterprise: 0.4}, {Evaluate: 1.5}} {
		if s.validate() == nil {
			t.Errorf("%+v accepted", s)
		}
	}
	if err := DefaultShares().validate(); err != nil {
		t.Error(err)
	}
}

// A directory larger than a block is planned block by block: each block
// has its share of the plans and enterprises of its own, Seq runs on across
// blocks, and the blocks together are exactly the count asked for.
func TestGenerateBlocks_BoundedAndExact(t *testing.T) {
	dir := testDirectory(45000) // three blocks of 15,000
	const n = 9001
	var sizes []int
	seen := map[string]int{} // enterprise → block
	next := 0
	err := GenerateBlocks(dir, EnterprisesOf(dir), PlanOptions{Seed: 5, Inspections: n, Shares: DefaultShares(), ValidAt: validAt}, func(ps *PlanSet) error {
		sizes = append(sizes, len(ps.Plans))
		for _, p := range ps.Plans {
			if p.Seq != next {
				t.Fatalf("plan Seq %d, want %d", p.Seq, next)
			}
			next++
		}
		for _, s := range ps.Schedules {
			if b, ok := seen[s.Enterprise]; ok && b != len(sizes) {
				t.Fatalf("enterprise %s planned in blocks %d and %d", s.Enterprise, b, len(sizes))
			}
			seen[s.Enterprise] = len(sizes)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || next != n {
		t.Fatalf("blocks of %v plans, %d in all; want 3 blocks, %d plans", sizes, next, n)
	}
	for _, k := range sizes {
		if k < n/3-1 || k > n/3+1 {
			t.Errorf("block sizes %v, want about %d each", sizes, n/3)
		}
	}
	all := generate(t, dir, 5, n, DefaultShares())
	if len(all.Plans) != n || all.Plans[n-1].Seq != n-1 {
		t.Errorf("Generate: %d plans, last Seq %d", len(all.Plans), all.Plans[len(all.Plans)-1].Seq)
	}
}
