package service_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An enterprise follows the leads its own steps opened (stop 45's list: it
// was given each lead's number and told to ask the 司法局, and could see
// nothing of it): its complaints and refusals, and the codes it scanned
// that were not valid, newest first, with each step's status and time. Not
// the 司法局's notes or who took a step; nothing of another enterprise's
// visit whose code it scanned; nobody else's leads; not from a front-desk
// device, nor for an officer.
func TestListOwnLeads_TheEnterprisesOwn(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	ents := e.dir.GetEnterprises()
	a, b := ents[1], ents[2]
	tokA, tokB := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, a.GetUscc()), e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, b.GetUscc())
	ent := ruqiv1.NewEnterpriseServiceClient(e.cc)
	complaint, err := ent.Complain(e.as(tokA), &ruqiv1.ComplainRequest{OfficerClaimed: "张某", Description: "未出示入企码即进入车间"})
	if err != nil {
		t.Fatal(err)
	}
	refusal, err := ent.RefuseInspection(e.as(tokA), &ruqiv1.RefuseInspectionRequest{Reason: "来人未出示入企码", RequestId: "refuse-1"})
	if err != nil {
		t.Fatal(err)
	}
	// B's visit's code, scanned at A: a lead of A's that must not name B's
	// visit, its agency or its officer.
	reg, err := e.registrar(t, "AG-01").register(b.GetUscc(), time.Now().Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ent.ScanCode(e.as(tokA), &ruqiv1.ScanCodeRequest{Code: reg.GetCodes()[0].GetToken()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ent.Complain(e.as(tokB), &ruqiv1.ComplainRequest{Description: "B 的投诉"}); err != nil {
		t.Fatal(err)
	}
	sup := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510000")
	if _, err := ruqiv1.NewSupervisionServiceClient(e.cc).UpdateLead(e.as(sup), &ruqiv1.UpdateLeadRequest{LeadId: complaint.GetLeadId(),
		Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "内部：已约谈该局执法人员", Reply: "已受理，正在调取该局执法记录"}); err != nil {
		t.Fatal(err)
	}

	list, err := ent.ListOwnLeads(e.as(tokA), &ruqiv1.ListOwnLeadsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range list.GetLeads() {
		ids = append(ids, l.GetId())
		for _, s := range l.GetSteps() {
			if s.GetBy() != "" || s.GetNote() != "" || s.GetAt() == nil {
				t.Errorf("lead %s shows a step to the enterprise as %v: want its status and time only", l.GetId(), s)
			}
		}
		switch l.GetKind() {
		case ruqiv1.LeadKind_LEAD_KIND_COMPLAINT:
			if l.GetStatus() != ruqiv1.LeadStatus_LEAD_STATUS_CHECKING || len(l.GetSteps()) != 2 || l.GetDescription() != "未出示入企码即进入车间" ||
				l.GetSteps()[1].GetReply() != "已受理，正在调取该局执法记录" {
				t.Errorf("the complaint reads %v: want 核查中 after two steps, in the enterprise's words, with the 司法局's reply", l)
			}
		case ruqiv1.LeadKind_LEAD_KIND_INVALID_CODE:
			if l.GetInspectionId() != "" || l.GetAgencyId() != "" || l.GetOfficerId() != "" || l.GetAgencyName() != "" || l.GetOfficerName() != "" {
				t.Errorf("the lead of B's code scanned at A names B's visit to A: %v", l)
			}
		}
	}
	if len(ids) != 3 || ids[0] == complaint.GetLeadId() || ids[2] != complaint.GetLeadId() || !slices.Contains(ids, refusal.GetLeadId()) {
		t.Errorf("A's leads %v: want its three, newest first (the complaint %s last, the refusal %s among them)", ids, complaint.GetLeadId(), refusal.GetLeadId())
	}
	first, err := ent.ListOwnLeads(e.as(tokA), &ruqiv1.ListOwnLeadsRequest{PageSize: 2})
	if err != nil || len(first.GetLeads()) != 2 || first.GetNextPageToken() == "" {
		t.Fatalf("a page of 2: %v, %v", first, err)
	}
	rest, err := ent.ListOwnLeads(e.as(tokA), &ruqiv1.ListOwnLeadsRequest{PageSize: 2, PageToken: first.GetNextPageToken()})
	if err != nil || len(rest.GetLeads()) != 1 || rest.GetLeads()[0].GetId() != ids[2] || rest.GetNextPageToken() != "" {
		t.Errorf("the page after: %v, %v; want %s alone and no token", rest, err, ids[2])
	}
	other, err := ent.ListOwnLeads(e.as(tokB), &ruqiv1.ListOwnLeadsRequest{})
	if err != nil || len(other.GetLeads()) != 1 || strings.Contains(other.GetLeads()[0].GetDescription(), "车间") {
		t.Errorf("B's leads: %v, %v; want its own complaint alone", other, err)
	}
	officer := e.token(t, ruqiv1.Role_ROLE_OFFICER, e.registrar(t, "AG-01").officers[0])
	if _, err := ent.ListOwnLeads(e.as(officer), &ruqiv1.ListOwnLeadsRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("an officer lists an enterprise's leads: %v, want PERMISSION_DENIED", err)
	}
	sess := ruqiv1.NewSessionServiceClient(e.cc)
	enr, err := sess.CreateDeviceEnrolment(e.as(tokA), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sess.EnrolDevice(e.as(""), &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ent.ListOwnLeads(e.as(dev.GetToken()), &ruqiv1.ListOwnLeadsRequest{}); status.Code(err) != codes.PermissionDenied || reasonOf(err) != "DEVICE_NOT_ACCOUNT" {
		t.Errorf("A's front-desk device lists its complaints: %v, want PERMISSION_DENIED DEVICE_NOT_ACCOUNT", err)
	}
	if _, err := ent.ListOwnLeads(e.as(tokA), &ruqiv1.ListOwnLeadsRequest{PageToken: "bm90LWEtdG9rZW4"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a page token not ours: %v, want INVALID_ARGUMENT", err)
	}
}

// A lead opened before the index existed (or by a version rolled back to)
// is listed once the start's pass has marked it (Service.MarkOwnLeads); a
// lead the enterprise did not open (a late registration) is not.
func TestListOwnLeads_LeadsOpenedBefore_MarkedAtStart(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, "")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	now := timestamppb.Now()
	old := &ruqiv1.Lead{Id: "L-OLDCOMPLAINT1", Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, EnterpriseUscc: uscc,
		Description: "升级前的投诉", CreatedAt: now, Steps: []*ruqiv1.LeadStep{{Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, At: now, By: "enterprise:" + uscc}}}
	late := &ruqiv1.Lead{Id: "L-OLDLATEREG01", Kind: ruqiv1.LeadKind_LEAD_KIND_LATE_REGISTRATION, Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, EnterpriseUscc: uscc,
		Description: "夜间紧急处置", CreatedAt: now}
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.PutLead(old); err != nil {
			return err
		}
		return tx.PutLead(late)
	}); err != nil {
		t.Fatal(err)
	}
	tok := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
	ent := ruqiv1.NewEnterpriseServiceClient(e.cc)
	if list, err := ent.ListOwnLeads(e.as(tok), &ruqiv1.ListOwnLeadsRequest{}); err != nil || len(list.GetLeads()) != 0 {
		t.Fatalf("before the pass: %v, %v; want none listed yet", list, err)
	}
	if err := e.svc.MarkOwnLeads(context.Background()); err != nil {
		t.Fatal(err)
	}
	// A reply nobody would read is refused, the step without one taken.
	sup := ruqiv1.NewSupervisionServiceClient(e.cc)
	supTok := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510000")
	_, err = sup.UpdateLead(e.as(supTok), &ruqiv1.UpdateLeadRequest{LeadId: late.GetId(), Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "核查补录理由", Reply: "答复企业"})
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "LEAD_NOT_FOLLOWED" {
		t.Errorf("a reply on a late registration's lead: %v, want FAILED_PRECONDITION LEAD_NOT_FOLLOWED", err)
	}
	if _, err := sup.UpdateLead(e.as(supTok), &ruqiv1.UpdateLeadRequest{LeadId: late.GetId(), Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "核查补录理由"}); err != nil {
		t.Errorf("the same step without a reply: %v", err)
	}
	if err := e.svc.MarkOwnLeads(context.Background()); err != nil { // a second start marks nothing twice
		t.Fatal(err)
	}
	list, err := ent.ListOwnLeads(e.as(tok), &ruqiv1.ListOwnLeadsRequest{})
	if err != nil || len(list.GetLeads()) != 1 || list.GetLeads()[0].GetId() != old.GetId() {
		t.Fatalf("after the pass: %v, %v; want the complaint alone, not the late registration", list, err)
	}
}
