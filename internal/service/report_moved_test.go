package service_test

import (
	"fmt"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// enterpriseRow is the report's row for uscc grouped by enterprise, over
// the months from..to ("2006-01"), as the administrator reads it.
func enterpriseRow(t *testing.T, e *env, from, to, uscc string) (*ruqiv1.ReportRow, *ruqiv1.ReportTotals) {
	t.Helper()
	rep, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(e.admin), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: from, ToMonth: to, GroupBy: ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, Top: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.GetRows() {
		if r.GetKey() == uscc {
			return r, rep.GetTotals()
		}
	}
	t.Fatalf("no row for %s in %v", uscc, rep.GetRows())
	return nil, nil
}

// An enterprise scanned in 510104 moves to 510107 (a re-import) and is
// registered again. Its row among the most-inspected enterprises sums its
// inspections over both regions (2), but reads its 亮码 (scanned) and its
// visits from the region of the last key only: scanned 0 where the totals
// of the same report, the events and the enterprise's only plans say 1 (an
// operator's trial of the reports, 2026-12-05).
func TestReport_TopEnterprises_MovedEnterprise_ScannedFromBothRegions(t *testing.T) {
	e := regionEnv(t)
	r := e.registrar(t, "AG-01")
	now := time.Now()
	p1, err := r.register(regionE1, now)
	if err != nil {
		t.Fatal(err)
	}
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, regionE1)
	sc, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ScanCode(e.as(ent), &ruqiv1.ScanCodeRequest{Code: p1.GetCodes()[0].GetToken()})
	if err != nil || sc.GetVerdict() != ruqiv1.Verdict_VERDICT_VALID {
		t.Fatalf("scan: %v %v", sc.GetVerdict(), err)
	}
	e.moveEnterprise(t, regionE1, "510107")
	if _, err := r.register(regionE1, now.Add(5*time.Minute)); err != nil {
		t.Fatal(err)
	}
	m := now.In(domain.Shanghai).Format("2006-01")
	row, tot := enterpriseRow(t, e, m, m, regionE1)
	if tot.GetInspections() != 2 || tot.GetScanned() != 1 {
		t.Fatalf("totals: %d inspections, %d scanned; want 2 and 1", tot.GetInspections(), tot.GetScanned())
	}
	if row.GetInspections() != 2 || row.GetScanned() != 1 || row.GetVisits() != 2 {
		t.Errorf("row of %s: %d inspections, %d scanned, %d visits; want 2, 1, 2 (the totals of the same report say 1 scanned)",
			regionE1, row.GetInspections(), row.GetScanned(), row.GetVisits())
	}
}

// 同比 of a moved enterprise: inspected once in June of year y in 510104,
// moved to 510107, inspected once in June of y+1. The report of June y+1
// says previous_year 1 in its totals and 0 in the enterprise's own row (no
// 同比), because the row reads last year's count under this year's region.
// (Years in the future: the auth interceptor checks token expiry on the real
// clock, the service issues them on its own.)
func TestReport_TopEnterprises_MovedEnterprise_PreviousYear(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	y := time.Now().Year() + 1
	clock := &atomic.Pointer[time.Time]{}
	set := func(year, hour int) time.Time {
		tm := time.Date(year, 6, 10, hour, 0, 0, 0, domain.Shanghai)
		clock.Store(&tm)
		return tm
	}
	set(y, 9)
	e := newEnvOn(t, st, "", func(c *service.Config) { c.Now = func() time.Time { return *clock.Load() } })
	r := e.registrar(t, "AG-01")
	if _, err := r.register(regionE1, set(y, 10)); err != nil {
		t.Fatal(err)
	}
	e.moveEnterprise(t, regionE1, "510107")
	set(y+1, 9)
	r.tok = e.token(t, ruqiv1.Role_ROLE_OFFICER, r.officers[0]) // issued on the service clock, a year on
	if _, err := r.register(regionE1, set(y+1, 10)); err != nil {
		t.Fatal(err)
	}
	m := fmt.Sprintf("%d-06", y+1)
	row, tot := enterpriseRow(t, e, m, m, regionE1)
	if tot.GetInspections() != 1 || tot.GetPreviousYear() != 1 {
		t.Fatalf("totals: %d inspections, previous year %d; want 1 and 1", tot.GetInspections(), tot.GetPreviousYear())
	}
	if row.GetPreviousYear() != 1 || !row.GetHasChange() {
		t.Errorf("row of %s: previous year %d (has_change %v); want 1, as the totals of the same report", regionE1, row.GetPreviousYear(), row.GetHasChange())
	}
}

