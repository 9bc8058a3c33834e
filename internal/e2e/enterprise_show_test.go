package e2e

import (
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An operator reads an imported enterprise back as the store holds it
// (`admin enterprise show`); there was no command for it. An enterprise
// reads only itself, and an unknown USCC is said as unknown.
func TestAdminEnterpriseShow_ReadsTheImportedRecordBack(t *testing.T) {
	s := startServer(t)
	s.mustCLI(s.admin, "admin", "import", sampleFile())
	dir := sampleDirectory(t)
	e, other := dir.GetEnterprises()[0], dir.GetEnterprises()[1]

	// Typed in lower case, as people do: the server reads it upper case.
	out := s.mustCLI(s.admin, "admin", "enterprise", "show", "--uscc", strings.ToLower(e.GetUscc()))
	grade := strings.TrimPrefix(e.GetCreditGrade().String(), "CREDIT_GRADE_") + " 级"
	for _, want := range []string{e.GetUscc(), e.GetName(), e.GetRegionCode(), e.GetIndustry(), "信用等级", grade} {
		if !strings.Contains(out, want) {
			t.Errorf("admin enterprise show lacks %q:\n%s", want, out)
		}
	}
	var resp ruqiv1.GetEnterpriseResponse
	mustUnmarshal(t, s.mustCLI(s.admin, "-o", "json", "admin", "enterprise", "show", "--uscc", e.GetUscc()), &resp)
	if resp.GetEnterprise().GetName() != e.GetName() || resp.GetEnterprise().GetCreditGrade() != e.GetCreditGrade() {
		t.Errorf("-o json: %v, want the imported %v", resp.GetEnterprise(), e)
	}

	company := s.issueToken("enterprise", e.GetUscc())
	if r := s.cli(company, "admin", "enterprise", "show", "--uscc", other.GetUscc()); r.exit != 1 || !strings.Contains(r.stderr, "只能查看本企业") {
		t.Errorf("an enterprise reading another: exit %d, stderr %q; want a refusal", r.exit, r.stderr)
	}
	if r := s.cli(company, "admin", "enterprise", "show", "--uscc", e.GetUscc()); r.exit != 0 || !strings.Contains(r.stdout, e.GetName()) {
		t.Errorf("an enterprise reading itself: exit %d, stdout %q, stderr %q", r.exit, r.stdout, r.stderr)
	}

	unknown := "91510104MA0000000B"
	if r := s.cli(s.admin, "admin", "enterprise", "show", "--uscc", unknown); r.exit != 1 || !strings.Contains(r.stderr, "不在名录中") {
		t.Errorf("an unknown USCC: exit %d, stderr %q; want a plain refusal", r.exit, r.stderr)
	}
	if r := s.cli(s.admin, "admin", "enterprise", "show"); r.exit != 2 || !strings.Contains(r.stderr, "--uscc") {
		t.Errorf("no --uscc: exit %d, stderr %q; want a usage error naming --uscc", r.exit, r.stderr)
	}
}
