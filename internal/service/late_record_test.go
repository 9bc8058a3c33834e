package service_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// calEnv is a service on a clock the test sets, in Beijing time.
type calEnv struct {
	*env
	clock atomic.Pointer[time.Time]
}

func newCalEnv(t *testing.T, now time.Time, configure ...func(*service.Config)) *calEnv {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	c := &calEnv{}
	c.clock.Store(&now)
	c.env = newEnvOn(t, st, "", append([]func(*service.Config){func(cfg *service.Config) { cfg.Now = func() time.Time { return *c.clock.Load() } }}, configure...)...)
	return c
}

func (c *calEnv) set(t time.Time) { c.clock.Store(&t) }

// enterpriseOfGrade is a sample enterprise of a credit grade.
func (c *calEnv) enterpriseOfGrade(t *testing.T, g ruqiv1.CreditGrade) string {
	for _, e := range c.dir.GetEnterprises() {
		if e.GetCreditGrade() == g {
			return e.GetUscc()
		}
	}
	t.Fatalf("no enterprise of grade %v", g)
	return ""
}

var calSeq atomic.Int64

// reg registers an inspection of r's agency: routine unless typ says
// otherwise; late with a late reason.
func reg(r *registrar, uscc string, start, end time.Time, typ ruqiv1.InspectionType, late string) (*ruqiv1.RegisterInspectionResponse, error) {
	n := calSeq.Add(1)
	req := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end),
		Type: typ, Reason: "日历测试", LateReason: late, RequestId: fmt.Sprintf("cal-%d", n),
	}
	if typ == ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
		req.TriggerReference = fmt.Sprintf("JB-%d", n)
	}
	return ruqiv1.NewInspectionServiceClient(r.e.cc).RegisterInspection(r.e.as(r.tok), req)
}

func bj(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, domain.Shanghai)
}

// Found by a trial of the calendar (2026-12-06), with the late-record tests
// below.
//
// TestCalendar_YearBoundaryInBeijing: 涟源's two per agency per calendar
// year counts the year in Beijing time: 2026-12-31 16:00 UTC is 2027-01-01
// 00:00 in Beijing, a new year; 15:30 UTC is still 2026.
func TestCalendar_YearBoundaryInBeijing(t *testing.T) {
	c := newCalEnv(t, bj(2026, 12, 5, 10, 0))
	r := c.registrar(t, "AG-01")
	uscc := c.enterpriseOfGrade(t, ruqiv1.CreditGrade_CREDIT_GRADE_B)
	routine := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	for _, d := range []int{10, 20} {
		if _, err := reg(r, uscc, bj(2026, 12, d, 9, 0), bj(2026, 12, d, 11, 0), routine, ""); err != nil {
			t.Fatalf("December %d: %v", d, err)
		}
	}
	utc := func(h, m int) time.Time { return time.Date(2026, 12, 31, h, m, 0, 0, time.UTC) }
	if _, err := reg(r, uscc, utc(15, 0), utc(15, 45), routine, ""); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third of 2026 (23:00 Beijing on 31 December): %v, want capped", err)
	}
	resp, err := reg(r, uscc, utc(16, 0), utc(17, 0), routine, "")
	if err != nil {
		t.Fatalf("first of 2027 (00:00 Beijing on 1 January): %v", err)
	}
	sup := c.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	rep, err := ruqiv1.NewReportServiceClient(c.cc).GetFrequencyReport(c.as(sup), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: "2026-12", ToMonth: "2027-01", GroupBy: ruqiv1.GroupBy_GROUP_BY_MONTH})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, row := range rep.GetRows() {
		got[row.GetKey()] = row.GetInspections()
	}
	if got["202612"] != 2 || got["202701"] != 1 {
		t.Fatalf("report by month: %v, want 202612:2 202701:1 (%s)", got, resp.GetInspection().GetId())
	}
	rep, err = ruqiv1.NewReportServiceClient(c.cc).GetFrequencyReport(c.as(sup), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: "2026-01", ToMonth: "2027-12", GroupBy: ruqiv1.GroupBy_GROUP_BY_YEAR})
	if err != nil {
		t.Fatal(err)
	}
	got = map[string]int64{}
	for _, row := range rep.GetRows() {
		got[row.GetKey()] = row.GetInspections()
	}
	if got["2026"] != 2 || got["2027"] != 1 {
		t.Fatalf("report by year: %v", got)
	}
	t.Logf("year rows %v; 2027 row prev %v", got, rep.GetRows())
}

