package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Every bad request is refused with the right code and a message in Chinese,
// and writes nothing: the event log has the same length afterwards.
func TestRegister_BadInput_ClearErrorNothingWritten(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ins := ruqiv1.NewInspectionServiceClient(w.conn(w.officer))
	now := time.Now()
	good := func() *ruqiv1.RegisterInspectionRequest {
		return &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: w.f.entA,
			CheckItemIds:   w.f.items,
			OfficerIds:     w.f.officers[:2],
			WindowStart:    timestamppb.New(now.Add(time.Hour)),
			WindowEnd:      timestamppb.New(now.Add(3 * time.Hour)),
			Type:           ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			Reason:         "日常检查",
		}
	}
	cases := []struct {
		name   string
		edit   func(r *ruqiv1.RegisterInspectionRequest)
		code   codes.Code
		reason string
	}{
		{"unknown enterprise", func(r *ruqiv1.RegisterInspectionRequest) { r.EnterpriseUscc = "91350100M000100Y43" }, codes.NotFound, "ENTERPRISE_UNKNOWN"},
		{"malformed USCC", func(r *ruqiv1.RegisterInspectionRequest) { r.EnterpriseUscc = w.f.entA[:17] + "Z" }, codes.InvalidArgument, "USCC_MALFORMED"},
		{"wrong check character", func(r *ruqiv1.RegisterInspectionRequest) {
			last := byte('0')
			if w.f.entA[17] == '0' {
				last = '1'
			}
			r.EnterpriseUscc = w.f.entA[:17] + string(last)
		}, codes.InvalidArgument, "USCC_CHECK_CHAR"},
		{"empty item list", func(r *ruqiv1.RegisterInspectionRequest) { r.CheckItemIds = nil }, codes.InvalidArgument, "ITEMS_EMPTY"},
		{"unknown item", func(r *ruqiv1.RegisterInspectionRequest) { r.CheckItemIds = []string{"CI-9999"} }, codes.NotFound, "ITEM_UNKNOWN"},
		{"item of another agency", func(r *ruqiv1.RegisterInspectionRequest) { r.CheckItemIds = []string{w.f.foreignItem} }, codes.FailedPrecondition, "ITEM_OF_OTHER_AGENCY"},
		{"one officer", func(r *ruqiv1.RegisterInspectionRequest) { r.OfficerIds = w.f.officers[:1] }, codes.InvalidArgument, "TOO_FEW_OFFICERS"},
		{"an army of officers", func(r *ruqiv1.RegisterInspectionRequest) {
			r.OfficerIds = nil
			for i := range domain.MaxOfficers + 1 {
				r.OfficerIds = append(r.OfficerIds, fmt.Sprintf("O-%04d", i+1))
			}
		}, codes.InvalidArgument, "TOO_MANY_OFFICERS"},
		{"every item there is, and more", func(r *ruqiv1.RegisterInspectionRequest) {
			r.CheckItemIds = nil
			for i := range domain.MaxCheckItems + 1 {
				r.CheckItemIds = append(r.CheckItemIds, fmt.Sprintf("CI-%04d", i+1))
			}
		}, codes.InvalidArgument, "TOO_MANY_ITEMS"},
		{"unknown officer", func(r *ruqiv1.RegisterInspectionRequest) { r.OfficerIds = []string{w.f.officers[0], "O-9999"} }, codes.NotFound, "OFFICER_UNKNOWN"},
		{"officer of another agency", func(r *ruqiv1.RegisterInspectionRequest) { r.OfficerIds = []string{w.f.officers[0], w.f.foreignOffice} }, codes.FailedPrecondition, "OFFICER_OF_OTHER_AGENCY"},
		{"window backwards", func(r *ruqiv1.RegisterInspectionRequest) { r.WindowStart, r.WindowEnd = r.WindowEnd, r.WindowStart }, codes.InvalidArgument, "WINDOW_BACKWARDS"},
		{"window too long", func(r *ruqiv1.RegisterInspectionRequest) { r.WindowEnd = timestamppb.New(now.Add(30 * 24 * time.Hour)) }, codes.InvalidArgument, "WINDOW_TOO_LONG"},
		{"window in the past", func(r *ruqiv1.RegisterInspectionRequest) {
			r.WindowStart, r.WindowEnd = timestamppb.New(now.Add(-5*time.Hour)), timestamppb.New(now.Add(-time.Hour))
		}, codes.InvalidArgument, "WINDOW_IN_PAST"},
		{"no window", func(r *ruqiv1.RegisterInspectionRequest) { r.WindowEnd = nil }, codes.InvalidArgument, "WINDOW_MISSING"},
		{"no type", func(r *ruqiv1.RegisterInspectionRequest) { r.Type = 0 }, codes.InvalidArgument, "TYPE_MISSING"},
		{"case without trigger", func(r *ruqiv1.RegisterInspectionRequest) { r.Type = ruqiv1.InspectionType_INSPECTION_TYPE_CASE }, codes.InvalidArgument, "TRIGGER_MISSING"},
		{"no reason", func(r *ruqiv1.RegisterInspectionRequest) { r.Reason = "  " }, codes.InvalidArgument, "REASON_MISSING"},
		{"another agency named", func(r *ruqiv1.RegisterInspectionRequest) { r.AgencyId = "AG-02" }, codes.PermissionDenied, "OTHER_AGENCY"},
	}
	before := w.eventCount()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := good()
			c.edit(req)
			_, err := ins.RegisterInspection(ctx, req)
			wantStatus(t, err, c.code, c.reason)
		})
	}
	if after := w.eventCount(); after != before {
		t.Fatalf("bad requests wrote %d events", after-before)
	}
	// And the good request, for contrast, is accepted.
	if _, err := ins.RegisterInspection(ctx, good()); err != nil {
		t.Fatalf("good request refused: %v", err)
	}
}

