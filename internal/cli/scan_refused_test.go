package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A valid code of a visit the enterprise refused: the result line and the
// state say the refusal, where they read 核验通过 and 已报备 beside
// a history that said 企业已拒绝 (a trial of the pages, 2026-12-07).
func TestTablePrinter_Scan_RefusedInspection(t *testing.T) {
	var out bytes.Buffer
	p := &tablePrinter{out: &out}
	// Refused from another agency's code of the joint visit: this plan's
	// own view has no refusal, the response has the visit's.
	p.Scan(&ruqiv1.ScanCodeResponse{Verdict: ruqiv1.Verdict_VERDICT_VALID, Message: "入企码有效、已报备，但本企业已于 … 拒绝这次检查",
		VisitRefusedAt: timestamppb.New(time.Now()),
		OfficerId:      "O-0001",
		Inspection: &ruqiv1.InspectionView{InspectionId: "INS-1", State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
			Officers: []*ruqiv1.OfficerView{{OfficerId: "O-0001", Name: "沈勇"}}}})
	got := out.String()
	// The presenter by name, as the page names them.
	for _, want := range []string{"核验通过（入企码有效），但本企业已拒绝这次检查", "企业已拒绝", "沈勇（O-0001）"} {
		if !strings.Contains(got, want) {
			t.Errorf("scan of a refused inspection prints:\n%s\nwant %q", got, want)
		}
	}
	if strings.Contains(got, "已报备\n") {
		t.Errorf("scan of a refused inspection prints its state as 已报备:\n%s", got)
	}
}
