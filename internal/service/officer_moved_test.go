package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An officer moved to another agency after the codes were issued. The
// scan refused the code as "执法证无效（暂扣、注销或过期）", false of a
// valid certificate, to the enterprise and in the 司法局's lead; and the
// public description named the officer's new agency for a visit the old
// one registered (a security review, 2026-12-07). The scan now says the
// officer no longer belongs to the registering agency, and the code is
// not described.
func TestScan_OfficerMovedAgency_SaidAsSuch(t *testing.T) {
	f := newDoorFixture(t)
	e := f.e
	reg := f.register(t, regionE1, f.t0, f.t0.Add(3*time.Hour), f.r.officers[:2])
	c := reg.GetCodes()[0]
	keys := ruqiv1.NewKeyServiceClient(e.cc)
	before, err := keys.DescribeCode(e.as(""), &ruqiv1.DescribeCodeRequest{Code: c.GetToken()})
	if err != nil {
		t.Fatal(err)
	}
	d := proto.Clone(e.dir).(*ruqiv1.Directory)
	for _, o := range d.GetOfficers() {
		if o.GetId() == c.GetOfficerId() {
			if o.GetAgencyId() == "AG-02" {
				t.Fatal("the fixture's officer is of AG-02 already")
			}
			o.AgencyId = "AG-02"
		}
	}
	if _, err := ruqiv1.NewDirectoryServiceClient(e.cc).ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: d}); err != nil {
		t.Fatal(err)
	}
	after, err := keys.DescribeCode(e.as(""), &ruqiv1.DescribeCodeRequest{Code: c.GetToken()})
	if status.Code(err) != codes.NotFound {
		t.Errorf("the code of a moved officer described: %v (before the move: %v), %v", after, before, err)
	}
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, regionE1)
	sc, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(ent), &ruqiv1.ScanCodeRequest{Code: c.GetToken()})
	if err != nil {
		t.Fatal(err)
	}
	if sc.GetVerdict() != ruqiv1.Verdict_VERDICT_CERTIFICATE_INVALID || !strings.Contains(sc.GetMessage(), "已不属于报备此检查的执法部门") ||
		strings.Contains(sc.GetMessage(), "暂扣") {
		t.Errorf("scan after the move: %v %q, want the officer said as no longer of the agency", sc.GetVerdict(), sc.GetMessage())
	}
	leads, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(e.admin), &ruqiv1.ListLeadsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, l := range leads.GetLeads() {
		if l.GetInspectionId() == reg.GetInspection().GetId() && l.GetKind() == ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE {
			found = true
			if !strings.Contains(l.GetDescription(), "已不属于") {
				t.Errorf("the 司法局's lead says %q", l.GetDescription())
			}
		}
	}
	if !found {
		t.Errorf("no lead of the refused code")
	}
}
