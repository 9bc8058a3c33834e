package domain

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// What Chinese input methods and copy-paste produce reads as the identifier
// the person meant: trimmed, half-width, upper-case.
func TestNormalizeID(t *testing.T) {
	for in, want := range map[string]string{
		"91510100ma6123456w":    "91510100MA6123456W",
		" 91510100MA6123456W\t": "91510100MA6123456W",
		"９１５１０１００ＭＡ６１２３４５６Ｗ": "91510100MA6123456W",
		"\u3000ｏ－０００１\u3000": "O-0001",
		"ag-01":              "AG-01",
	} {
		if got := NormalizeID(in); got != want {
			t.Errorf("NormalizeID(%q) = %q, want %q", in, got, want)
		}
	}
}

// Identifier fields of a request are normalised; free text, request ids and
// nested records are not upper-cased.
func TestNormalizeRequest_IdentifiersOnly(t *testing.T) {
	r := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: " ９１５１０１００ma6123456w", CheckItemIds: []string{"ci-0001 "}, OfficerIds: []string{"ｏ-0001", "o-0010"},
		AgencyId: "ag-01", Reason: " 日常检查 abc", RequestId: " req-abc ",
	}
	NormalizeRequest(r)
	if r.EnterpriseUscc != "91510100MA6123456W" || r.CheckItemIds[0] != "CI-0001" || r.OfficerIds[0] != "O-0001" || r.OfficerIds[1] != "O-0010" || r.AgencyId != "AG-01" {
		t.Errorf("ids not normalised: %v", r)
	}
	if r.Reason != " 日常检查 abc" || r.RequestId != " req-abc " {
		t.Errorf("free text or request id changed: %q %q", r.Reason, r.RequestId)
	}
}

// Ids inside the messages a request holds are read as at the top level: a
// result's items, a plan's scope, a coverage; an imported directory's
// records are not, their ids and references staying as written.
func TestNormalizeRequest_NestedIdentifiers(t *testing.T) {
	res := &ruqiv1.RecordResultRequest{InspectionId: "ins-1", Items: []*ruqiv1.ItemResult{
		{CheckItemId: "\u3000ｃｉ－０００１", Note: "ｎｏｔｅ"}, {CheckItemId: "ci-0004 "}}}
	NormalizeRequest(res)
	if res.Items[0].CheckItemId != "CI-0001" || res.Items[1].CheckItemId != "CI-0004" || res.InspectionId != "INS-1" {
		t.Errorf("a result's item ids not normalised: %v", res)
	}
	if res.Items[0].Note != "ｎｏｔｅ" {
		t.Errorf("a note changed: %q", res.Items[0].Note)
	}
	plan := &ruqiv1.FilePlanRequest{Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{"９１５１０１００ma6123456w"}, RegionCode: "５１０１０４"}}
	NormalizeRequest(plan)
	if plan.Scope.EnterpriseUsccs[0] != "91510100MA6123456W" || plan.Scope.RegionCode != "510104" {
		t.Errorf("a plan's scope not normalised: %v", plan.Scope)
	}
	cov := &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{PlanId: "ｐｌａｎ-1", AgencyId: "ag-01", CheckItemIds: []string{"ci-1"}}}
	NormalizeRequest(cov)
	if c := cov.Coverage; c.PlanId != "PLAN-1" || c.AgencyId != "AG-01" || c.CheckItemIds[0] != "CI-1" {
		t.Errorf("a coverage not normalised: %v", c)
	}
	dir := &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{
		Agencies:   []*ruqiv1.Agency{{Id: "ag-01", RegionCode: "５１０１０４"}},
		CheckItems: []*ruqiv1.CheckItem{{Id: "ci-1", AgencyId: "ag-01"}}}}
	want := proto.Clone(dir)
	NormalizeRequest(dir)
	if !proto.Equal(dir, want) {
		t.Errorf("an imported directory changed: %v", dir)
	}
}

// A full-width USCC that is not normalised is refused in characters, not
// bytes ("应为18位，收到18位" said nothing).
func TestValidateUSCC_FullWidth_NamesTheCharacter(t *testing.T) {
	err := ValidateUSCC("９１５１０１００ＭＡ６１２３４５６Ｗ")
	de, ok := err.(*Error)
	if !ok || de.Reason != "USCC_MALFORMED" || !strings.Contains(de.Message, "第1位") {
		t.Errorf("got %v, want USCC_MALFORMED naming position 1", err)
	}
}

// Case-sensitive ids are not identifiers people type: a token or device id
// upper-cased names nothing.
func TestNormalizeRequest_CaseSensitiveIDsUntouched(t *testing.T) {
	tok := &ruqiv1.RevokeAccessTokenRequest{TokenId: "tok-929b93f6a370"}
	dev := &ruqiv1.RevokeDeviceRequest{DeviceId: "tok-929b93f6a370"}
	NormalizeRequest(tok)
	NormalizeRequest(dev)
	if tok.TokenId != "tok-929b93f6a370" || dev.DeviceId != "tok-929b93f6a370" {
		t.Errorf("changed: %q %q", tok.TokenId, dev.DeviceId)
	}
}

