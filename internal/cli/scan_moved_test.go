package cli

import (
	"bytes"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An officer moved to another agency, certificate valid: the server's
// message says so, but company scan's headline read "核验未通过：执法证无效"
// (a review, 2026-12-07). The verdict's label is general now.
func TestScanPrint_MovedOfficer_HeadlineNotCertificateInvalid(t *testing.T) {
	var out bytes.Buffer
	newPrinter("table", &out, &out).Scan(&ruqiv1.ScanCodeResponse{Verdict: ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID,
		Message: "核验未通过：出示入企码的执法人员已不属于报备此检查的执法部门，不能为其检查。企业有权拒绝检查", OfficerId: "O-0001"})
	if got := out.String(); strings.Contains(got, "执法证无效") || !strings.Contains(got, "执法人员不能实施此检查") || !strings.Contains(got, "已不属于") {
		t.Errorf("company scan of a moved officer's code:\n%s", got)
	}
}
