package domain

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestCheckDrawForInspection(t *testing.T) {
	revealed := time.Date(2026, 12, 3, 10, 0, 0, 0, Shanghai)
	after := revealed.Add(24 * time.Hour)
	d := &ruqiv1.Draw{Id: "DRW-1", AgencyId: "AG-01", Randomness: []byte{1}, PickedEnterprises: []string{"U1"},
		OfficerPopulation: []string{"O1", "O2", "O3"}, PickedOfficers: []string{"O1", "O2"}, RevealedAt: timestamppb.New(revealed)}
	random := ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM
	if err := CheckDrawForInspection(d, "AG-01", random, "U1", []string{"O2", "O1"}, after); err != nil {
		t.Fatalf("picked enterprise and officers: %v", err)
	}
	for name, c := range map[string]struct {
		agency, uscc string
		typ          ruqiv1.InspectionType
		officers     []string
		d            *ruqiv1.Draw
		reason       string
	}{
		"routine":            {"AG-01", "U1", ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, []string{"O1"}, d, "DRAW_NOT_RANDOM"},
		"other agency":       {"AG-02", "U1", random, []string{"O1"}, d, "DRAW_OTHER_AGENCY"},
		"not revealed":       {"AG-01", "U1", random, []string{"O1"}, &ruqiv1.Draw{Id: "DRW-2", AgencyId: "AG-01"}, "DRAW_NOT_REVEALED"},
		"enterprise not in":  {"AG-01", "U2", random, []string{"O1"}, d, "DRAW_ENTERPRISE_NOT_PICKED"},
		"officer not picked": {"AG-01", "U1", random, []string{"O1", "O3"}, d, "DRAW_OFFICER_NOT_PICKED"},
	} {
		err := CheckDrawForInspection(c.d, c.agency, c.typ, c.uscc, c.officers, after)
		if e, ok := err.(*Error); !ok || e.Reason != c.reason {
			t.Errorf("%s: %v, want %s", name, err, c.reason)
		}
	}
	// Officers not drawn: any officers of the agency.
	enterprisesOnly := &ruqiv1.Draw{Id: "DRW-3", AgencyId: "AG-01", Randomness: []byte{1}, PickedEnterprises: []string{"U1"}}
	if err := CheckDrawForInspection(enterprisesOnly, "AG-01", random, "U1", []string{"O9"}, after); err != nil {
		t.Errorf("a draw of enterprises only: %v", err)
	}
	// A visit that began before the draw was revealed was not chosen by it
	// (a late record naming a later draw; review, 2026-12-03).
	if err := CheckDrawForInspection(d, "AG-01", random, "U1", []string{"O1"}, revealed.Add(-time.Hour)); err == nil || err.(*Error).Reason != "DRAW_AFTER_WINDOW" {
		t.Errorf("a window before the reveal: %v, want DRAW_AFTER_WINDOW", err)
	}
}

func TestCheckAccompanimentRecord(t *testing.T) {
	yes, no, na := ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_YES, ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NO, ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_NOT_APPLICABLE
	rec := func(a, b, c, d ruqiv1.ChecklistAnswer, notes string) *ruqiv1.Accompaniment {
		return &ruqiv1.Accompaniment{CertificateShown: a, RightsExplained: b, SamplingProper: c, ConductCivil: d, Notes: notes}
	}
	for name, c := range map[string]struct {
		a        *ruqiv1.Accompaniment
		openLead bool
		finding  bool
		ok       bool
	}{
		"all fine":              {rec(yes, yes, na, yes, ""), false, false, true},
		"a 否 is a finding":      {rec(yes, no, na, yes, ""), false, true, true},
		"asked, with notes":     {rec(yes, yes, yes, yes, "态度生硬"), true, true, true},
		"asked, without notes":  {rec(yes, yes, yes, yes, ""), true, false, false},
		"an item left open":     {rec(yes, 0, yes, yes, ""), false, false, false},
		"an unknown answer (9)": {rec(yes, 9, yes, yes, ""), false, false, false},
	} {
		finding, err := CheckAccompanimentRecord(c.a, c.openLead)
		if (err == nil) != c.ok || (err == nil && finding != c.finding) {
			t.Errorf("%s: finding %v, err %v", name, finding, err)
		}
	}
}
