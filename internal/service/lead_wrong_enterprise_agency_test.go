package service_test

import (
	"testing"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 司法局 trial of the dashboard (2026-12-07): a genuine code of AG-01's
// inspection shown at another enterprise (核验未通过：此入企码不是为本企业签发的)
// opens a lead that names the inspection and the officer but no agency: the
// dashboard's 部门 column was empty, and the supervisor narrowing the leads
// to AG-01 did not find it, though the code's signature says whose it is.
// Every other invalid-code lead of a signed code carries its agency.
func TestLead_CodeShownAtAnotherEnterprise_NamesTheAgency(t *testing.T) {
	e := regionEnv(t)
	r := e.registrar(t, "AG-01")
	reg, err := r.register(regionE1, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const other = "915101070AL6JK1YWK" // 510107
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, other)
	scan, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(ent), &ruqiv1.ScanCodeRequest{Code: reg.GetCodes()[0].GetUrl()})
	if err != nil {
		t.Fatal(err)
	}
	if scan.GetVerdict() != ruqiv1.Verdict_VERDICT_WRONG_ENTERPRISE {
		t.Fatalf("verdict %v, want WRONG_ENTERPRISE", scan.GetVerdict())
	}
	sup := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	all, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(sup), &ruqiv1.ListLeadsRequest{})
	if err != nil || len(all.GetLeads()) != 1 {
		t.Fatalf("leads: %v %v", all, err)
	}
	if l := all.GetLeads()[0]; l.GetAgencyId() != "AG-01" || l.GetAgencyName() == "" {
		t.Errorf("the lead of AG-01's code shown at %s names agency %q (%q), want AG-01 and its name", other, l.GetAgencyId(), l.GetAgencyName())
	}
	ag, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(sup), &ruqiv1.ListLeadsRequest{AgencyId: "AG-01"})
	if err != nil || len(ag.GetLeads()) != 1 {
		t.Errorf("AG-01's leads: %d, %v; want the lead of its code", len(ag.GetLeads()), err)
	}
	// The enterprise that scanned learns nothing of the inspection.
	if scan.GetInspection() != nil {
		t.Errorf("the foreign enterprise reads the inspection: %v", scan.GetInspection())
	}
}