// An empty scan is a mistake of the caller and writes nothing; any other
// text that is not a code is a "not valid" verdict, recorded (see
// TestScan_NotAGenuineCode_NotValidVerdictRecorded).
func TestScan_BadInput_ClearErrorNothingWritten(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ent := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA))
	before := w.eventCount()
	for _, code := range []string{"", "   "} {
		_, err := ent.ScanCode(ctx, &ruqiv1.ScanCodeRequest{Code: code})
		st := status.Convert(err)
		if st.Code() != codes.InvalidArgument || !strings.Contains(st.Message(), "入企码") {
			t.Fatalf("ScanCode(%q) = %v, want InvalidArgument naming 入企码", code, err)
		}
	}
	if after := w.eventCount(); after != before {
		t.Fatalf("empty scans wrote %d events", after-before)
	}
	for name, code := range map[string]string{
		"garbage":           "hello, officer",
		"base32 of garbage": "JBSWY3DPEHPK3PXP",
		"URL without token": "HTTPS://RUQI.EXAMPLE/V/",
		"other website":     "https://example.com/login",
	} {
		resp, err := ent.ScanCode(ctx, &ruqiv1.ScanCodeRequest{Code: code})
		if err != nil || resp.GetVerdict() != ruqiv1.Verdict_VERDICT_MALFORMED {
			t.Errorf("%s: ScanCode(%q) = %v, %v; want verdict MALFORMED", name, code, resp.GetVerdict(), err)
		}
	}

	// A picture without a QR code is refused by the CLI before any call.
	noQR := filepath.Join(t.TempDir(), "blank.png")
	if err := os.WriteFile(noQR, blankPNG(t), 0o600); err != nil {
		t.Fatal(err)
	}
	r := w.cli(w.entA, "company", "scan", "--png", noQR)
	if r.exit != 1 || !strings.Contains(r.stderr, "二维码") {
		t.Fatalf("scan of a blank PNG: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	notImage := filepath.Join(t.TempDir(), "x.png")
	os.WriteFile(notImage, []byte("not an image"), 0o600)
	if r := w.cli(w.entA, "company", "scan", "--png", notImage); r.exit != 1 {
		t.Fatalf("scan of a non-image: exit %d", r.exit)
	}
}

func TestAuth_MissingOrWrongToken_Unauthenticated(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for name, tok := range map[string]string{"none": "", "wrong": "rq_notatoken", "admin file token with a typo": w.admin + "x"} {
		t.Run(name, func(t *testing.T) {
			_, err := ruqiv1.NewEnterpriseServiceClient(w.conn(tok)).ListInspections(ctx, &ruqiv1.ListInspectionsRequest{})
			if status.Code(err) != codes.Unauthenticated || !strings.Contains(status.Convert(err).Message(), "令牌") {
				t.Fatalf("err = %v, want Unauthenticated", err)
			}
		})
	}
	// The CLI says so in words, and exits 1.
	r := w.cli("rq_wrong", "company", "history")
	if r.exit != 1 || !strings.Contains(r.stderr, "令牌") {
		t.Fatalf("CLI with a wrong token: exit %d\n%s", r.exit, r.stderr)
	}
}

// The two object-level rules of this issue: an officer registers only for
// their own agency; an enterprise scans and reads only as itself.
func TestAccess_OfficerOwnAgency_EnterpriseItself(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	reg := w.register("now", "now+4h")
	foreignOfficer := w.issueToken("officer", w.f.foreignOffice)
	_, err := ruqiv1.NewInspectionServiceClient(w.conn(foreignOfficer)).CancelInspection(ctx, &ruqiv1.CancelInspectionRequest{InspectionId: reg.GetInspection().GetId(), Reason: "x"})
	wantStatus(t, err, codes.PermissionDenied, "OTHER_AGENCY")
	_, err = ruqiv1.NewInspectionServiceClient(w.conn(foreignOfficer)).GetInspectionCodes(ctx, &ruqiv1.GetInspectionCodesRequest{InspectionId: reg.GetInspection().GetId()})
	wantStatus(t, err, codes.PermissionDenied, "OTHER_AGENCY")

	// Enterprise B cannot read A's inspection, nor learn it exists.
	_, err = ruqiv1.NewInspectionServiceClient(w.conn(w.entB)).GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: reg.GetInspection().GetId()})
	wantStatus(t, err, codes.NotFound, "INSPECTION_UNKNOWN")
	// An enterprise may not register, nor an officer scan.
	_, err = ruqiv1.NewInspectionServiceClient(w.conn(w.entA)).RegisterInspection(ctx, &ruqiv1.RegisterInspectionRequest{})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("enterprise registering: %v", err)
	}
	_, err = ruqiv1.NewEnterpriseServiceClient(w.conn(w.officer)).ScanCode(ctx, &ruqiv1.ScanCodeRequest{Code: reg.GetCodes()[0].GetToken()})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("officer scanning: %v", err)
	}
	// Only administrators issue tokens.
	_, err = ruqiv1.NewAdminServiceClient(w.conn(w.officer)).IssueAccessToken(ctx, &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "me"})
	if status.Code(err) != codes.PermissionDenied {
		t.Fatalf("officer issuing a token: %v", err)
	}
}

