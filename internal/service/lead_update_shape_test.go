package service_test

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An update that names no lead, or no new status, is the request's fault:
// it was answered NOT_FOUND "问题线索  不存在" and FAILED_PRECONDITION
// "问题线索 L-… 当前状态为“已接收”，不能改为“”" (a trial of bad input,
// 2026-12-07; the dashboard refused both itself, a client of the API was
// told the lead or its state was at fault). The lead is left as it was.
func TestUpdateLead_NoLeadOrNoStatus_InvalidArgument(t *testing.T) {
	e := newEnv(t, "")
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, e.dir.GetEnterprises()[1].GetUscc())
	c, err := ruqiv1.NewEnterpriseServiceClient(e.cc).Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "未出示入企码"})
	if err != nil {
		t.Fatal(err)
	}
	sup := e.as(e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100"))
	sv := ruqiv1.NewSupervisionServiceClient(e.cc)
	for _, tc := range []struct {
		req    *ruqiv1.UpdateLeadRequest
		reason string
	}{
		{&ruqiv1.UpdateLeadRequest{Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "已约谈"}, "LEAD_ID_MISSING"},
		{&ruqiv1.UpdateLeadRequest{LeadId: c.GetLeadId(), Note: "已约谈"}, "LEAD_STATUS_MISSING"},
	} {
		_, err := sv.UpdateLead(sup, tc.req)
		if status.Code(err) != codes.InvalidArgument || reasonOf(err) != tc.reason {
			t.Errorf("update %v: %v, want InvalidArgument %s", tc.req, err, tc.reason)
		}
	}
	leads, err := sv.ListLeads(sup, &ruqiv1.ListLeadsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leads.GetLeads() {
		if l.GetId() == c.GetLeadId() && l.GetStatus() != ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED {
			t.Errorf("refused updates left the lead %s", l.GetStatus())
		}
	}
}
