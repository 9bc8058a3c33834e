package service_test

import (
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A 司法局 trial of the reports (2026-12-05), fixed since: an enterprise with a lead
// nobody has touched yet moves (a re-import). The new region's supervisor
// lists the lead (ListLeads, the dashboard's list) but its report counts
// none RECEIVED; the old region's supervisor lists none and its report
// still counts one. docs/ARCHITECTURE.md says so ("a lead nobody has
// touched since the move is still counted where it was opened"); to the
// supervisor the figure beside the list contradicts it until someone
// touches the lead. On the trial's server: 510114 "已接收 3", "没有问题线索";
// 510107 "已接收 2" beside a list of 5.
func TestReport_LeadCounts_MovedEnterprise_UntouchedLead_AgreesWithTheList(t *testing.T) {
	e := regionEnv(t)
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, regionE1)
	if _, err := ruqiv1.NewEnterpriseServiceClient(e.cc).Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "无码入企", OfficerClaimed: "张某"}); err != nil {
		t.Fatal(err)
	}
	e.moveEnterprise(t, regionE1, "510107")
	for region, want := range map[string]int{"510107": 1, "510104": 0} {
		sup := e.as(e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, region))
		list, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(sup, &ruqiv1.ListLeadsRequest{Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(sup, &ruqiv1.GetFrequencyReportRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var counted int64
		for _, l := range rep.GetLeads() {
			if l.GetStatus() == ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED {
				counted = l.GetCount()
			}
		}
		if len(list.GetLeads()) != want || counted != int64(want) {
			t.Errorf("%s: the report counts %d RECEIVED lead(s), the lead list holds %d; want %d", region, counted, len(list.GetLeads()), want)
		}
	}
}