func TestRegister_RetryWithSameRequestID_OneInspection(t *testing.T) {
	w := newWorld(t)
	// A retry sends the same parameters: absolute times, not "now" again.
	from := time.Now().Add(time.Minute).Format(time.RFC3339)
	a := w.register(from, "now+4h", "--request-id", "retry-1")
	b := w.register(from, a.GetInspection().GetWindowEnd().AsTime().Format(time.RFC3339Nano), "--request-id", "retry-1")
	if a.GetInspection().GetId() != b.GetInspection().GetId() || a.GetCodes()[0].GetToken() != b.GetCodes()[0].GetToken() {
		t.Fatalf("retry made a second inspection: %s and %s", a.GetInspection().GetId(), b.GetInspection().GetId())
	}
}

func wantStatus(t *testing.T, err error, code codes.Code, reason string) {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != code {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if st.Message() == "" || !hasCJK(st.Message()) {
		t.Fatalf("message %q is not in words an officer reads", st.Message())
	}
	if reasonOf(err) != reason {
		t.Fatalf("err = %v: no ErrorInfo reason %s in %v", err, reason, st.Details())
	}
}

func hasCJK(s string) bool {
	for _, r := range s {
		if r >= 0x4e00 && r <= 0x9fff {
			return true
		}
	}
	return false
}

func TestUnknownIDs_NotFound(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	ins := ruqiv1.NewInspectionServiceClient(w.conn(w.officer))
	_, err := ins.GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: "INS-20260101-NOPE"})
	wantStatus(t, err, codes.NotFound, "INSPECTION_UNKNOWN")
	_, err = ins.CancelInspection(ctx, &ruqiv1.CancelInspectionRequest{InspectionId: "INS-20260101-NOPE", Reason: "x"})
	wantStatus(t, err, codes.NotFound, "INSPECTION_UNKNOWN")
	_, err = ins.GetInspectionCodes(ctx, &ruqiv1.GetInspectionCodesRequest{})
	wantStatus(t, err, codes.InvalidArgument, "INSPECTION_ID_MISSING")
	_, err = ruqiv1.NewAdminServiceClient(w.conn(w.admin)).IssueAccessToken(ctx, &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-9999"})
	wantStatus(t, err, codes.NotFound, "OFFICER_UNKNOWN")
	_, err = ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).RefuseInspection(ctx, &ruqiv1.RefuseInspectionRequest{InspectionId: "INS-20260101-NOPE", Reason: "x"})
	wantStatus(t, err, codes.NotFound, "INSPECTION_UNKNOWN")
	// A NUL in a text (which PostgreSQL cannot store) is the request's
	// fault, said before any handler, on either store; so in a streamed
	// directory's records.
	_, err = ins.GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: "INS-20260101-\x00"})
	wantStatus(t, err, codes.InvalidArgument, "NUL_IN_TEXT")
	_, err = ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).RefuseInspection(ctx, &ruqiv1.RefuseInspectionRequest{Reason: "未出示\x00入企码"})
	wantStatus(t, err, codes.InvalidArgument, "NUL_IN_TEXT")
	// Nor a control character that would drive a terminal or reorder a
	// page's text where the record is shown.
	_, err = ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).RefuseInspection(ctx, &ruqiv1.RefuseInspectionRequest{Reason: "未出示入企码\x1b[2A\x1b[J核验通过"})
	wantStatus(t, err, codes.InvalidArgument, "CONTROL_IN_TEXT")
	// A scanned code is what a QR held: one with a control character is a
	// forged code, judged and recorded by the scan, not refused before it.
	scanned, err := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).ScanCode(ctx, &ruqiv1.ScanCodeRequest{Code: "FAKE\x1bCODE\x1d"})
	if err != nil || scanned.GetVerdict() != ruqiv1.Verdict_VERDICT_MALFORMED {
		t.Errorf("a scanned code with control characters: %v %v, want verdict MALFORMED", scanned.GetVerdict(), err)
	}
	stream, err := ruqiv1.NewDirectoryServiceClient(w.conn(w.admin)).ImportDirectoryStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_ = stream.Send(&ruqiv1.ImportDirectoryStreamRequest{Part: &ruqiv1.Directory{Enterprises: []*ruqiv1.Enterprise{{Uscc: w.f.entA, Name: "某\x00公司", RegionCode: "510104"}}}})
	_, err = stream.CloseAndRecv()
	wantStatus(t, err, codes.InvalidArgument, "NUL_IN_TEXT")
}

