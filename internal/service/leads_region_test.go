package service_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 司法局 trial (2026-12-06): 510104's supervisor asking for the leads of
// 510107, or of 520100 in another province, read "没有问题线索", where the
// report for the same region beside it says the region is not theirs. The
// district has leads; the supervisor may not read them. Both calls now
// answer alike, and a region within the scope still narrows the list.
func TestListLeads_RegionOutsideTheScope_RefusedAsTheReportIs(t *testing.T) {
	e := regionEnv(t)
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, regionE1)
	if _, err := ruqiv1.NewEnterpriseServiceClient(e.cc).Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "无码入企", OfficerClaimed: "张某"}); err != nil {
		t.Fatal(err)
	}
	sup := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	for _, region := range []string{"510107", "520100", "510100"} {
		_, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(sup), &ruqiv1.ListLeadsRequest{RegionCode: region})
		_, rerr := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(sup), &ruqiv1.GetFrequencyReportRequest{RegionCode: region})
		msg := status.Convert(err).Message()
		if status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OTHER_REGION" || !strings.Contains(msg, region) || msg != status.Convert(rerr).Message() {
			t.Errorf("510104's leads of %s: %v %s %q; want PermissionDenied OTHER_REGION as the report's %q", region, status.Code(err), reasonOf(err), msg, status.Convert(rerr).Message())
		}
	}
	for _, region := range []string{"510104", ""} {
		l, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(sup), &ruqiv1.ListLeadsRequest{RegionCode: region})
		if err != nil || len(l.GetLeads()) != 1 {
			t.Errorf("510104's leads of %q: %d, %v; want its one lead", region, len(l.GetLeads()), err)
		}
	}
	l, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(e.admin), &ruqiv1.ListLeadsRequest{RegionCode: "510107"})
	if err != nil || len(l.GetLeads()) != 0 {
		t.Errorf("the administrator's leads of 510107: %d, %v; want none, and no refusal", len(l.GetLeads()), err)
	}
}
