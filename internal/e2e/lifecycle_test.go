package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// world is a server with the sample directory imported and tokens for an
// officer, two enterprises and a supervisor.
type world struct {
	*server
	f                   fixture
	officer, entA, entB string
}

func newWorld(t *testing.T, serverArgs ...string) *world {
	s := startServer(t, serverArgs...)
	w := &world{server: s, f: loadFixture(t)}
	out := s.mustCLI(s.admin, "admin", "import", sampleFile())
	if !strings.Contains(out, "500") {
		t.Fatalf("import output does not count 500 enterprises:\n%s", out)
	}
	w.officer = s.issueToken("officer", w.f.officers[0])
	w.entA = s.issueToken("enterprise", w.f.entA)
	w.entB = s.issueToken("enterprise", w.f.entB)
	return w
}

// register registers an inspection of enterprise A through the CLI.
func (w *world) register(from, to string, extra ...string) *ruqiv1.RegisterInspectionResponse {
	w.t.Helper()
	return w.registerFor(w.f.entA, from, to, extra...)
}

func (w *world) registerFor(uscc, from, to string, extra ...string) *ruqiv1.RegisterInspectionResponse {
	w.t.Helper()
	args := append([]string{"-o", "json", "officer", "register",
		"--enterprise", uscc,
		"--items", strings.Join(w.f.items, ","),
		"--officers", strings.Join(w.f.officers[:2], ","),
		"--from", from, "--to", to,
		"--type", "routine", "--reason", "2026年度日常监督检查"}, extra...)
	out := w.mustCLI(w.officer, args...)
	var resp ruqiv1.RegisterInspectionResponse
	mustUnmarshal(w.t, out, &resp)
	if len(resp.GetCodes()) != 2 {
		w.t.Fatalf("want one code per officer (2), got %d", len(resp.GetCodes()))
	}
	return &resp
}

// scan scans a code (token, URL, or --png path) as an enterprise.
func (w *world) scan(token string, args ...string) (*ruqiv1.ScanCodeResponse, cliResult) {
	w.t.Helper()
	r := w.cli(token, append([]string{"-o", "json", "company", "scan"}, args...)...)
	if r.exit != 0 && r.exit != 3 {
		w.t.Fatalf("scan %v: exit %d\n%s%s", args, r.exit, r.stdout, r.stderr)
	}
	var resp ruqiv1.ScanCodeResponse
	mustUnmarshal(w.t, r.stdout, &resp)
	if (r.exit == 0) != (resp.GetVerdict() == ruqiv1.Verdict_VERDICT_VALID) {
		w.t.Fatalf("exit %d does not match verdict %s", r.exit, resp.GetVerdict())
	}
	return &resp, r
}

func wantVerdict(t *testing.T, what string, got *ruqiv1.ScanCodeResponse, want ruqiv1.Verdict) {
	t.Helper()
	if got.GetVerdict() != want {
		t.Fatalf("%s: verdict %s (%s), want %s", what, got.GetVerdict(), got.GetMessage(), want)
	}
}