// The public keys are served over HTTP for verifiers without gRPC.
func TestHTTP_PublicKeysJSON(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+1h")
	resp, err := http.Get("http://" + w.httpAddr + "/keys.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Keys []struct {
			Kid, Kty, Crv, Alg, X string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	// x is base64url without padding (RFC 8037).
	var x []byte
	if len(doc.Keys) == 1 {
		x, _ = base64.RawURLEncoding.DecodeString(doc.Keys[0].X)
	}
	if len(doc.Keys) != 1 || doc.Keys[0].Kid != reg.GetCodes()[0].GetKeyId() || doc.Keys[0].Crv != "Ed25519" || len(x) != 32 {
		t.Fatalf("keys.json = %+v", doc)
	}
}

// A simulation whose calls failed exits non-zero, saying so: a script that
// runs it must not take it for a good run (an operator's trial, 2026-12-05:
// it exited 0 with 400 NotFound). Refusals are outcomes, not failures: the
// run on the imported directory exits 0. With --skip-import on a server
// whose directory another seed or size made, it stops before simulating,
// saying so, where every registration failed on unknown enterprises; here
// the officers differ (the enterprises alike), so the calls fail.
func TestSimulate_FailedCalls_ExitNonZero(t *testing.T) {
	s := startServer(t)
	r := s.cli(s.admin, "simulate", "--skip-import", "--inspections", "20", "--concurrency", "2", "--no-progress")
	if r.exit == 0 || !strings.Contains(r.stderr, "服务器上的名录不是以 --seed") {
		t.Fatalf("simulate --skip-import on a server without its directory: exit %d, stderr %q; want non-zero and the directory named\nstdout: %s", r.exit, r.stderr, r.stdout)
	}
	s.mustCLI(s.admin, "simulate", "--inspections", "20", "--concurrency", "2", "--no-progress")
	r = s.cli(s.admin, "simulate", "--skip-import", "--officers", "900", "--inspections", "20", "--concurrency", "2", "--no-progress")
	if r.exit == 0 || !strings.Contains(r.stderr, "次调用出错") {
		t.Fatalf("simulate with officers the server does not have: exit %d, stderr %q; want non-zero and the failed calls named\nstdout: %s", r.exit, r.stderr, r.stdout)
	}
}

// Every data directory a server starts on registers a never-expiring
// administrator token (subject bootstrap) in the shared store; an
// administrator lists them, naming the data directory and host, and
// revokes the ones no longer used (an operator's trial, 2026-12-05, found
// six after a trial and no way to list them). Only an administrator may.
func TestAdminTokenList_BootstrapTokensNamedAndRevocable(t *testing.T) {
	w := newWorld(t)
	s := w.server
	out := s.mustCLI(s.admin, "admin", "token", "list", "--role", "admin", "--subject", "bootstrap")
	if !strings.Contains(out, s.dataDir) || !strings.Contains(out, "永不过期") {
		t.Fatalf("bootstrap tokens:\n%s\nwant this data directory (%s), never expiring", out, s.dataDir)
	}
	var list ruqiv1.ListAccessTokensResponse
	mustUnmarshal(t, s.mustCLI(s.admin, "-o", "json", "admin", "token", "list", "--role", "admin", "--subject", "bootstrap"), &list)
	if len(list.GetTokens()) != 1 || list.GetTokens()[0].GetExpiresAt() != nil {
		t.Fatalf("bootstrap tokens: %v, want one that never expires", list.GetTokens())
	}
	officer := w.officer
	issued := s.mustCLI(s.admin, "-o", "json", "admin", "token", "list", "--role", "officer", "--subject", w.f.officers[0])
	if strings.Contains(issued, officer) || !strings.Contains(issued, "tokenId") {
		t.Fatalf("an officer's tokens listed as %s: want the ids, never the token", issued)
	}
	if r := s.cli(officer, "admin", "token", "list", "--role", "admin", "--subject", "bootstrap"); r.exit == 0 {
		t.Fatalf("an officer listed the administrator tokens:\n%s", r.stdout)
	}
	if r := s.cli(s.admin, "admin", "token", "list", "--role", "admin", "--subject", " "); r.exit == 0 {
		t.Fatalf("a list without a subject: exit 0\n%s", r.stdout)
	}
}

// reasonOf is the ErrorInfo reason of err ("" if none).
func reasonOf(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}