// Every request passes NormalizeRequest before its handler: whatever the
// strings, the identifier fields become NormalizeID of what was sent, the
// rest stays byte for byte, and a second pass changes nothing (the CLI and
// the server may both normalise).
func FuzzNormalizeRequest(f *testing.F) {
	f.Add(" ９１５１０１０４ｃｙ４ｃ７ｒｇｗｍｒ ", "o-0001", "日常检查　", "req-１")
	f.Add("\u3000AG-01\u3000", "\xff\xfe", "\tx\n", "")
	f.Add("ı", "ß", "ǅ", "ﬀ")
	f.Fuzz(func(t *testing.T, uscc, officer, reason, requestID string) {
		req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: uscc, OfficerIds: []string{officer}, Reason: reason, RequestId: requestID}
		NormalizeRequest(req)
		if req.GetEnterpriseUscc() != NormalizeID(uscc) || req.GetOfficerIds()[0] != NormalizeID(officer) {
			t.Fatalf("ids %q %q became %q %q", uscc, officer, req.GetEnterpriseUscc(), req.GetOfficerIds()[0])
		}
		if req.GetReason() != reason || req.GetRequestId() != requestID {
			t.Fatalf("free text and request id changed: %q→%q, %q→%q", reason, req.GetReason(), requestID, req.GetRequestId())
		}
		once := proto.Clone(req)
		NormalizeRequest(req)
		if !proto.Equal(once, req) {
			t.Fatalf("not idempotent: %v then %v", once, req)
		}
	})
}

// A NUL anywhere in a request's texts is refused, nested records and lists
// included; bytes fields may hold any byte.
func TestValidateRequest_NUL(t *testing.T) {
	ok := []proto.Message{
		&ruqiv1.RegisterInspectionRequest{EnterpriseUscc: "91510104CY4C7RGWMR", Reason: "日常检查", OfficerIds: []string{"O-1"}},
		&ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{Enterprises: []*ruqiv1.Enterprise{{Uscc: "X", Name: "某公司"}}}},
		nil,
	}
	for _, m := range ok {
		if err := ValidateRequest(m); err != nil {
			t.Errorf("%v: %v", m, err)
		}
	}
	bad := map[string]proto.Message{
		"top":    &ruqiv1.RegisterInspectionRequest{Reason: "日常\x00检查"},
		"list":   &ruqiv1.RegisterInspectionRequest{OfficerIds: []string{"O-1", "O-\x002"}},
		"nested": &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{Enterprises: []*ruqiv1.Enterprise{{Uscc: "X", Name: "某\x00公司"}}}},
	}
	for name, m := range bad {
		if err := ValidateRequest(m); KindOf(err) != KindInvalid {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}

// Control characters that change how text is shown are refused wherever
// they are (a review, 2026-12-05: an escape sequence in an officer's reason
// printed 核验通过 over a cancelled code's verdict in the enterprise's
// terminal); tab and line breaks, which multi-line texts hold, are not.
func TestValidateRequest_ControlCharacters(t *testing.T) {
	for _, s := range []string{"第一行\n第二行", "列\t列", "行\r\n行", "整改期限—三十日…", "\u200f"} {
		if err := ValidateRequest(&ruqiv1.RegisterInspectionRequest{Reason: s}); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"年度日常检查\x1b[9A\x1b[J核验通过", "\x07", "\x7f", "\u0085", "\u009b2J", "abc\u202egpj.exe", "\u2066x\u2069"} {
		err := ValidateRequest(&ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{Enterprises: []*ruqiv1.Enterprise{{Uscc: "X", Name: s}}}})
		if ReasonOf(err) != "CONTROL_IN_TEXT" {
			t.Errorf("%q: %v, want CONTROL_IN_TEXT", s, err)
		}
	}
}

// What a machine produced (a scanned code, a token, a signed note) is left
// to its handler, which judges a forged code MALFORMED and records it: the
// control-character rule refused such a QR before anything was recorded (a
// review, 2026-12-05). A NUL is refused in it all the same.
func TestValidateRequest_ScannedCodeLeftToItsHandler(t *testing.T) {
	for _, code := range []string{"https://ruqi.example/V/ABCDEF\x1d", "FAKE\x1bCODE"} {
		if err := ValidateRequest(&ruqiv1.ScanCodeRequest{Code: code}); err != nil {
			t.Errorf("scan of %q refused before the handler: %v", code, err)
		}
	}
	if err := ValidateRequest(&ruqiv1.ScanCodeRequest{Code: "X\x00"}); ReasonOf(err) != "NUL_IN_TEXT" {
		t.Errorf("a NUL in a scanned code: %v, want NUL_IN_TEXT", err)
	}
	if err := ValidateRequest(&ruqiv1.RefuseInspectionRequest{Reason: "x\x1b[2J"}); ReasonOf(err) != "CONTROL_IN_TEXT" {
		t.Errorf("a person's reason: %v, want CONTROL_IN_TEXT", err)
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(1)": "'=HYPERLINK(1)", "@x": "'@x", "+cmd": "'+cmd", "成都": "成都", "": ""} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q", in, got)
		}
	}
}
