package inspection_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

const (
	uscc   = "915101070AL6JK1YWK"
	region = "510107"
)

var (
	enterprise = auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, TokenID: "tok-e"}
	supervisor = auth.Principal{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "5101", TokenID: "tok-s"}
)

// fixture is a real bbolt store with one enterprise, one officer with a
// valid certificate and one registered inspection of that officer.
func fixture(t testing.TB, now time.Time) store.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "core.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	err = st.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: uscc, Name: "样例企业", RegionCode: region}); err != nil {
			return err
		}
		if err := tx.PutAgency(&ruqiv1.Agency{Id: "AG-1", Name: "样例部门", RegionCode: region}); err != nil {
			return err
		}
		for _, id := range []string{"O-1", "O-2"} {
			if err := tx.PutOfficer(&ruqiv1.Officer{Id: id, AgencyId: "AG-1", Name: "样例", CertificateNumber: "C-" + id[2:],
				CertificateStatus: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE, CertificateValidUntil: timestamppb.New(now.AddDate(1, 0, 0))}); err != nil {
				return err
			}
		}
		// O-1's code on record, for the window the tests' claims name.
		if err := tx.PutCode(&ruqiv1.InspectionCode{InspectionId: "INS-1", OfficerId: "O-1",
			NotBefore: timestamppb.New(now.Add(-time.Hour)), ExpiresAt: timestamppb.New(now.Add(time.Hour))}); err != nil {
			return err
		}
		return tx.PutInspection(&ruqiv1.Inspection{Id: "INS-1", AgencyId: "AG-1", EnterpriseUscc: uscc, OfficerIds: []string{"O-1", "O-2"},
			CheckItemIds: []string{"IT-1"}, WindowStart: timestamppb.New(now.Add(-time.Hour)), WindowEnd: timestamppb.New(now.Add(time.Hour)),
			State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED})
	})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func events(t *testing.T, st store.Store) []*ruqiv1.Event {
	t.Helper()
	var out []*ruqiv1.Event
	if err := st.View(context.Background(), func(r store.Reader) error {
		return r.Events(0, func(e *ruqiv1.Event) error { out = append(out, e); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func counts(t *testing.T, st store.Store, prefix string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	if err := st.View(context.Background(), func(r store.Reader) error {
		return r.Counts(prefix, func(k string, n int64) error { out[k] = n; return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func types(es []*ruqiv1.Event) string {
	var s []string
	for _, e := range es {
		s = append(s, strings.TrimPrefix(e.GetType().String(), "EVENT_TYPE_"))
	}
	return strings.Join(s, " ")
}

// A step's event, counts and lead are one write: when the step fails after
// recording them, none of them is left.
func TestJournal_EventCountsAndLead_AllOrNothing(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	errLater := errors.New("a later check of the same step failed")
	err := st.Update(context.Background(), func(tx store.Tx) error {
		j := inspection.NewJournal(tx, enterprise.String(), now)
		e := j.Event(ruqiv1.EventType_EVENT_TYPE_COMPLAINED)
		e.EnterpriseUscc = uscc
		if err := j.Record(e, inspection.Count{Metric: report.Complaints, At: now, Region: region, USCC: uscc, Delta: 1}); err != nil {
			return err
		}
		if _, err := j.OpenLead("", &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, EnterpriseUscc: uscc}); err != nil {
			return err
		}
		return errLater
	})
	if !errors.Is(err, errLater) {
		t.Fatalf("update: %v", err)
	}
	if es := events(t, st); len(es) != 0 {
		t.Errorf("events left by a failed step: %s", types(es))
	}
	if c := counts(t, st, ""); len(c) != 0 {
		t.Errorf("counters left by a failed step: %v", c)
	}

	var lead *ruqiv1.Lead
	err = st.Update(context.Background(), func(tx store.Tx) error {
		var err error
		lead, _, err = inspection.Complain(tx, enterprise, now, time.Minute, inspection.Complaint{InspectionID: "INS-1", Description: " 未出示执法证 ", Policies: coord.DefaultPolicies()})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	es := events(t, st)
	if got := types(es); got != "COMPLAINED LEAD_OPENED" {
		t.Fatalf("events %q, want the complaint then its lead", got)
	}
	if es[0].GetActor() != "enterprise:"+uscc || es[0].GetDetail() != "未出示执法证" || es[1].GetDetail() != lead.GetId()+" LEAD_KIND_COMPLAINT" {
		t.Errorf("events %v", es)
	}
	c := counts(t, st, "")
	if c["R|complained|"+report.Month(now)+"|"+region+"|AG-1"] != 1 || c["L|LEAD_STATUS_RECEIVED|"+region] != 1 {
		t.Errorf("counters %v", c)
	}
	if lead.GetRegionCode() != region || lead.GetAgencyId() != "AG-1" || len(lead.GetSteps()) != 1 {
		t.Errorf("lead %v", lead)
	}
}

// Refusing the same inspection twice is one refusal: one event, one lead,
// one count.
func TestRefuse_Twice_OneLead(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	var first, second inspection.Refused
	for _, out := range []*inspection.Refused{&first, &second} {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			var err error
			*out, err = inspection.Refuse(tx, enterprise, now, inspection.Refusal{InspectionID: "INS-1", Reason: "未出示入企码",
				LeadID: inspection.RefusalLeadID("INS-1", uscc), Policies: coord.DefaultPolicies()})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if first.Repeated || !second.Repeated || first.LeadID != second.LeadID || first.EventSeq == 0 {
		t.Errorf("first %+v, second %+v", first, second)
	}
	if got := types(events(t, st)); got != "REFUSED LEAD_OPENED" {
		t.Errorf("events %q", got)
	}
	if n := counts(t, st, "R|refused|")["R|refused|"+report.Month(now)+"|"+region+"|AG-1"]; n != 1 {
		t.Errorf("refusals counted %d, want 1", n)
	}
}

// A supervisor moves a lead only along its lifecycle and only in their
// region; a refused step writes nothing.
func TestUpdateLead_Refusals(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	var leadID string
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		l, _, err := inspection.Complain(tx, enterprise, now, time.Minute, inspection.Complaint{Description: "无码入企"})
		leadID = l.GetId()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	update := func(p auth.Principal, to ruqiv1.LeadStatus, note string) error {
		return st.Update(context.Background(), func(tx store.Tx) error {
			_, err := inspection.UpdateLead(tx, p, now, inspection.LeadUpdate{LeadID: leadID, Status: to, Note: note})
			return err
		})
	}
	other := auth.Principal{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "4403"}
	for _, tc := range []struct {
		name string
		p    auth.Principal
		to   ruqiv1.LeadStatus
		note string
		kind domain.Kind
	}{
		// Not found, as a lead that does not exist: lead ids derived
		// from what happened must not tell another region it did.
		{"another region's supervisor", other, ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, "核查", domain.KindNotFound},
		{"skipping checking", supervisor, ruqiv1.LeadStatus_LEAD_STATUS_RECTIFIED, "已整改", domain.KindFailedPrecondition},
		{"no note", supervisor, ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, "  ", domain.KindInvalid},
	} {
		if err := update(tc.p, tc.to, tc.note); domain.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want kind %v", tc.name, err, tc.kind)
		}
	}
	if got := types(events(t, st)); got != "COMPLAINED LEAD_OPENED" {
		t.Fatalf("refused steps wrote events: %q", got)
	}
	if err := update(supervisor, ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, "开始核查"); err != nil {
		t.Fatal(err)
	}
	c := counts(t, st, "L|")
	if c["L|LEAD_STATUS_RECEIVED|"+region] != 0 || c["L|LEAD_STATUS_CHECKING|"+region] != 1 {
		t.Errorf("lead counters %v", c)
	}
	if es := events(t, st); types(es[2:]) != "LEAD_UPDATED" || es[2].GetDetail() != leadID+" LEAD_STATUS_CHECKING" || es[2].GetActor() != supervisor.String() {
		t.Errorf("events %v", es)
	}
}

// A valid scan checks in once and counts 亮码 once; a scan outside the
// window is a rejected scan and one lead, however often it is repeated.
func TestScan_CheckInOnce_InvalidIsOneLead(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	claims := code.Claims{TokenID: []byte("0123456789abcdef"), InspectionID: "INS-1", OfficerID: "O-1", CertificateNumber: "C-1",
		EnterpriseUSCC: uscc, NotBefore: now.Add(-time.Hour), Expiry: now.Add(time.Hour)}
	scan := func(at time.Time) inspection.Scanned {
		t.Helper()
		var out inspection.Scanned
		if err := st.Update(context.Background(), func(tx store.Tx) error {
			var err error
			out, err = inspection.Scan(tx, enterprise, at, claims, "", domain.DefaultLimits())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	first, again := scan(now), scan(now.Add(time.Minute))
	if first.Verdict != ruqiv1.Verdict_VERDICT_VALID || !first.FirstCheckIn || again.FirstCheckIn || !again.CheckIn.At.Equal(first.CheckIn.At) {
		t.Errorf("first %+v, again %+v", first, again)
	}
	late := now.Add(time.Hour + 2*time.Minute)
	for range 2 {
		if v := scan(late).Verdict; v != ruqiv1.Verdict_VERDICT_EXPIRED {
			t.Errorf("at exp+leeway: %v, want expired", v)
		}
	}
	if got := types(events(t, st)); got != "SCAN_VERIFIED SCAN_VERIFIED LEAD_OPENED SCAN_REJECTED SCAN_REJECTED" {
		t.Errorf("events %q", got)
	}
	if n := counts(t, st, "R|scanned|")["R|scanned|"+report.Month(now.Add(-time.Hour))+"|"+region+"|AG-1"]; n != 1 {
		t.Errorf("亮码 counted %d, want 1", n)
	}
}

// An on-site inspection needs two officers with valid certificates: once
// the other is suspended, the code of the one left does not pass (a trial
// of a county's 综合查一次, 2026-12-06, found it read 核验通过).
func TestScan_TooFewValidOfficers(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	claims := code.Claims{TokenID: []byte("0123456789abcdef"), InspectionID: "INS-1", OfficerID: "O-1", CertificateNumber: "C-1",
		EnterpriseUSCC: uscc, NotBefore: now.Add(-time.Hour), Expiry: now.Add(time.Hour)}
	scan := func() ruqiv1.Verdict {
		t.Helper()
		var out inspection.Scanned
		if err := st.Update(context.Background(), func(tx store.Tx) error {
			var err error
			out, err = inspection.Scan(tx, enterprise, now, claims, "", domain.DefaultLimits())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out.Verdict
	}
	if v := scan(); v != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("two valid officers: %v", v)
	}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		o, err := tx.Officer("O-2")
		if err != nil {
			return err
		}
		o.CertificateStatus = ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED
		return tx.PutOfficer(o)
	}); err != nil {
		t.Fatal(err)
	}
	if v := scan(); v != ruqiv1.Verdict_VERDICT_TOO_FEW_OFFICERS {
		t.Errorf("O-2 suspended, O-1's code: %v, want too few officers", v)
	}
}

// A complaint must say what happened, within bounds, and not from the
// future beyond the clock leeway; a refused complaint writes nothing.
func TestComplain_Refusals(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	for _, tc := range []struct {
		name string
		in   inspection.Complaint
		kind domain.Kind
	}{
		{"nothing said", inspection.Complaint{Description: "  "}, domain.KindInvalid},
		{"too long", inspection.Complaint{Description: strings.Repeat("长", 2001)}, domain.KindInvalid},
		{"in the future", inspection.Complaint{Description: "检查", OccurredAt: timestamppb.New(now.Add(time.Hour))}, domain.KindInvalid},
		{"no such inspection", inspection.Complaint{Description: "检查", InspectionID: "INS-9", Policies: coord.DefaultPolicies()}, domain.KindNotFound},
	} {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			_, _, err := inspection.Complain(tx, enterprise, now, time.Minute, tc.in)
			return err
		})
		if domain.KindOf(err) != tc.kind {
			t.Errorf("%s: %v, want kind %v", tc.name, err, tc.kind)
		}
	}
	if es := events(t, st); len(es) != 0 {
		t.Errorf("refused complaints wrote %s", types(es))
	}
}

// A closed visit's code opened again by the enterprise's own account (to
// read the results and evaluate, as 检查记录 asks it to) is a review, not a
// code shown at the door: it opens no lead against the agency. A staff
// phone at the door scanning it still does (a trial as a restaurant on a
// phone, 2026-12-07: every evaluation left the 司法局 a lead
// 扫描到无效入企码 naming the agency that had closed the visit properly).
func TestScan_ClosedCodeReviewedIsNoLead(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		ins, err := tx.Inspection("INS-1")
		if err != nil {
			return err
		}
		ins.State = ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
		return tx.PutInspection(ins)
	}); err != nil {
		t.Fatal(err)
	}
	claims := code.Claims{TokenID: []byte("0123456789abcdef"), InspectionID: "INS-1", OfficerID: "O-1", CertificateNumber: "C-1",
		EnterpriseUSCC: uscc, NotBefore: now.Add(-time.Hour), Expiry: now.Add(time.Hour)}
	scan := func(p auth.Principal) { t.Helper(); scanWanting(t, st, p, now, claims, ruqiv1.Verdict_VERDICT_CLOSED) }
	account := enterprise
	account.Kind = store.TokenSession
	scan(account)
	scan(enterprise) // an issued token: the CLI's company scan
	if got := types(events(t, st)); got != "SCAN_REJECTED SCAN_REJECTED" {
		t.Errorf("reviewed by the account and the CLI: events %q, want the scans and no lead", got)
	}
	device := enterprise
	device.Kind, device.TokenID = store.TokenDevice, "tok-d"
	scan(device)
	if got := types(events(t, st)); got != "SCAN_REJECTED SCAN_REJECTED LEAD_OPENED SCAN_REJECTED" {
		t.Errorf("at the door: events %q, want a lead", got)
	}
}

// The code of a visit recorded after the fact (事后补录), expired when it
// was registered, scanned by the enterprise's account to read it opens no
// lead: the late record has its own (an officer's trial of the CLI,
// 2026-12-07). At the door, on a staff phone, it does.
func TestScan_LateRecordsExpiredCodeReviewedIsNoLead(t *testing.T) {
	for _, c := range []struct {
		name       string
		registered time.Duration // before now; the window is 5 to 3 hours ago
		lead       bool          // for the enterprise's account
	}{
		{"registered after its window", time.Hour, false},
		// Registered while it ran: its codes were valid at the door, and
		// one shown there after the window is an expired code like any
		// other (a review, 2026-12-07).
		{"registered within its window", 4 * time.Hour, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := time.Now()
			st := fixture(t, now)
			if err := st.Update(context.Background(), func(tx store.Tx) error {
				ins, err := tx.Inspection("INS-1")
				if err != nil {
					return err
				}
				ins.Late, ins.LateReason = true, "夜间紧急处置"
				ins.WindowStart, ins.WindowEnd = timestamppb.New(now.Add(-5*time.Hour)), timestamppb.New(now.Add(-3*time.Hour))
				ins.RegisteredAt = timestamppb.New(now.Add(-c.registered))
				// The code on record, for the window registered.
				if err := tx.PutCode(&ruqiv1.InspectionCode{InspectionId: "INS-1", OfficerId: "O-1",
					NotBefore: ins.GetWindowStart(), ExpiresAt: ins.GetWindowEnd()}); err != nil {
					return err
				}
				return tx.PutInspection(ins)
			}); err != nil {
				t.Fatal(err)
			}
			claims := code.Claims{TokenID: []byte("0123456789abcdef"), InspectionID: "INS-1", OfficerID: "O-1", CertificateNumber: "C-1",
				EnterpriseUSCC: uscc, NotBefore: now.Add(-5 * time.Hour), Expiry: now.Add(-3 * time.Hour)}
			scan := func(p auth.Principal) { t.Helper(); scanWanting(t, st, p, now, claims, ruqiv1.Verdict_VERDICT_EXPIRED) }
			account := enterprise
			account.Kind = store.TokenSession
			scan(account)
			if got := types(events(t, st)); strings.Contains(got, "LEAD_OPENED") != c.lead {
				t.Errorf("scanned by the account: events %q, want a lead: %v", got, c.lead)
			}
			device := enterprise
			device.Kind, device.TokenID = store.TokenDevice, "tok-d"
			scan(device)
			if got := types(events(t, st)); !strings.Contains(got, "LEAD_OPENED") || strings.Count(got, "SCAN_REJECTED") != 2 {
				t.Errorf("at the door: events %q, want a lead", got)
			}
		})
	}
}

// scanWanting scans claims as p in a write of its own, wanting verdict.
func scanWanting(t *testing.T, st store.Store, p auth.Principal, now time.Time, claims code.Claims, verdict ruqiv1.Verdict) {
	t.Helper()
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		out, err := inspection.Scan(tx, p, now, claims, "", domain.DefaultLimits())
		if err == nil && out.Verdict != verdict {
			t.Errorf("%s: verdict %v, want %v", p.Via(), out.Verdict, verdict)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
