package domain

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func TestMutual_WithinIntervalEitherOrder_IsVerified(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, Shanghai)
	iv := 15 * time.Minute
	cases := []struct {
		name             string
		checkIn, arrival time.Time
		want             ruqiv1.MutualVerification
	}{
		{"arrival then check-in", t0.Add(10 * time.Minute), t0, ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED},
		{"check-in then arrival", t0, t0.Add(15 * time.Minute), ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED},
		{"too far apart", t0, t0.Add(16 * time.Minute), ruqiv1.MutualVerification_MUTUAL_VERIFICATION_APART},
		{"no arrival", t0, time.Time{}, ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING},
		{"no check-in", time.Time{}, t0, ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING},
	}
	for _, c := range cases {
		if got := Mutual(c.checkIn, c.arrival, iv); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestArrivalOutsideWindow_BeyondTolerance(t *testing.T) {
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, Shanghai)
	end := start.Add(4 * time.Hour)
	tol := 2 * time.Hour
	for _, c := range []struct {
		at   time.Time
		want bool
	}{
		{start.Add(-2 * time.Hour), false}, {start.Add(-2*time.Hour - time.Second), true},
		{end.Add(2*time.Hour - time.Second), false}, {end.Add(2 * time.Hour), true}, {start.Add(time.Hour), false},
	} {
		if got := ArrivalOutsideWindow(c.at, start, end, tol); got != c.want {
			t.Errorf("arrival at %s: outside %v, want %v", c.at, got, c.want)
		}
	}
}

func TestVisitsOverlap_WithinSpan(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 9, 0, 0, 0, Shanghai)
	span := 30 * time.Minute
	if !VisitsOverlap(t0, t0.Add(29*time.Minute), span) || !VisitsOverlap(t0.Add(29*time.Minute), t0, span) {
		t.Error("check-ins 29 min apart do not overlap over a 30 min span")
	}
	if VisitsOverlap(t0, t0.Add(30*time.Minute), span) {
		t.Error("check-ins a whole span apart overlap")
	}
}

func TestCheckArrival_Refusals(t *testing.T) {
	ins := &ruqiv1.Inspection{Id: "INS-1", AgencyId: "AG-1", EnterpriseUscc: "A", OfficerIds: []string{"O-1", "O-2"}}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, Shanghai)
	officer := &ruqiv1.Officer{Id: "O-1", AgencyId: "AG-1", CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, CertificateValidUntil: timestamppb.New(now.AddDate(1, 0, 0))}
	ok := ArrivalFacts{OfficerID: "O-1", Inspection: ins, CodeUSCC: "A", CodeGeneration: 2, CurrentGeneration: 2, SameToken: true, Officer: officer, Now: now}
	if err := CheckArrival(ok); err != nil {
		t.Fatalf("good arrival refused: %v", err)
	}
	for name, c := range map[string]struct {
		f      func(*ArrivalFacts)
		reason string
	}{
		"officer not on it":  {func(f *ArrivalFacts) { f.OfficerID = "O-3" }, "NOT_ON_INSPECTION"},
		"another enterprise": {func(f *ArrivalFacts) { f.CodeUSCC = "B" }, "ENTERPRISE_CODE_WRONG_ENTERPRISE"},
		"old generation":     {func(f *ArrivalFacts) { f.CodeGeneration = 1 }, "ENTERPRISE_CODE_SUPERSEDED"},
		"other token":        {func(f *ArrivalFacts) { f.SameToken = false }, "ENTERPRISE_CODE_SUPERSEDED"},
		"never issued":       {func(f *ArrivalFacts) { f.CurrentGeneration = 0 }, "ENTERPRISE_CODE_SUPERSEDED"},
		"certificate revoked": {func(f *ArrivalFacts) {
			o := proto.Clone(officer).(*ruqiv1.Officer)
			o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED
			f.Officer = o
		}, "CERTIFICATE_INVALID"},
		"certificate expired": {func(f *ArrivalFacts) { f.Now = now.AddDate(2, 0, 0) }, "CERTIFICATE_INVALID"},
		"officer unknown":     {func(f *ArrivalFacts) { f.Officer = nil }, "CERTIFICATE_INVALID"},
		"moved to another agency": {func(f *ArrivalFacts) {
			o := proto.Clone(officer).(*ruqiv1.Officer)
			o.AgencyId = "AG-2"
			f.Officer = o
		}, "OFFICER_NOT_OF_AGENCY"},
		"cancelled": {func(f *ArrivalFacts) {
			f.Inspection = &ruqiv1.Inspection{Id: "INS-1", EnterpriseUscc: "A", OfficerIds: []string{"O-1"}, State: ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED}
		}, "INSPECTION_CANCELLED"},
	} {
		f := ok
		c.f(&f)
		err := CheckArrival(f)
		de, isDomain := err.(*Error)
		if !isDomain || de.Reason != c.reason {
			t.Errorf("%s: %v, want reason %s", name, err, c.reason)
		}
	}
}