// TestLateRecord_SameEmergencyTwice_Duplicate: an officer records an
// emergency inspection late (深圳: 先检查后补录) and, not seeing the answer,
// runs the command again (the CLI makes a new request id each run). The
// same agency's second plan over the same window is a duplicate of its
// first, as it is for a plan registered ahead; two records would count the
// visit twice and open two leads.
func TestLateRecord_SameEmergencyTwice_Duplicate(t *testing.T) {
	c := newCalEnv(t, bj(2026, 12, 5, 10, 0))
	r := c.registrar(t, "AG-01")
	uscc := c.enterpriseOfGrade(t, ruqiv1.CreditGrade_CREDIT_GRADE_B)
	start, end := bj(2026, 12, 1, 22, 10), bj(2026, 12, 1, 23, 10)
	first, err := reg(r, uscc, start, end, ruqiv1.InspectionType_INSPECTION_TYPE_CASE, "夜间燃气泄漏紧急处置")
	if err != nil {
		t.Fatal(err)
	}
	second, err := reg(r, uscc, start, end, ruqiv1.InspectionType_INSPECTION_TYPE_CASE, "夜间燃气泄漏紧急处置")
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("the same emergency recorded twice by AG-01: %s and %s (err %v), want the second refused as a duplicate of the first",
			first.GetInspection().GetId(), second.GetInspection().GetId(), err)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "重复补录") || !strings.Contains(msg, first.GetInspection().GetId()) {
		t.Errorf("the duplicate late record told %q, want it named as recorded already", msg)
	}
}

// TestLateRecord_WarnedInItsOwnPeriod: 成都 warns of more than one visit to
// an enterprise in a day. AG-01 inspected on 1 December as registered; AG-02
// inspected the same enterprise in an emergency that afternoon and records
// it late on 5 December, within the 10 days. The day had two visits: the
// late record is warned about (FREQUENCY_WARNING), as it would have been had
// it been registered ahead, and the report counts the warning.
func TestLateRecord_WarnedInItsOwnPeriod(t *testing.T) {
	c := newCalEnv(t, bj(2026, 11, 28, 10, 0))
	uscc := c.enterpriseOfGrade(t, ruqiv1.CreditGrade_CREDIT_GRADE_B)
	a, b := c.registrar(t, "AG-01"), c.registrar(t, "AG-02")
	if _, err := reg(a, uscc, bj(2026, 12, 1, 9, 0), bj(2026, 12, 1, 11, 0), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, ""); err != nil {
		t.Fatal(err)
	}
	c.set(bj(2026, 12, 5, 10, 0))
	resp, err := reg(b, uscc, bj(2026, 12, 1, 14, 0), bj(2026, 12, 1, 15, 0), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, "系统故障，先检查后补录")
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.GetWarnings()) == 0 {
		t.Errorf("second visit on 2026-12-01, recorded late on 12-05: no frequency warning, want one of more than 1 a day")
	}
	sup := c.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	rep, err := ruqiv1.NewReportServiceClient(c.cc).GetFrequencyReport(c.as(sup), &ruqiv1.GetFrequencyReportRequest{FromMonth: "2026-12", ToMonth: "2026-12"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.GetTotals().GetFrequencyWarnings() == 0 {
		t.Errorf("report for 2026-12: %d frequency warnings, want 1 (two visits on 12-01)", rep.GetTotals().GetFrequencyWarnings())
	}
}

// TestLateRecord_RoutineCountsTowardsTheAgencyCap: AG-01 inspected an
// enterprise in an emergency on 1 December as a routine (日常) check and
// records it late on 5 December; it is not refused (it took place), but it
// is one of AG-01's proactive inspections of 2026. 涟源's cap of two per
// agency per year then allows AG-01 one more routine inspection in 2026,
// not two: the third proactive one is refused at registration.
func TestLateRecord_RoutineCountsTowardsTheAgencyCap(t *testing.T) {
	c := newCalEnv(t, bj(2026, 12, 5, 10, 0))
	r := c.registrar(t, "AG-01")
	uscc := c.enterpriseOfGrade(t, ruqiv1.CreditGrade_CREDIT_GRADE_B)
	routine := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	if _, err := reg(r, uscc, bj(2026, 12, 1, 14, 0), bj(2026, 12, 1, 15, 0), routine, "系统故障，先检查后补录"); err != nil {
		t.Fatalf("late record: %v", err)
	}
	if _, err := reg(r, uscc, bj(2026, 12, 15, 9, 0), bj(2026, 12, 15, 11, 0), routine, ""); err != nil {
		t.Fatalf("second routine inspection of 2026: %v", err)
	}
	resp, err := reg(r, uscc, bj(2026, 12, 28, 9, 0), bj(2026, 12, 28, 11, 0), routine, "")
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("third routine inspection of 2026 by AG-01 (the first recorded late): registered %s (err %v), want refused by the cap of 2 per agency per year",
			resp.GetInspection().GetId(), err)
	}
}

