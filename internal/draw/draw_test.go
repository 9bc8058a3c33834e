package draw

import (
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func sampleDraw() *ruqiv1.Draw {
	return &ruqiv1.Draw{
		Id: "DRW-20261202-ABCDEFGH", AgencyId: "AG-SCJG", Title: "2026年12月 食品经营双随机抽查", Procedure: ProcedureV1,
		EnterprisePopulation: Normalize([]string{"91110000600037341L", "91320000134792410X", "91350100M000100Y43", "91440300708461136T", "91510100MA61R0KX1T", "91610000220581658U"}),
		EnterpriseCount:      2,
		OfficerPopulation:    Normalize([]string{"O-0003", "O-0001", "O-0007", "O-0002"}),
		OfficerCount:         2,
	}
}

// The procedure as documented, re-implemented independently (a few lines of
// Python's hashlib/hmac, in the commit that added this test) gave these
// values: a change to the procedure or to the commitment text breaks them.
func TestPick_KnownAnswer_FromIndependentImplementation(t *testing.T) {
	d := sampleDraw()
	if got := hex.EncodeToString(Commitment(d)); got != "d361acd86f324fda7e1ce6cd96d729e32ecf824884134a87cbf7da93189997da" {
		t.Fatalf("commitment %s\n%s", got, CommitmentText(d))
	}
	root := make([]byte, 32)
	for i := range root {
		root[i] = byte(i)
	}
	p := Pick(d, root)
	if !slices.Equal(p.Enterprises, []string{"91320000134792410X", "91610000220581658U"}) || !slices.Equal(p.Officers, []string{"O-0003", "O-0002"}) {
		t.Fatalf("picks %+v", p)
	}
}

func TestPick_AnyChangeOfInputs_ChangesTheSeed(t *testing.T) {
	d := sampleDraw()
	d.EnterpriseCount = 6 // the whole population, in draw order
	root := make([]byte, 32)
	base := Pick(d, root).Enterprises
	if len(base) != 6 || !slices.Equal(Normalize(base), d.GetEnterprisePopulation()) {
		t.Fatalf("a full draw is not a permutation of the population: %v", base)
	}
	other := proto.CloneOf(d)
	other.Title += "（改）"
	root2 := append([]byte(nil), root...)
	root2[31] = 1
	for name, got := range map[string][]string{"title": Pick(other, root).Enterprises, "randomness": Pick(d, root2).Enterprises} {
		if slices.Equal(got, base) {
			t.Errorf("changing the %s left the order unchanged: %v", name, got)
		}
	}
}

// Sampling is uniform enough that every member of a small population is
// picked first for some randomness: a bias towards the sorted order would
// show here.
func TestPick_EveryMemberCanComeFirst(t *testing.T) {
	d := sampleDraw()
	d.EnterpriseCount = 1
	first := map[string]int{}
	for i := 0; i < 600; i++ {
		root := make([]byte, 32)
		root[0], root[1] = byte(i), byte(i>>8)
		first[Pick(d, root).Enterprises[0]]++
	}
	for _, m := range d.GetEnterprisePopulation() {
		if first[m] < 50 { // expected 100 of 600
			t.Errorf("%s picked first %d times of 600: %v", m, first[m], first)
		}
	}
}

func TestCheckShape_RefusesWhatCouldMakeTheTextAmbiguous(t *testing.T) {
	for name, f := range map[string]func(d *ruqiv1.Draw){
		"unknown procedure": func(d *ruqiv1.Draw) { d.Procedure = "ruqi-draw-v0" },
		"unsorted": func(d *ruqiv1.Draw) {
			d.EnterprisePopulation[0], d.EnterprisePopulation[1] = d.EnterprisePopulation[1], d.EnterprisePopulation[0]
		},
		"repeated":           func(d *ruqiv1.Draw) { d.EnterprisePopulation[1] = d.EnterprisePopulation[0] },
		"newline in member":  func(d *ruqiv1.Draw) { d.OfficerPopulation[0] = "O-0001\nofficers 1 pick 1" },
		"count above":        func(d *ruqiv1.Draw) { d.EnterpriseCount = 7 },
		"count zero":         func(d *ruqiv1.Draw) { d.EnterpriseCount = 0 },
		"officers not drawn": func(d *ruqiv1.Draw) { d.OfficerCount = 0 },
		"no enterprises":     func(d *ruqiv1.Draw) { d.EnterprisePopulation = nil },
	} {
		d := sampleDraw()
		f(d)
		if err := CheckShape(d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	d := sampleDraw()
	d.OfficerPopulation, d.OfficerCount = nil, 0
	if err := CheckShape(d); err != nil {
		t.Errorf("a draw of enterprises only: %v", err)
	}
}

func TestParseCommitDetail_RoundTrip(t *testing.T) {
	c := Commitment(sampleDraw())
	id, got, err := ParseCommitDetail(CommitDetail("DRW-1", c))
	if err != nil || id != "DRW-1" || !slices.Equal(got, c) {
		t.Fatalf("%s %x %v", id, got, err)
	}
	for _, bad := range []string{"", "draw DRW-1", "draw DRW-1 sha256:zz", "draw DRW-1 sha256:" + strings.Repeat("ab", 31), "drew DRW-1 sha256:" + hex.EncodeToString(c)} {
		if _, _, err := ParseCommitDetail(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseRevealDetail_RoundTrip(t *testing.T) {
	d := sampleDraw()
	d.RandomnessSize = 1234
	id, size, err := ParseRevealDetail(RevealDetail(d))
	if err != nil || id != d.GetId() || size != 1234 {
		t.Fatalf("%s %d %v", id, size, err)
	}
	for _, bad := range []string{"", "draw DRW-1 checkpoint", "draw DRW-1 checkpoint x", "draw DRW-1 sha256:ab", "drew DRW-1 checkpoint 3"} {
		if _, _, err := ParseRevealDetail(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
