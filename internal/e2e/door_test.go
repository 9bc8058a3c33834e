package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// doorWorld is a world whose region requires 两码互核 (and sets no caps, so
// that one agency may visit several enterprises in one test).
func doorWorld(t *testing.T) *world {
	t.Helper()
	pol := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(pol, []byte(`{"default": {"require_mutual": true}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return newWorld(t, "-policy-file", pol)
}

// enterpriseCode gets an enterprise's code through the CLI, writing its
// poster; it returns the code and the poster's path.
func (w *world) enterpriseCode(token string, args ...string) (*ruqiv1.EnterpriseCode, string) {
	w.t.Helper()
	png := filepath.Join(w.t.TempDir(), "poster.png")
	out := w.mustCLI(token, append([]string{"-o", "json", "company", "code", "--png", png}, args...)...)
	var c ruqiv1.EnterpriseCode
	mustUnmarshal(w.t, out, &c)
	return &c, png
}

// arrive runs `officer arrive` as token.
func (w *world) arrive(token, inspectionID string, args ...string) (*ruqiv1.RecordArrivalResponse, cliResult) {
	w.t.Helper()
	r := w.cli(token, append([]string{"-o", "json", "officer", "arrive", "--inspection", inspectionID}, args...)...)
	var resp ruqiv1.RecordArrivalResponse
	if r.exit == 0 {
		mustUnmarshal(w.t, r.stdout, &resp)
	}
	return &resp, r
}

// wantAtDoor checks an officer's line of `officer show`.
func wantAtDoor(t *testing.T, w *world, inspectionID, officer string, checkedIn, arrived bool, mutual ruqiv1.MutualVerification) {
	t.Helper()
	var resp ruqiv1.GetInspectionResponse
	mustUnmarshal(t, w.mustCLI(w.officer, "-o", "json", "officer", "show", "--inspection", inspectionID), &resp)
	for _, d := range resp.GetAtDoor() {
		if d.GetOfficerId() != officer {
			continue
		}
		if (d.GetCheckedInAt() != nil) != checkedIn || (d.GetArrivedAt() != nil) != arrived || d.GetMutual() != mutual {
			t.Errorf("%s at the door of %s: %+v; want checked in %v, arrived %v, %s", officer, inspectionID, d, checkedIn, arrived, mutual)
		}
		return
	}
	t.Errorf("officer show %s has no line for %s", inspectionID, officer)
}

func codeOf(t *testing.T, reg *ruqiv1.RegisterInspectionResponse, officer string) *ruqiv1.InspectionCode {
	t.Helper()
	for _, c := range reg.GetCodes() {
		if c.GetOfficerId() == officer {
			return c
		}
	}
	t.Fatalf("no code for officer %s", officer)
	return nil
}

func (w *world) closeWithResults(officer, inspectionID string) {
	w.t.Helper()
	w.mustCLI(officer, "officer", "result", "--inspection", inspectionID,
		"--item", w.f.items[0]+"=no-problem", "--item", w.f.items[1]+"=no-problem", "--summary", "未发现问题", "--close")
}

func (w *world) doorWarnings(inspectionID string) []string {
	w.t.Helper()
	out := w.mustCLI(w.admin, "-o", "json", "admin", "events", "list", "--inspection", inspectionID)
	var evs ruqiv1.ListEventsResponse
	mustUnmarshal(w.t, out, &evs)
	var kinds []string
	for _, e := range evs.GetEvents() {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING {
			kinds = append(kinds, strings.Fields(e.GetDetail())[0])
		}
	}
	return kinds
}

func TestEnterpriseCode_PosterDecodesToTheCode(t *testing.T) {
	w := newWorld(t)
	c, png := w.enterpriseCode(w.entA, "--pdf", filepath.Join(t.TempDir(), "poster.pdf"))
	if c.GetGeneration() != 1 || c.GetEnterpriseUscc() != w.f.entA || !strings.Contains(c.GetUrl(), "/E/") {
		t.Fatalf("enterprise code = %+v", c)
	}
	img, err := os.ReadFile(png)
	if err != nil {
		t.Fatal(err)
	}
	text, err := code.DecodeQRPNG(img)
	if err != nil {
		t.Fatalf("decode the poster's QR: %v", err)
	}
	if text != c.GetUrl() {
		t.Fatalf("poster QR = %q, want the enterprise code %q", text, c.GetUrl())
	}
	tok, err := code.ExtractEnterpriseToken(text)
	if err != nil || tok != c.GetToken() {
		t.Fatalf("token in the poster = %q, %v; want %q", tok, err, c.GetToken())
	}
	// Asking again is the same code; the table output says how to use it.
	if again, _ := w.enterpriseCode(w.entA); again.GetToken() != c.GetToken() {
		t.Fatal("a second request issued another code")
	}
	if out := w.mustCLI(w.entA, "company", "code"); !strings.Contains(out, "执法人员到达时扫描此码登记到场") {
		t.Errorf("table output lacks the instruction:\n%s", out)
	}
	// An officer has no enterprise code.
	if r := w.cli(w.officer, "company", "code"); r.exit == 0 || !strings.Contains(r.stderr, "无权") {
		t.Errorf("officer asking for an enterprise code: exit %d, %s", r.exit, r.stderr)
	}
}

func TestArrive_Refusals(t *testing.T) {
	w := doorWorld(t)
	reg := w.register("now", "now+4h")
	id := reg.GetInspection().GetId()
	_, posterA := w.enterpriseCode(w.entA)
	_, posterB := w.enterpriseCode(w.entB)

	refused := func(name string, r cliResult, want string) {
		t.Helper()
		if r.exit == 0 || !strings.Contains(r.stderr, want) {
			t.Errorf("%s: exit %d, stderr %q; want a refusal saying %q", name, r.exit, r.stderr, want)
		}
	}
	_, r := w.arrive(w.officer, id, "--png", posterB)
	refused("another enterprise's code", r, "另一家企业")

	other := w.issueToken("officer", w.f.officers[2])
	_, r = w.arrive(other, id, "--png", posterA)
	refused("officer not on the inspection", r, "不在检查")

	_, r = w.arrive(w.officer, id, "HTTPS://X/E/NOTACODE")
	refused("not an enterprise code", r, "不是有效的企业码")
	// An officer's own inspection code is not an enterprise code.
	_, r = w.arrive(w.officer, id, strings.Replace(reg.GetCodes()[0].GetUrl(), "/V/", "/E/", 1))
	refused("an inspection code", r, "不是有效的企业码")

	newCode, _ := w.enterpriseCode(w.entA, "--reissue", "--reason", "海报被拍照外传")
	if newCode.GetGeneration() != 2 {
		t.Fatalf("re-issued generation %d, want 2", newCode.GetGeneration())
	}
	_, r = w.arrive(w.officer, id, "--png", posterA)
	refused("a re-issued (old) code", r, "重新生成")

	got, r := w.arrive(w.officer, id, newCode.GetUrl())
	if r.exit != 0 || !got.GetFirstArrival() || got.GetEnterpriseUscc() != w.f.entA {
		t.Fatalf("arrival with the new code: exit %d %s, %+v", r.exit, r.stderr, got)
	}
	out := w.mustCLI(w.admin, "-o", "json", "admin", "events", "list", "--inspection", id)
	if n := strings.Count(out, "EVENT_TYPE_ARRIVAL_REFUSED"); n != 5 {
		t.Errorf("%d ARRIVAL_REFUSED events for the inspection, want 5", n)
	}
}

// A clean visit (arrival, check-in, results) is mutually verified and raises
// no warning; each 不扫码 / 虚假扫码 scenario raises its own warning once.
func TestDoor_MutualVerificationAndWarnings(t *testing.T) {
	w := doorWorld(t)
	ents, err := readSampleEnterprises(8)
	if err != nil {
		t.Fatal(err)
	}
	var others []string
	for _, e := range ents {
		if e != w.f.entA && e != w.f.entB {
			others = append(others, e)
		}
	}

	// Clean: arrival, then the enterprise scans the same officer's code.
	clean := w.register("now", "now+4h")
	cleanID := clean.GetInspection().GetId()
	posterCode, _ := w.enterpriseCode(w.entA)
	got, r := w.arrive(w.officer, cleanID, posterCode.GetUrl())
	if r.exit != 0 || got.GetMutual() != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING {
		t.Fatalf("arrival before the check-in: exit %d %s, mutual %s", r.exit, r.stderr, got.GetMutual())
	}
	scan, _ := w.scan(w.entA, codeOf(t, clean, w.f.officers[0]).GetToken())
	wantVerdict(t, "clean visit", scan, ruqiv1.Verdict_VERDICT_VALID)
	if scan.GetMutual() != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED {
		t.Fatalf("check-in after the arrival: mutual %s, want VERIFIED", scan.GetMutual())
	}
	if again, _ := w.arrive(w.officer, cleanID, posterCode.GetUrl()); again.GetMutual() != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED || again.GetFirstArrival() {
		t.Errorf("repeat arrival: %+v", again)
	}
	w.closeWithResults(w.officer, cleanID)
	// The officer's view of the inspection says it too.
	wantAtDoor(t, w, cleanID, w.f.officers[0], true, true, ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED)
	wantAtDoor(t, w, cleanID, w.f.officers[1], false, false, ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING)
	if out := w.mustCLI(w.officer, "officer", "show", "--inspection", cleanID); !strings.Contains(out, "两码互核完成") {
		t.Errorf("officer show lacks 两码互核完成:\n%s", out)
	}

	// Not mutually verified: checked in, the officer never scanned the
	// enterprise code, where the region requires 两码互核.
	// The other officer's code: officer 0 is at enterprise A now.
	noArrival := w.registerFor(w.f.entB, "now", "now+4h")
	scan, _ = w.scan(w.entB, codeOf(t, noArrival, w.f.officers[1]).GetToken())
	wantVerdict(t, "no arrival", scan, ruqiv1.Verdict_VERDICT_VALID)
	if scan.GetMutual() != ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING {
		t.Errorf("check-in without arrival: mutual %s, want PENDING", scan.GetMutual())
	}
	w.closeWithResults(w.officer, noArrival.GetInspection().GetId())
	wantAtDoor(t, w, noArrival.GetInspection().GetId(), w.f.officers[1], true, false, ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING)

	// 不扫码: results without any check-in.
	noScan := w.registerFor(others[0], "now", "now+4h")
	w.closeWithResults(w.officer, noScan.GetInspection().GetId())

	// 虚假扫码: an arrival hours before the registered window.
	early := w.registerFor(others[1], "now+6h", "now+8h")
	entC := w.issueToken("enterprise", others[1])
	codeC, _ := w.enterpriseCode(entC)
	got, r = w.arrive(w.officer, early.GetInspection().GetId(), codeC.GetToken())
	if r.exit != 0 || !got.GetOutsideWindow() {
		t.Fatalf("arrival 6 h early: exit %d %s, outside_window %v", r.exit, r.stderr, got.GetOutsideWindow())
	}

	// 虚假扫码: officer 0, checked in at enterprise A just now, checked in
	// at another enterprise too.
	twoPlaces := w.registerFor(others[2], "now", "now+4h")
	entD := w.issueToken("enterprise", others[2])
	scan, _ = w.scan(entD, codeOf(t, twoPlaces, w.f.officers[0]).GetToken())
	wantVerdict(t, "second enterprise", scan, ruqiv1.Verdict_VERDICT_VALID)

	want := map[string][]string{
		twoPlaces.GetInspection().GetId(): {domain.WarnOverlappingCheckIns},
		cleanID:                           nil,
		noArrival.GetInspection().GetId(): {domain.WarnCheckInWithoutArrival},
		noScan.GetInspection().GetId():    {domain.WarnResultWithoutCheckIn},
		early.GetInspection().GetId():     {domain.WarnArrivalOutsideWindow},
	}
	for id, kinds := range want {
		if got := w.doorWarnings(id); strings.Join(got, ",") != strings.Join(kinds, ",") {
			t.Errorf("inspection %s: warnings %v, want %v", id, got, kinds)
		}
	}

	now := time.Now().In(domain.Shanghai)
	sup := w.issueToken("supervisor", "510000")
	out := w.mustCLI(sup, "-o", "json", "supervisor", "report", "--from", now.AddDate(0, -1, 0).Format("2006-01"), "--to", now.AddDate(0, 1, 0).Format("2006-01"))
	var rep ruqiv1.GetFrequencyReportResponse
	mustUnmarshal(t, out, &rep)
	tot := rep.GetTotals()
	if tot.GetMutuallyVerified() != 1 || tot.GetResultsWithoutCheckIn() != 1 || tot.GetCheckInsWithoutArrival() != 1 || tot.GetArrivalsOutsideWindow() != 1 || tot.GetOverlappingCheckIns() != 1 {
		t.Errorf("report totals: mutual %d, no check-in %d, no arrival %d, outside %d, overlapping %d; want 1 each",
			tot.GetMutuallyVerified(), tot.GetResultsWithoutCheckIn(), tot.GetCheckInsWithoutArrival(), tot.GetArrivalsOutsideWindow(), tot.GetOverlappingCheckIns())
	}
	// The early arrival's window has not begun: 两码互核率 is over the
	// four begun (2026-12-06).
	if tot.GetInspections() != 5 || tot.GetBegun() != 4 || tot.GetMutualRate() != 0.25 {
		t.Errorf("两码互核率 %v over %d begun of %d inspections, want 0.25 over 4 of 5", tot.GetMutualRate(), tot.GetBegun(), tot.GetInspections())
	}
	if table := w.mustCLI(sup, "supervisor", "report", "--from", now.AddDate(0, -1, 0).Format("2006-01"), "--to", now.AddDate(0, 1, 0).Format("2006-01")); !strings.Contains(table, "两码互核率") || !strings.Contains(table, "不扫码预警") {
		t.Errorf("report table lacks 两码互核率 or 不扫码预警:\n%s", table)
	}
}
