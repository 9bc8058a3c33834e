package service_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A text that shows nothing is not given: a refusal whose reason or a
// complaint whose description is only zero-width spaces (U+200B, a word
// joiner, a BOM) was recorded and sent to the 司法局 as a lead that says
// nothing, where spaces alone were refused (a trial as an enterprise,
// 2026-12-06).
func TestRequiredText_InvisibleCharactersOnly_Refused(t *testing.T) {
	e := newEnv(t, "")
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, e.dir.GetEnterprises()[1].GetUscc())
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	for _, blank := range []string{"\u200b\u200b", "\u2060", "\ufeff \u200d", "\u3000\u200c"} {
		_, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Reason: blank})
		wantCode(t, "refusal "+strconv.QuoteToASCII(blank), err, codes.InvalidArgument)
		_, err = cli.Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: blank})
		wantCode(t, "complaint "+strconv.QuoteToASCII(blank), err, codes.InvalidArgument)
	}
	// Such characters inside a text are left as they are.
	if _, err := cli.Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "未出示\u200b入企码"}); err != nil {
		t.Errorf("a complaint with a zero-width space inside: %v", err)
	}
}

// The 司法局's required texts too: a supervisor's name on attaching, the
// notes that say what a lead opened on no 否 answer is about, and a draw's
// title are not given by invisible characters only; each was taken
// (strings.TrimSpace(x) == "" asked), and the lead read
// "伴随监督发现问题：" followed by nothing.
func TestRequiredText_SupervisionAndDraw_InvisibleOnly_Refused(t *testing.T) {
	const blank = "\u200b\u2060"
	f := newDoorFixture(t)
	id := f.register(t, regionE1, f.t0.Add(time.Hour), f.t0.Add(3*time.Hour), f.r.officers[:2]).GetInspection().GetId()
	sup := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	sv := ruqiv1.NewSupervisionServiceClient(f.e.cc)
	if _, err := sv.AttachSupervisor(f.e.as(sup), &ruqiv1.AttachSupervisorRequest{InspectionId: id, SupervisorName: blank}); reasonOf(err) != "SUPERVISOR_NAME_MISSING" {
		t.Errorf("a supervisor named %q attached: %v, want SUPERVISOR_NAME_MISSING", blank, err)
	}
	if _, err := sv.AttachSupervisor(f.e.as(sup), &ruqiv1.AttachSupervisorRequest{InspectionId: id, SupervisorName: "王监督"}); err != nil {
		t.Fatal(err)
	}
	yes := ruqiv1.ChecklistAnswer_CHECKLIST_ANSWER_YES
	rec, err := sv.RecordAccompaniment(f.e.as(sup), &ruqiv1.RecordAccompanimentRequest{InspectionId: id, SupervisorName: "王监督",
		CertificateShown: yes, RightsExplained: yes, SamplingProper: yes, ConductCivil: yes, Notes: blank, OpenLead: true})
	if reasonOf(err) != "NOTES_MISSING" {
		t.Errorf("a lead opened with notes %q: %v (lead %q), want NOTES_MISSING", blank, err, rec.GetLead().GetDescription())
	}

	admin := f.e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-01")
	if _, err := ruqiv1.NewDrawServiceClient(f.e.cc).CommitDraw(f.e.as(admin), &ruqiv1.CommitDrawRequest{Title: blank}); reasonOf(err) != "TITLE_MISSING" {
		t.Errorf("a draw titled %q: %v, want TITLE_MISSING", blank, err)
	}
}

// A refusal's request id is bounded as every other request id is (a
// registration's, a plan's, a draw's, a complaint's: REQUEST_ID_TOO_LONG).
// A red-team trial (2026-12-06) had refusals with request ids of 200,000
// characters recorded, each a lead, where the same id on a complaint was
// refused.
func TestRefusal_RequestIDTooLong_Refused(t *testing.T) {
	e := newEnv(t, "")
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, e.dir.GetEnterprises()[1].GetUscc())
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	long := strings.Repeat("长", 200_000)
	r, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Reason: "未出示入企码", RequestId: long})
	if reasonOf(err) != "REQUEST_ID_TOO_LONG" {
		t.Errorf("a refusal with a request id of 200,000 characters: lead %q, %v; want INVALID_ARGUMENT REQUEST_ID_TOO_LONG", r.GetLeadId(), err)
	}
	if _, err := cli.Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "未出示入企码", RequestId: long}); reasonOf(err) != "REQUEST_ID_TOO_LONG" {
		t.Errorf("a complaint with a request id of 200,000 characters: %v, want REQUEST_ID_TOO_LONG", err)
	}
	if _, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Reason: "未出示入企码", RequestId: strings.Repeat("r", 128)}); err != nil {
		t.Errorf("a refusal with a request id of 128 characters: %v", err)
	}
}

// A refusal sent again with its request id is the first, and says so
// (RefuseInspectionResponse.repeated), so that the command line can tell
// the enterprise how to record another one the same day (a trial as an
// enterprise, 2026-12-07).
func TestRefusal_SameRequestID_Repeated(t *testing.T) {
	e := newEnv(t, "")
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, e.dir.GetEnterprises()[1].GetUscc())
	cli := ruqiv1.NewEnterpriseServiceClient(e.cc)
	first, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Reason: "未出示入企码", RequestId: "r-1"})
	if err != nil || first.GetRepeated() {
		t.Fatalf("the first refusal: %v, repeated %t", err, first.GetRepeated())
	}
	again, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Reason: "未出示入企码", RequestId: "r-1"})
	if err != nil || !again.GetRepeated() || again.GetLeadId() != first.GetLeadId() {
		t.Fatalf("the same request again: %v, repeated %t, lead %s (first %s)", err, again.GetRepeated(), again.GetLeadId(), first.GetLeadId())
	}
	other, err := cli.RefuseInspection(e.as(ent), &ruqiv1.RefuseInspectionRequest{Reason: "未出示入企码", RequestId: "r-2"})
	if err != nil || other.GetRepeated() || other.GetLeadId() == first.GetLeadId() {
		t.Fatalf("another request: %v, repeated %t, lead %s", err, other.GetRepeated(), other.GetLeadId())
	}
}
