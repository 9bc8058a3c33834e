package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/ruqi/ruqi/internal/code"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Once its results are recorded and it is closed, an inspection's code no
// longer says "请配合检查" inside its window: it gets its own verdict, exit 3.
func TestScan_ClosedInspection_ClosedVerdict(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+4h")
	tok := reg.GetCodes()[0].GetToken()
	got, _ := w.scan(w.entA, tok)
	wantVerdict(t, "before closing", got, ruqiv1.Verdict_VERDICT_VALID)
	w.mustCLI(w.officer, "officer", "result", "--inspection", reg.GetInspection().GetId(),
		"--item", w.f.items[0]+"=no-problem", "--item", w.f.items[1]+"=no-problem", "--summary", "未发现问题", "--close")
	got, r := w.scan(w.entA, tok)
	wantVerdict(t, "after closing", got, ruqiv1.Verdict_VERDICT_CLOSED)
	if r.exit != 3 || !strings.Contains(got.GetMessage(), "已办结") {
		t.Errorf("exit %d, message %q: want exit 3 and 已办结", r.exit, got.GetMessage())
	}
	if out := w.cli(w.entA, "company", "scan", tok); !strings.Contains(out.stdout, "检查已办结") {
		t.Errorf("table output does not say 检查已办结:\n%s", out.stdout)
	}
}

// tamper returns the token of msg changed by edit, which works on the
// COSE_Sign1 array [protected, unprotected, payload, signature].
func tamper(t *testing.T, tok string, edit func(arr []any) any) string {
	t.Helper()
	msg, err := code.DecodeToken(tok)
	if err != nil {
		t.Fatal(err)
	}
	var tag cbor.Tag
	if err := cbor.Unmarshal(msg, &tag); err != nil {
		t.Fatal(err)
	}
	arr := tag.Content.([]any)
	b, err := cbor.Marshal(edit(arr))
	if err != nil {
		t.Fatal(err)
	}
	return code.EncodeToken(b)
}

// Text that is not a genuine code (header altered, signature stripped, COSE
// tag removed, garbage) is a "not valid" verdict with exit 3, recorded and a
// lead like a bad signature, in plain words that neither leak internals nor
// repeat themselves.
func TestScan_NotAGenuineCode_NotValidVerdictRecorded(t *testing.T) {
	w := newWorld(t)
	reg := w.register("now", "now+4h")
	tok := reg.GetCodes()[0].GetToken()
	algES256, err := cbor.Marshal(map[int]any{1: -7, 4: []byte("0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string]string{
		"alg changed": tamper(t, tok, func(a []any) any {
			a[0] = algES256
			return cbor.Tag{Number: 18, Content: a}
		}),
		"signature stripped": tamper(t, tok, func(a []any) any { a[3] = []byte{}; return cbor.Tag{Number: 18, Content: a} }),
		"COSE tag removed":   tamper(t, tok, func(a []any) any { return a }),
		"garbage":            "HELLO WORLD",
	}
	for name, scanned := range variants {
		t.Run(name, func(t *testing.T) {
			before := w.eventCount()
			got, r := w.scan(w.entA, scanned)
			wantVerdict(t, name, got, ruqiv1.Verdict_VERDICT_MALFORMED)
			if r.exit != 3 {
				t.Errorf("exit %d, want 3", r.exit)
			}
			msg := got.GetMessage()
			for _, leak := range []string{"COSE", "signature", "CBOR", "kid", "EdDSA", ":"} {
				if strings.Contains(msg, leak) {
					t.Errorf("message leaks %q: %s", leak, msg)
				}
			}
			if strings.Count(msg, "入企码") > 1 {
				t.Errorf("message repeats itself: %s", msg)
			}
			if n := w.eventCount() - before; n != 2 {
				t.Errorf("%d events written, want 2 (the rejected scan and its lead)", n)
			}
		})
	}
	leads, err := ruqiv1.NewSupervisionServiceClient(w.conn(w.admin)).ListLeads(context.Background(), &ruqiv1.ListLeadsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range leads.GetLeads() {
		if l.GetKind() == ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE && l.GetEnterpriseUscc() == w.f.entA {
			n++
		}
	}
	if n != len(variants) {
		t.Errorf("%d invalid-code leads, want %d", n, len(variants))
	}
}