// TestMatching_YearCapsOfTheVisitsYear: AG-01 has spent its two inspections
// of an enterprise for 2026 (涟源's cap). A 司法局 runs 拼团 matching in
// December for the turn of the year, 2026-12-20 to 2027-02-01; AG-01 and
// AG-02 both plan the enterprise for 4–29 January 2027. The visit is in
// 2027, where AG-01 has inspected nothing: one proposal of both agencies,
// AG-01 not left out by its 2026 count.
func TestMatching_YearCapsOfTheVisitsYear(t *testing.T) {
	c := newCalEnv(t, bj(2026, 12, 5, 10, 0))
	a1, a2 := c.registrar(t, "AG-01"), c.registrar(t, "AG-02")
	uscc := c.enterpriseOfGrade(t, ruqiv1.CreditGrade_CREDIT_GRADE_B)
	for _, d := range []int{10, 17} {
		if _, err := reg(a1, uscc, bj(2026, 12, d, 9, 0), bj(2026, 12, d, 11, 0), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, ""); err != nil {
			t.Fatalf("AG-01 on 12-%d: %v", d, err)
		}
	}
	mcli := ruqiv1.NewMatchingServiceClient(c.cc)
	from, to := bj(2027, 1, 4, 0, 0), bj(2027, 1, 30, 0, 0)
	for _, a := range []*registrar{a1, a2} {
		if _, err := mcli.SubmitPlanCoverage(c.as(a.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
			PlanId: "2027-01-" + a.agency, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(from), PeriodEnd: timestamppb.New(to),
			CheckItemIds: a.items[:1], EnterpriseUsccs: []string{uscc}}}); err != nil {
			t.Fatal(err)
		}
	}
	run, err := mcli.RunMatching(c.as(c.admin), &ruqiv1.RunMatchingRequest{PeriodStart: timestamppb.New(bj(2026, 12, 20, 0, 0)), PeriodEnd: timestamppb.New(bj(2027, 2, 1, 0, 0))})
	if err != nil {
		t.Fatal(err)
	}
	if len(run.GetProposals()) != 1 || len(run.GetProposals()[0].GetMembers()) != 2 {
		t.Fatalf("matching 2026-12-20 to 2027-02-01: %d proposals, %d plans capped out; want one proposal of AG-01 and AG-02 in January 2027 (AG-01's cap of 2027 is unspent)",
			len(run.GetProposals()), run.GetPlansCappedOut())
	}
	t.Logf("window %v", run.GetProposals()[0].GetWindowStart().AsTime().In(domain.Shanghai))
}
