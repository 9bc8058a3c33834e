package domain

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func planAt(start time.Time, typ ruqiv1.InspectionType, kind ruqiv1.VisitKind) *ruqiv1.Inspection {
	return &ruqiv1.Inspection{Id: "INS-1", Type: typ, VisitKind: kind, State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour))}
}

func scannedAt(ins *ruqiv1.Inspection, t time.Time) *ruqiv1.Inspection {
	ins.FirstCheckedInAt = timestamppb.New(t)
	return ins
}

func completed(ins *ruqiv1.Inspection) *ruqiv1.Inspection {
	ins.State = ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
	return ins
}

func TestNotice_RoutineFromLeadTime_UnannouncedFromWindowStart(t *testing.T) {
	start := time.Date(2026, 12, 10, 9, 0, 0, 0, Shanghai)
	n := Notice{Lead: 3 * 24 * time.Hour, Unannounced: []ruqiv1.InspectionType{ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, ruqiv1.InspectionType_INSPECTION_TYPE_CASE}}
	cases := []struct {
		name string
		ins  *ruqiv1.Inspection
		at   time.Time
		want bool
	}{
		{"routine, 3 days before", planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, 0), start.Add(-72 * time.Hour), true},
		{"routine, just before the notice", planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, 0), start.Add(-72*time.Hour - time.Second), false},
		{"random, a minute before", planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, 0), start.Add(-time.Minute), false},
		{"random, at its start", planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, 0), start, true},
		{"case, at its start", planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_CASE, 0), start, true},
		{"survey, announced like routine", planAt(start, 0, ruqiv1.VisitKind_VISIT_KIND_SURVEY), start.Add(-48 * time.Hour), true},
		// The visit took place as the enterprise saw it: its code scanned
		// there, or its results recorded.
		{"random, scanned early", scannedAt(planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_RANDOM, 0), start.Add(-time.Hour)), start.Add(-time.Minute), true},
		{"case, completed", completed(planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_CASE, 0)), start.Add(-time.Minute), true},
	}
	for _, c := range cases {
		if got := n.Shown(c.ins, c.at); got != c.want {
			t.Errorf("%s: shown %v, want %v", c.name, got, c.want)
		}
	}
	ins := planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, 0)
	if n.Upcoming(ins, start.Add(2*time.Hour)) {
		t.Error("a visit whose window has ended is still upcoming")
	}
	ins.State = ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED
	if n.Upcoming(ins, start.Add(-time.Hour)) {
		t.Error("a cancelled visit is upcoming")
	}
}

func TestMayEvaluate_VisitOnceCheckedIn_InspectionOnceClosed(t *testing.T) {
	start := time.Date(2026, 12, 10, 9, 0, 0, 0, Shanghai)
	survey := planAt(start, 0, ruqiv1.VisitKind_VISIT_KIND_SURVEY)
	if err := MayEvaluate(survey, start.Add(time.Hour)); err == nil {
		t.Error("a survey not checked in, within its window, evaluated")
	}
	// Not after its window either, unscanned: an evaluation follows a
	// check-in the agency sees (2026-12-06).
	if err := MayEvaluate(survey, start.Add(3*time.Hour)); err == nil {
		t.Error("a survey never checked in, after its window, evaluated")
	}
	survey.FirstCheckedInAt = timestamppb.New(start)
	if err := MayEvaluate(survey, start.Add(time.Hour)); err != nil {
		t.Errorf("a checked-in survey: %v", err)
	}
	ins := planAt(start, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, 0)
	ins.FirstCheckedInAt = timestamppb.New(start)
	if err := MayEvaluate(ins, start.Add(3*time.Hour)); err == nil {
		t.Error("an inspection not closed evaluated")
	}
}

func TestValidateRequestShape_VisitNotInspection(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, Shanghai)
	req := func() *ruqiv1.RegisterInspectionRequest {
		return &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: "91510104CY4C7RGWMR", OfficerIds: []string{"O-1"}, Reason: "走访",
			VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY, WindowStart: timestamppb.New(now.Add(time.Hour)), WindowEnd: timestamppb.New(now.Add(2 * time.Hour))}
	}
	if err := ValidateRequestShape(req(), now, DefaultLimits()); err != nil {
		t.Fatalf("a survey with one person: %v", err)
	}
	for reason, edit := range map[string]func(*ruqiv1.RegisterInspectionRequest){
		"VISIT_HAS_ITEMS":    func(r *ruqiv1.RegisterInspectionRequest) { r.CheckItemIds = []string{"CI-1"} },
		"VISIT_HAS_TYPE":     func(r *ruqiv1.RegisterInspectionRequest) { r.Type = ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE },
		"VISIT_NOT_CASE":     func(r *ruqiv1.RegisterInspectionRequest) { r.TriggerReference = "JB-1" },
		"VISIT_KIND_UNKNOWN": func(r *ruqiv1.RegisterInspectionRequest) { r.VisitKind = 99 },
		"TOO_FEW_OFFICERS":   func(r *ruqiv1.RegisterInspectionRequest) { r.OfficerIds = nil },
	} {
		r := req()
		edit(r)
		err := ValidateRequestShape(r, now, DefaultLimits())
		if de, ok := err.(*Error); !ok || de.Reason != reason {
			t.Errorf("%s: got %v", reason, err)
		}
	}
}

func TestVisitKindClaim_RoundTrips(t *testing.T) {
	for k := range ruqiv1.VisitKind_name {
		kind := ruqiv1.VisitKind(k)
		back := VisitKindFromClaim(VisitKindClaim(kind))
		if IsInspection(kind) != IsInspection(back) || (!IsInspection(kind) && back != kind) {
			t.Errorf("%s: claim %q reads back as %s", kind, VisitKindClaim(kind), back)
		}
	}
}

// When a complaint says something happened: now give or take the leeway,
// back ten years; a future time and a slipped year (0001, 1026) are refused.
func TestValidateOccurred(t *testing.T) {
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want string
	}{
		{now, ""},
		{now.Add(30 * time.Second), ""},
		{now.Add(2 * time.Minute), "OCCURRED_IN_FUTURE"},
		{now.AddDate(-9, 0, 0), ""},
		{now.AddDate(-11, 0, 0), "OCCURRED_TOO_EARLY"},
		{time.Date(1, 3, 1, 9, 0, 0, 0, time.UTC), "OCCURRED_TOO_EARLY"},
		{time.Date(1026, 12, 1, 9, 0, 0, 0, time.UTC), "OCCURRED_TOO_EARLY"},
	} {
		if got := ReasonOf(ValidateOccurred(c.at, now, time.Minute)); got != c.want {
			t.Errorf("occurred %s: %q, want %q", c.at, got, c.want)
		}
	}
}
