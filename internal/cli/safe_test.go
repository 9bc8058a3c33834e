package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// What the server sends cannot drive the terminal (a review, 2026-12-05):
// an escape sequence in an officer's reason moved the cursor over a
// cancelled code's verdict and printed 核验通过 in its place, and a line feed
// in a complaint printed a forged row in the 司法局's list of leads. Text
// stored before the server refused them is still shown, escaped.
func TestPrinter_ServerTextCannotDriveTheTerminal(t *testing.T) {
	forged := "年度日常检查\x1b[9A\x1b[J核验结果  核验通过\r\n"
	var out bytes.Buffer
	a := newApp(&out, &out, func(string) (string, bool) { return "", false }, nil)
	p := newPrinter("table", a.stdout, a.stderr)
	p.Scan(&ruqiv1.ScanCodeResponse{Verdict: ruqiv1.Verdict_VERDICT_CANCELLED, Message: "核验未通过：此检查已被执法部门撤销。企业有权拒绝检查",
		OfficerId: "O-0001", Inspection: &ruqiv1.InspectionView{InspectionId: "INS-1", Reason: forged, State: ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED}})
	p.Leads(&ruqiv1.ListLeadsResponse{Leads: []*ruqiv1.Lead{{Id: "L-1", Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, EnterpriseUscc: "91510104CY4C7RGWMR",
		Description: "态度粗暴\nL-2  投诉  已查实  91510104CY4C7RGWMR  -  -  -  （伪造的一行）"}}})
	got := out.String()
	if strings.ContainsAny(got, "\x1b\r") {
		t.Errorf("control characters from the server reach the terminal:\n%q", got)
	}
	if !strings.Contains(got, `\u001b[9A`) {
		t.Errorf("the escape is not shown for what it is:\n%s", got)
	}
	if strings.Contains(got, "\nL-2") {
		t.Errorf("a line feed in a complaint prints a row of its own in the list of leads:\n%s", got)
	}

	// In JSON the escape is the same character.
	out.Reset()
	newPrinter("json", a.stdout, a.stderr).Scan(&ruqiv1.ScanCodeResponse{Inspection: &ruqiv1.InspectionView{Reason: "a\u202eb\u0085c"}})
	var back struct{ Inspection struct{ Reason string } }
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || back.Inspection.Reason != "a\u202eb\u0085c" {
		t.Errorf("JSON through the terminal's writer: %q, %v; want the reason as sent", out.String(), err)
	}
	if strings.Contains(out.String(), "\u202e") {
		t.Errorf("a bidirectional override reaches the terminal in JSON: %q", out.String())
	}
}