// A lead goes with its moved enterprise to the new region's supervisor
// (TestLead_OfAMovedEnterprise_GoesWithIt), and its status counts with its
// next step: they stayed where it was opened, and the new region's report
// counted no CHECKING lead while its own lead list (and the dashboard
// beside the report) held one, the old region's one it could not list (an
// operator's trial of the reports, 2026-12-05).
func TestReport_LeadCounts_MovedEnterprise_AgreeWithTheList(t *testing.T) {
	e := regionEnv(t)
	ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, regionE1)
	c, err := ruqiv1.NewEnterpriseServiceClient(e.cc).Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "无码入企", OfficerClaimed: "张某"})
	if err != nil {
		t.Fatal(err)
	}
	e.moveEnterprise(t, regionE1, "510107")
	sup := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510107")
	if _, err := ruqiv1.NewSupervisionServiceClient(e.cc).UpdateLead(e.as(sup), &ruqiv1.UpdateLeadRequest{LeadId: c.GetLeadId(), Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING, Note: "核查"}); err != nil {
		t.Fatal(err)
	}
	list, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(e.as(sup), &ruqiv1.ListLeadsRequest{Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(sup), &ruqiv1.GetFrequencyReportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var counted int64
	for _, l := range rep.GetLeads() {
		if l.GetStatus() == ruqiv1.LeadStatus_LEAD_STATUS_CHECKING {
			counted = l.GetCount()
		}
	}
	if counted != int64(len(list.GetLeads())) || counted != 1 {
		t.Errorf("510107's report counts %d CHECKING leads, its lead list holds %d; want 1", counted, len(list.GetLeads()))
	}
	// And the region it left counts none of it.
	was := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	rep, err = ruqiv1.NewReportServiceClient(e.cc).GetFrequencyReport(e.as(was), &ruqiv1.GetFrequencyReportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rep.GetLeads() {
		if l.GetCount() != 0 {
			t.Errorf("510104's report still counts %d %v lead(s) of the enterprise that left", l.GetCount(), l.GetStatus())
		}
	}
}

// ListLeads narrows to a region within the caller's, and to an agency, as
// the dashboard's filters ask (a trial of the pages, 2026-12-05: the list
// under a report of 510104 held another district's leads).
func TestListLeads_RegionAndAgencyFilters(t *testing.T) {
	e := regionEnv(t)
	for _, uscc := range []string{regionE1, "915101070AL6JK1YWK" /* 510107 */} {
		ent := e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)
		if _, err := ruqiv1.NewEnterpriseServiceClient(e.cc).Complain(e.as(ent), &ruqiv1.ComplainRequest{Description: "无码入企", OfficerClaimed: "张某"}); err != nil {
			t.Fatal(err)
		}
	}
	sup := e.as(e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100"))
	list := func(req *ruqiv1.ListLeadsRequest) ([]*ruqiv1.Lead, error) {
		resp, err := ruqiv1.NewSupervisionServiceClient(e.cc).ListLeads(sup, req)
		return resp.GetLeads(), err
	}
	for _, c := range []struct {
		req  *ruqiv1.ListLeadsRequest
		want int
	}{
		{&ruqiv1.ListLeadsRequest{}, 2},
		{&ruqiv1.ListLeadsRequest{RegionCode: "510104"}, 1},
		{&ruqiv1.ListLeadsRequest{RegionCode: "510100"}, 2},
		{&ruqiv1.ListLeadsRequest{AgencyId: "AG-09"}, 0},
	} {
		got, err := list(c.req)
		if err != nil || len(got) != c.want {
			t.Errorf("%v: %d leads, %v; want %d", c.req, len(got), err, c.want)
		}
	}
	// A region beyond the caller's is refused, as the report refuses it
	// (it answered no leads: a 司法局 trial, 2026-12-06).
	if _, err := list(&ruqiv1.ListLeadsRequest{RegionCode: "440300"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("a region outside the supervisor's: %v, want PERMISSION_DENIED", err)
	}
	if _, err := list(&ruqiv1.ListLeadsRequest{RegionCode: "5101"}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("a region that is no division code: %v, want INVALID_ARGUMENT", err)
	}
}