func TestInspection_RegisterCodeScan_EndToEnd(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+4h")
	ins := reg.GetInspection()
	code := reg.GetCodes()[0]

	// The officer fetches the code as a PNG, and the enterprise scans the PNG.
	png := filepath.Join(t.TempDir(), "code.png")
	w.mustCLI(w.officer, "officer", "code", "--inspection", ins.GetId(), "--officer", code.GetOfficerId(), "--png", png)
	if st, err := os.Stat(png); err != nil || st.Size() == 0 {
		t.Fatalf("no PNG written: %v", err)
	}
	first, _ := w.scan(w.entA, "--png", png)
	wantVerdict(t, "first scan", first, ruqiv1.Verdict_VERDICT_VALID)
	if !first.GetFirstCheckIn() {
		t.Fatal("first scan is not a first check-in")
	}
	v := first.GetInspection()
	if v.GetInspectionId() != ins.GetId() || len(v.GetOfficers()) != 2 || len(v.GetCheckItems()) != 2 || len(v.GetAgencies()) != 1 {
		t.Fatalf("scan shows %v", v)
	}
	for _, it := range v.GetCheckItems() {
		if it.GetLegalBasis().GetLaw() == "" {
			t.Fatalf("item %s without legal basis", it.GetCheckItemId())
		}
	}
	for _, o := range v.GetOfficers() {
		if o.GetCertificateNumber() == "" || o.GetName() == "" || !o.GetCertificateValid() {
			t.Fatalf("officer shown as %v", o)
		}
	}

	// Scanning again (by URL this time) is the same check-in.
	again, _ := w.scan(w.entA, code.GetUrl())
	wantVerdict(t, "second scan", again, ruqiv1.Verdict_VERDICT_VALID)
	if again.GetFirstCheckIn() || !again.GetCheckedInAt().AsTime().Equal(first.GetCheckedInAt().AsTime()) {
		t.Fatalf("second scan: first=%v at %v, want the first check-in at %v", again.GetFirstCheckIn(), again.GetCheckedInAt().AsTime(), first.GetCheckedInAt().AsTime())
	}

	// One character of the signature changed.
	tok := code.GetToken()
	i := len(tok) - 5
	swapped := byte('A')
	if tok[i] == 'A' {
		swapped = 'B'
	}
	tampered := tok[:i] + string(swapped) + tok[i+1:]
	bad, _ := w.scan(w.entA, tampered)
	wantVerdict(t, "tampered", bad, ruqiv1.Verdict_VERDICT_BAD_SIGNATURE)
	if bad.GetInspection() != nil {
		t.Fatal("a tampered code revealed the inspection")
	}

	// Another enterprise scans A's code: rejected, and told nothing about it.
	foreign, _ := w.scan(w.entB, tok)
	wantVerdict(t, "foreign enterprise", foreign, ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE)
	if foreign.GetInspection() != nil {
		t.Fatal("a foreign enterprise was shown the inspection")
	}

	// The enterprise's history shows it once.
	hist := w.mustCLI(w.entA, "-o", "json", "company", "history")
	var list ruqiv1.ListInspectionsResponse
	mustUnmarshal(t, hist, &list)
	if len(list.GetInspections()) != 1 || list.GetInspections()[0].GetInspectionId() != ins.GetId() {
		t.Fatalf("history = %v", list.GetInspections())
	}
	if got := list.GetInspections()[0].GetCheckedInAt(); !got.AsTime().Equal(first.GetCheckedInAt().AsTime()) {
		t.Fatalf("history shows check-in at %v, want the first scan's %v", got.AsTime(), first.GetCheckedInAt().AsTime())
	}

	// A visit that took place cannot be cancelled afterwards.
	if r := w.cli(w.officer, "officer", "cancel", "--inspection", ins.GetId(), "--reason", "企业停产，改期检查"); r.exit != 1 || !strings.Contains(r.stderr, "INSPECTION_HAPPENED") {
		t.Fatalf("cancelling a visit that took place: exit %d\n%s", r.exit, r.stderr)
	}
	// One that has not: its codes stop verifying.
	other := w.registerFor(w.f.entB, "now", "now+4h")
	w.mustCLI(w.officer, "officer", "cancel", "--inspection", other.GetInspection().GetId(), "--reason", "企业停产，改期检查")
	cancelled, _ := w.scan(w.entB, other.GetCodes()[0].GetToken())
	wantVerdict(t, "after cancel", cancelled, ruqiv1.Verdict_VERDICT_CANCELLED)

	// The enterprise refuses, naming the code it was shown.
	w.mustCLI(w.entA, "company", "refuse", "--code", tok, "--reason", "出示的入企码与现场人员不符")

	// Every step is in the log, and the chain holds.
	events := w.mustCLI(w.admin, "-o", "json", "admin", "events", "list", "--inspection", ins.GetId())
	var ev ruqiv1.ListEventsResponse
	mustUnmarshal(t, events, &ev)
	var kinds []string
	for _, e := range ev.GetEvents() {
		kinds = append(kinds, strings.TrimPrefix(e.GetType().String(), "EVENT_TYPE_"))
	}
	want := "REGISTERED CODE_ISSUED CODE_ISSUED SCAN_VERIFIED SCAN_VERIFIED LEAD_OPENED SCAN_REJECTED REFUSED LEAD_OPENED"
	if strings.Join(kinds, " ") != want {
		t.Fatalf("events of the inspection:\n got %s\nwant %s", strings.Join(kinds, " "), want)
	}
	w.mustCLI(w.admin, "admin", "events", "verify")
}

