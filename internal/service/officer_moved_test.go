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

// A re-import that moved an officer and renumbered another left no trace:
// the summary said "执法人员 60", the log only the import (a trial of
// sign-in, 2026-12-07). The response counts them as changed, and each is an
// OFFICER_CHANGED event saying from what to what.
func TestImport_OfficerMovedOrRenumbered_CountedAndRecorded(t *testing.T) {
	f := newDoorFixture(t)
	e := f.e
	d := proto.Clone(e.dir).(*ruqiv1.Directory)
	moved, renumbered := d.GetOfficers()[0], d.GetOfficers()[1]
	from := moved.GetAgencyId()
	to := "AG-02"
	if from == to {
		to = "AG-03"
	}
	moved.AgencyId = to
	oldNumber := renumbered.GetCertificateNumber()
	renumbered.CertificateNumber = oldNumber + "X"
	resp, err := ruqiv1.NewDirectoryServiceClient(e.cc).ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: d})
	if err != nil {
		t.Fatal(err)
	}
	if !resp.GetOfficersCompared() || resp.GetOfficersChanged() != 2 || resp.GetOfficersAdded() != 0 {
		t.Errorf("the re-import's officers: added %d, changed %d (compared %t); want 0 and 2", resp.GetOfficersAdded(), resp.GetOfficersChanged(), resp.GetOfficersCompared())
	}
	events, err := ruqiv1.NewAdminServiceClient(e.cc).ListEvents(e.as(e.admin), &ruqiv1.ListEventsRequest{Types: []ruqiv1.EventType{ruqiv1.EventType_EVENT_TYPE_OFFICER_CHANGED}, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{moved.GetId(): "所属部门 " + from + " → " + to, renumbered.GetId(): "执法证号 " + oldNumber + " → " + oldNumber + "X"}
	for _, ev := range events.GetEvents() {
		if w, ok := want[ev.GetOfficerId()]; ok && strings.Contains(ev.GetDetail(), w) {
			delete(want, ev.GetOfficerId())
		}
	}
	if len(want) > 0 {
		t.Errorf("no OFFICER_CHANGED event saying %v; events: %v", want, events.GetEvents())
	}
}
