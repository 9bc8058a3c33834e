package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a review of the closed-visit / jurisdiction change (2026-12-06):
// a 双随机 draw whose range lies outside the agency's territory is refused
// (属地管辖, what it drew could not be registered), but the same draw made
// with an explicit list of enterprises (enterprise_population) was
// committed as it was: 锦江区's agency drew, and published in the log, picks
// of enterprises of another district that it may not inspect, so the
// random sample it committed to could never be carried out.
func TestDraw_ExplicitListOutsideTheTerritory_Refused(t *testing.T) {
	e := newEnv(t, "")
	county := e.registrar(t, "AG-03") // 锦江区, 510104
	var inside, outside string
	for _, ent := range e.dir.GetEnterprises() {
		switch {
		case ent.GetRegionCode() == "510104" && inside == "":
			inside = ent.GetUscc()
		case ent.GetRegionCode() != "510104" && strings.HasPrefix(ent.GetRegionCode(), "5101") && outside == "":
			outside = ent.GetUscc()
		}
	}
	if inside == "" || outside == "" {
		t.Fatal("the sample directory has no enterprise in 锦江区 and one elsewhere in 成都")
	}
	head := e.token(t, ruqiv1.Role_ROLE_AGENCY_ADMIN, "AG-03")
	draw := func(usccs ...string) error {
		_, err := ruqiv1.NewDrawServiceClient(e.cc).CommitDraw(e.as(head), &ruqiv1.CommitDrawRequest{Title: "12月双随机",
			EnterprisePopulation: usccs, EnterpriseCount: 1, OfficerPopulation: county.officers[:2], OfficerCount: 2})
		return err
	}
	if err := draw(inside, outside); status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
		t.Fatalf("锦江区's agency drawing from a list naming an enterprise of another district: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", err)
	}
	if err := draw(inside); err != nil {
		t.Fatalf("锦江区's agency drawing from a list of its district: %v", err)
	}
}

// Found by a review of the closed-visit / jurisdiction change (2026-12-06):
// a plan filed for matching (SubmitPlanCoverage) is held to the agency's
// territory, since an accepted proposal registers the agency's part, but
// an inspection plan (检查计划, FilePlan and AmendPlan) is matched too
// (inspection.Coverages), and its scope was not: 锦江区's agency filed a
// plan listing an enterprise of another district, or over another
// district's population, which matching then proposed as a joint visit
// that every other agency could accept and its own part could not
// register (OUTSIDE_JURISDICTION at the registration).
func TestPlan_ScopeOutsideTheTerritory_Refused(t *testing.T) {
	e := newEnv(t, "")
	county := e.registrar(t, "AG-03") // 锦江区, 510104
	var inside, outside string
	for _, ent := range e.dir.GetEnterprises() {
		switch {
		case ent.GetRegionCode() == "510104" && inside == "":
			inside = ent.GetUscc()
		case ent.GetRegionCode() == "510105" && outside == "":
			outside = ent.GetUscc()
		}
	}
	if inside == "" || outside == "" {
		t.Fatal("the sample directory has no enterprise in 锦江区 and one in 青羊区")
	}
	plans := ruqiv1.NewPlanServiceClient(e.cc)
	t0 := time.Now().Add(24 * time.Hour)
	file := func(sc *ruqiv1.PlanScope) (*ruqiv1.FilePlanResponse, error) {
		return plans.FilePlan(e.as(county.tok), &ruqiv1.FilePlanRequest{Title: "日常检查计划", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			Scope: sc, CheckItemIds: county.items[:1], Reason: "年度计划",
			PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0))})
	}
	for _, sc := range []*ruqiv1.PlanScope{{EnterpriseUsccs: []string{inside, outside}}, {RegionCode: "510105"}, {RegionCode: "510100"}} {
		if _, err := file(sc); status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
			t.Fatalf("锦江区's agency filing a plan over %v: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", sc, err)
		}
	}
	filed, err := file(&ruqiv1.PlanScope{EnterpriseUsccs: []string{inside}})
	if err != nil {
		t.Fatalf("锦江区's agency filing a plan of its district: %v", err)
	}
	_, err = plans.AmendPlan(e.as(county.tok), &ruqiv1.AmendPlanRequest{PlanId: filed.GetPlan().GetId(), Reason: "扩大范围",
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{inside, outside}}})
	if status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
		t.Fatalf("锦江区's agency amending its plan to an enterprise of another district: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", err)
	}
	if _, err := file(&ruqiv1.PlanScope{RegionCode: "510104"}); err != nil {
		t.Fatalf("锦江区's agency filing a plan over its district: %v", err)
	}
}