func TestScan_AfterWindow_IsExpired(t *testing.T) {
	w := newWorld(t, "-clock-leeway", "1s")
	reg := w.register("now", "now+2s")
	time.Sleep(4 * time.Second)
	got, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "after the window", got, ruqiv1.Verdict_VERDICT_EXPIRED)
}

func TestScan_BeforeWindow_IsNotYetValid(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now+2h", "now+4h")
	got, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "before the window", got, ruqiv1.Verdict_VERDICT_NOT_YET_VALID)
	if got.GetInspection() == nil {
		t.Fatal("the enterprise should still see what was registered for it")
	}
}

func TestKeyRotation_OldCodesVerifyUntilExpiry(t *testing.T) {
	w := newWorld(t)
	old := w.register("now", "now+4h")
	w.mustCLI(w.admin, "admin", "keys", "rotate")
	fresh := w.registerFor(w.f.entB, "now", "now+2h")
	if old.GetCodes()[0].GetKeyId() == fresh.GetCodes()[0].GetKeyId() {
		t.Fatal("rotation did not change the signing key")
	}
	got, _ := w.scan(w.entA, old.GetCodes()[0].GetToken())
	wantVerdict(t, "old key", got, ruqiv1.Verdict_VERDICT_VALID)
	got, _ = w.scan(w.entB, fresh.GetCodes()[0].GetToken())
	wantVerdict(t, "new key", got, ruqiv1.Verdict_VERDICT_VALID)
	keys, err := ruqiv1.NewKeyServiceClient(w.conn("")).ListPublicKeys(context.Background(), &ruqiv1.ListPublicKeysRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys.GetKeys()) != 2 {
		t.Fatalf("published keys = %d, want the active and the retired one", len(keys.GetKeys()))
	}
	for _, k := range keys.GetKeys() {
		if k.GetKeyId() == old.GetCodes()[0].GetKeyId() && (k.GetStatus() != ruqiv1.KeyStatus_KEY_STATUS_RETIRED || k.GetVerifyUntil().AsTime().Before(old.GetCodes()[0].GetExpiresAt().AsTime())) {
			t.Fatalf("retired key published as %v; must verify until its last code expires", k)
		}
	}
}

func TestRestart_KeepsInspectionsKeysAndEvents(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+4h")
	before := w.eventCount()
	w.restart()
	got, _ := w.scan(w.entA, reg.GetCodes()[1].GetToken())
	wantVerdict(t, "code issued before the restart", got, ruqiv1.Verdict_VERDICT_VALID)
	out := w.mustCLI(w.officer, "-o", "json", "officer", "show", "--inspection", reg.GetInspection().GetId())
	var ins ruqiv1.GetInspectionResponse
	mustUnmarshal(t, out, &ins)
	if ins.GetInspection().GetId() != reg.GetInspection().GetId() {
		t.Fatalf("inspection after restart = %v", ins.GetInspection())
	}
	if after := w.eventCount(); after != before+1 {
		t.Fatalf("events: %d before restart, %d after one more scan", before, after)
	}
}

func TestScan_Offline_AgainstCachedKeys(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+4h")
	w.mustCLI("", "keys", "fetch")
	r := w.cli("", "company", "scan", "--offline", "--as", w.f.entA, reg.GetCodes()[0].GetUrl())
	if r.exit != 0 || !strings.Contains(r.stdout+r.stderr, "离线") {
		t.Fatalf("offline scan: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	r = w.cli("", "company", "scan", "--offline", "--as", w.f.entB, reg.GetCodes()[0].GetUrl())
	if r.exit != 3 {
		t.Fatalf("offline scan by another enterprise: exit %d, want 3\n%s%s", r.exit, r.stdout, r.stderr)
	}
}
