package domain

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The three copies this replaced disagreed at exp + leeway: the server and the
// verify page admitted the code there, the CLI's offline scan did not.
func TestTimeCode_HalfOpenWithLeeway(t *testing.T) {
	nbf := time.Date(2026, 3, 2, 9, 0, 0, 0, Shanghai)
	exp := nbf.Add(2 * time.Hour)
	leeway := 2 * time.Minute
	for _, tc := range []struct {
		name string
		now  time.Time
		want CodeTiming
	}{
		{"just before nbf-leeway", nbf.Add(-leeway - time.Nanosecond), CodeNotYetValid},
		{"at nbf-leeway", nbf.Add(-leeway), CodeInWindow},
		{"at nbf", nbf, CodeInWindow},
		{"at exp", exp, CodeInWindow},
		{"just before exp+leeway", exp.Add(leeway - time.Nanosecond), CodeInWindow},
		{"at exp+leeway", exp.Add(leeway), CodeExpired},
		{"after exp+leeway", exp.Add(leeway + time.Second), CodeExpired},
	} {
		if got := TimeCode(nbf, exp, tc.now, leeway); got != tc.want {
			t.Errorf("%s: TimeCode = %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := TimeCode(nbf, exp, exp, 0); got != CodeExpired {
		t.Errorf("no leeway, at exp: %v, want expired", got)
	}
}

func TestScanVerdict(t *testing.T) {
	const us, other = "91310000MA1FL8KQ3X", "91440300MA5FQ8EX2B"
	nbf := time.Date(2026, 3, 2, 9, 0, 0, 0, Shanghai)
	exp := nbf.Add(2 * time.Hour)
	leeway := 2 * time.Minute
	inWindow := nbf.Add(time.Hour)
	officer := func(status ruqiv1.CertificateStatus, until time.Time, number string) *ruqiv1.Officer {
		return &ruqiv1.Officer{Id: "O1", AgencyId: "AG-1", CertificateStatus: status, CertificateValidUntil: timestamppb.New(until), CertificateNumber: number}
	}
	active := officer(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, exp.AddDate(1, 0, 0), "C-1")
	ins := func(state ruqiv1.InspectionState) *ruqiv1.Inspection {
		return &ruqiv1.Inspection{Id: "INS-1", AgencyId: "AG-1", EnterpriseUscc: us, OfficerIds: []string{"O1", "O2"}, State: state}
	}
	registered := ins(ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED)
	facts := func(edit func(*ScanFacts)) ScanFacts {
		f := ScanFacts{ScannerUSCC: us, CodeUSCC: us, CodeInspectionID: "INS-1", CodeOfficerID: "O1", CodeCertificate: "C-1",
			NotBefore: nbf, Expiry: exp, Inspection: registered, Officer: active, OnRecord: true, RecordNotBefore: nbf, RecordExpiry: exp}
		if edit != nil {
			edit(&f)
		}
		return f
	}
	for _, tc := range []struct {
		name string
		f    ScanFacts
		now  time.Time
		want ruqiv1.Verdict
	}{
		{"valid", facts(nil), inWindow, ruqiv1.Verdict_VERDICT_VALID},
		{"another enterprise's code, before anything else", facts(func(f *ScanFacts) { f.ScannerUSCC, f.Inspection = other, nil }), exp.AddDate(0, 0, 9), ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE},
		{"no such inspection", facts(func(f *ScanFacts) { f.Inspection = nil }), inWindow, ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION},
		{"record for another enterprise", facts(func(f *ScanFacts) {
			f.Inspection = &ruqiv1.Inspection{Id: "INS-1", EnterpriseUscc: other, OfficerIds: []string{"O1"}}
		}), inWindow, ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION},
		{"officer not in the record", facts(func(f *ScanFacts) { f.CodeOfficerID = "O9" }), inWindow, ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION},
		{"cancelled, even out of window", facts(func(f *ScanFacts) { f.Inspection = ins(ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED) }), exp.AddDate(0, 0, 1), ruqiv1.Verdict_VERDICT_CANCELLED},
		{"closed, even inside the window", facts(func(f *ScanFacts) { f.Inspection = ins(ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED) }), inWindow, ruqiv1.Verdict_VERDICT_CLOSED},
		{"before nbf-leeway", facts(nil), nbf.Add(-leeway - time.Second), ruqiv1.Verdict_VERDICT_NOT_YET_VALID},
		{"at nbf-leeway", facts(nil), nbf.Add(-leeway), ruqiv1.Verdict_VERDICT_VALID},
		{"at exp+leeway", facts(nil), exp.Add(leeway), ruqiv1.Verdict_VERDICT_EXPIRED},
		{"expired wins over a bad certificate", facts(func(f *ScanFacts) { f.Officer = nil }), exp.Add(leeway), ruqiv1.Verdict_VERDICT_EXPIRED},
		{"officer gone", facts(func(f *ScanFacts) { f.Officer = nil }), inWindow, ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID},
		{"certificate suspended", facts(func(f *ScanFacts) {
			f.Officer = officer(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED, exp.AddDate(1, 0, 0), "C-1")
		}), inWindow, ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID},
		{"certificate expired", facts(func(f *ScanFacts) {
			f.Officer = officer(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, inWindow, "C-1")
		}), inWindow, ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID},
		{"certificate renumbered since", facts(func(f *ScanFacts) {
			f.Officer = officer(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, exp.AddDate(1, 0, 0), "C-2")
		}), inWindow, ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID},
		{"officer moved to another agency since", facts(func(f *ScanFacts) {
			o := officer(ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, exp.AddDate(1, 0, 0), "C-1")
			o.AgencyId = "AG-2"
			f.Officer = o
		}), inWindow, ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID},
		{"no code of the officer on record", facts(func(f *ScanFacts) { f.OnRecord = false }), inWindow, ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION},
		{"a window not the one on record (a leaked key's code)", facts(func(f *ScanFacts) {
			f.NotBefore, f.Expiry = nbf.AddDate(0, 0, 2), exp.AddDate(0, 0, 2)
		}), inWindow.AddDate(0, 0, 2), ruqiv1.Verdict_VERDICT_UNKNOWN_INSPECTION},
	} {
		if got := ScanVerdict(tc.f, tc.now, leeway); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A member's code is valid for its own plan's window, which may end after
// the joint visit's common time: scanned then, the note asked the
// enterprise to have the officers come again within the common time, which
// had already ended (a review, 2026-12-07). Before it, the note still offers
// the common time; within it, nothing is said.
func TestOutsideJointTime_AfterTheCommonTime_OffersNoTimeGone(t *testing.T) {
	start := time.Date(2026, 12, 7, 9, 0, 0, 0, Shanghai)
	end := start.Add(3 * time.Hour)
	leeway := 2 * time.Minute
	if got := OutsideJointTime(start, end, start.Add(time.Hour), leeway); got != "" {
		t.Errorf("within the common time: %q", got)
	}
	if got := OutsideJointTime(start, end, start.Add(-time.Hour), leeway); !strings.Contains(got, "再来") {
		t.Errorf("before the common time: %q; want the common time offered", got)
	}
	after := OutsideJointTime(start, end, end.Add(time.Hour), leeway)
	if after == "" || strings.Contains(after, "再来") || !strings.Contains(after, "已经结束") {
		t.Errorf("after the common time: %q; want it said to have ended, and no coming again within it", after)
	}
}
