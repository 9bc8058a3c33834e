package draw

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Every input of a draw that the verifier shows is in its commitment: a
// draw changed in any one of them, members moved from one list to the
// other included, that still has a well-formed shape commits to another
// hash.
func TestCommitment_EveryInputChanged_AnotherCommitment(t *testing.T) {
	base := sampleDraw()
	want := Commitment(base)
	for name, change := range map[string]func(*ruqiv1.Draw){
		"id":                    func(d *ruqiv1.Draw) { d.Id += "X" },
		"agency":                func(d *ruqiv1.Draw) { d.AgencyId += "X" },
		"title":                 func(d *ruqiv1.Draw) { d.Title += " " },
		"enterprise count":      func(d *ruqiv1.Draw) { d.EnterpriseCount++ },
		"officer count":         func(d *ruqiv1.Draw) { d.OfficerCount-- },
		"an enterprise swapped": func(d *ruqiv1.Draw) { d.EnterprisePopulation[5] = "91610000220581658V" },
		"an enterprise dropped": func(d *ruqiv1.Draw) { d.EnterprisePopulation = d.EnterprisePopulation[:5] },
		"an officer swapped":    func(d *ruqiv1.Draw) { d.OfficerPopulation[0] = "O-0000" },
		"no officers":           func(d *ruqiv1.Draw) { d.OfficerPopulation, d.OfficerCount = nil, 0 },
		"last enterprise to officers": func(d *ruqiv1.Draw) {
			n := len(d.EnterprisePopulation)
			d.OfficerPopulation = Normalize(append(d.OfficerPopulation, d.EnterprisePopulation[n-1]))
			d.EnterprisePopulation = d.EnterprisePopulation[:n-1]
		},
	} {
		d := proto.CloneOf(base)
		change(d)
		if err := CheckShape(d); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if bytes.Equal(Commitment(d), want) {
			t.Errorf("changing the draw's %s leaves its commitment as it was", name)
		}
	}
}
