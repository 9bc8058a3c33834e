package service_test

import (
	"path/filepath"
	"slices"
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

// A 双随机 draw leaves out the enterprises where the agency has already
// made the year's proactive inspections its region's policy allows (by
// default 2, agency_per_year), and counts them apart: a pick of one was
// refused FREQUENCY_CAP at registration until the year ended, a pick
// wasted (stop 44's list). Exempt (个案) inspections do not count, another
// agency's draw keeps the enterprise, and a retry under the request id is
// answered with the draw committed although the cap is not applied to it
// again.
func TestDraw_AgencyCapReached_LeftOut(t *testing.T) {
	b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	// The service's clock is today, or 20 December late in the year: the
	// plans a few days after it stay in its year, which the caps count,
	// and the tokens it issues (90 days) are still valid by the real
	// clock, which the interceptor reads.
	y, m, d := time.Now().In(domain.Shanghai).Date()
	now := time.Date(y, m, d, 10, 0, 0, 0, domain.Shanghai)
	if last := time.Date(y, 12, 20, 10, 0, 0, 0, domain.Shanghai); now.After(last) {
		now = last
	}
	e := newEnvOn(t, b, "", func(c *service.Config) { c.Now = func() time.Time { return now } })
	county := e.registrar(t, "AG-03") // 锦江区, 510104
	var ents []string
	for _, ent := range e.dir.GetEnterprises() {
		if ent.GetRegionCode() == "510104" && ent.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			ents = append(ents, ent.GetUscc())
		}
	}
	if len(ents) < 3 {
		t.Fatalf("the sample directory's 锦江区 has %d enterprises not of grade A, want 3", len(ents))
	}
	spent, once, none := ents[0], ents[1], ents[2]
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	day := 0
	register := func(uscc string, typ ruqiv1.InspectionType) {
		t.Helper()
		day++
		start := now.AddDate(0, 0, day)
		req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: uscc, CheckItemIds: county.items[:1], OfficerIds: county.officers[:2],
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Hour)), Type: typ, Reason: "日常检查"}
		if typ == ruqiv1.InspectionType_INSPECTION_TYPE_CASE {
			req.TriggerReference, req.Reason = "TS-2026-0615", "投诉举报"
		}
		if _, err := ins.RegisterInspection(e.as(county.tok), req); err != nil {
			t.Fatalf("registering a plan at %s: %v", uscc, err)
		}
	}
	register(spent, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	register(spent, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	register(once, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	register(once, ruqiv1.InspectionType_INSPECTION_TYPE_CASE)
	register(once, ruqiv1.InspectionType_INSPECTION_TYPE_CASE)

	draws := ruqiv1.NewDrawServiceClient(e.cc)
	commit := func(agency, rid string, list ...string) (*ruqiv1.CommitDrawResponse, error) {
		r := county
		if agency != "AG-03" {
			r = e.registrar(t, agency)
		}
		return draws.CommitDraw(e.as(e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, agency)), &ruqiv1.CommitDrawRequest{
			Title: "6月双随机", EnterprisePopulation: list, EnterpriseCount: 1,
			OfficerPopulation: r.officers[:2], OfficerCount: 2, RequestId: rid})
	}
	first, err := commit("AG-03", "draw-0615", spent, once, none)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{once, none}
	slices.Sort(want)
	if got := first.GetDraw().GetEnterprisePopulation(); !slices.Equal(got, want) || first.GetEnterprisesCapReached() != 1 || first.GetEnterprisesLeftOut() != 0 {
		t.Errorf("AG-03's draw after two routine inspections at %s: population %v, %d at their cap, %d barred; want %v, 1, 0",
			spent, got, first.GetEnterprisesCapReached(), first.GetEnterprisesLeftOut(), want)
	}
	retry, err := commit("AG-03", "draw-0615", spent, once, none)
	if err != nil || retry.GetDraw().GetId() != first.GetDraw().GetId() {
		t.Errorf("the same request again: %v, draw %s; want the draw committed, %s", err, retry.GetDraw().GetId(), first.GetDraw().GetId())
	}
	other, err := commit("AG-01", "", spent)
	if err != nil || !slices.Equal(other.GetDraw().GetEnterprisePopulation(), []string{spent}) || other.GetEnterprisesCapReached() != 0 {
		t.Errorf("成都市市场监督管理局's draw of %s: %v, %v; want it kept, AG-03's cap is AG-03's", spent, err, other.GetDraw().GetEnterprisePopulation())
	}
	_, err = commit("AG-03", "", spent)
	if status.Code(err) != codes.FailedPrecondition || reasonOf(err) != "DRAW_POPULATION_EMPTY" {
		t.Errorf("AG-03's draw of %s alone: %v; want FAILED_PRECONDITION DRAW_POPULATION_EMPTY", spent, err)
	}
	byRange, err := draws.CommitDraw(e.as(e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-03")), &ruqiv1.CommitDrawRequest{
		Title: "6月双随机（范围）", EnterpriseFilter: &ruqiv1.EnterpriseFilter{RegionCode: "510104"}, EnterpriseCount: 1,
		OfficerPopulation: county.officers[:2], OfficerCount: 2})
	if err != nil {
		t.Fatal(err)
	}
	if pop := byRange.GetDraw().GetEnterprisePopulation(); slices.Contains(pop, spent) || !slices.Contains(pop, once) || byRange.GetEnterprisesCapReached() != 1 {
		t.Errorf("AG-03's draw over 510104: %d enterprises, %s among them %v, %d at their cap; want it left out, counted once",
			len(pop), spent, slices.Contains(pop, spent), byRange.GetEnterprisesCapReached())
	}
}
