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

// Found by an officer's trial of the new rules (2026-12-06): 锦江区's agency
// filing an inspection plan (ruqi plan file, plan amend) or a matching
// coverage (ruqi match cover) that listed an enterprise of another district
// was refused in the words of a registration, "不能报备对它的检查；请由企业所在地
// 的执法部门报备", though it registered nothing; the same plan over another
// district's code was refused as a plan ("检查计划只能覆盖…"). A refused list
// now says what was refused: the enterprise cannot be in the plan.
func TestPlanAndCoverage_OutsideTheTerritory_RefusedAsAPlan(t *testing.T) {
	e := newEnv(t, "")
	county := e.registrar(t, "AG-03") // 锦江区, 510104
	var inside, outside string
	for _, ent := range e.dir.GetEnterprises() {
		switch {
		case ent.GetRegionCode() == "510104" && inside == "":
			inside = ent.GetUscc()
		case ent.GetRegionCode() == "510107" && outside == "":
			outside = ent.GetUscc()
		}
	}
	if inside == "" || outside == "" {
		t.Fatal("the sample directory has no enterprise in 锦江区 and one in 武侯区")
	}
	t0 := time.Now().Add(24 * time.Hour)
	check := func(what string, err error) {
		t.Helper()
		if status.Code(err) != codes.PermissionDenied || reasonOf(err) != "OUTSIDE_JURISDICTION" {
			t.Fatalf("%s listing an enterprise of another district: %v, want PERMISSION_DENIED OUTSIDE_JURISDICTION", what, err)
		}
		msg := status.Convert(err).Message()
		if strings.Contains(msg, "报备") || !strings.Contains(msg, outside) || !strings.Contains(msg, "计划") {
			t.Errorf("%s listing an enterprise of another district is refused with %q: want it to name the enterprise and the plan, not a registration", what, msg)
		}
	}
	plans := ruqiv1.NewPlanServiceClient(e.cc)
	_, err := plans.FilePlan(e.as(county.tok), &ruqiv1.FilePlanRequest{Title: "日常检查计划", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{inside, outside}}, CheckItemIds: county.items[:1], Reason: "年度计划",
		PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0))})
	check("ruqi plan file", err)
	_, err = ruqiv1.NewMatchingServiceClient(e.cc).SubmitPlanCoverage(e.as(county.tok), &ruqiv1.SubmitPlanCoverageRequest{Coverage: &ruqiv1.PlanCoverage{
		PlanId: "M-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.Add(240 * time.Hour)),
		CheckItemIds: county.items[:1], EnterpriseUsccs: []string{inside, outside}}})
	check("ruqi match cover", err)
}
