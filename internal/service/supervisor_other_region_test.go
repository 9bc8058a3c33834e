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

// 36ea673 answered a supervisor attaching to another region's inspection
// as for an id nobody registered, since "not in your region" told it the
// inspection exists. The same supervisor reading that inspection, or its
// accompaniments, was still told OTHER_REGION naming it: whichever call it
// tried, it learned the same. Every call a supervisor makes on another
// region's inspection now reads as one on an unknown id, word for word.
func TestSupervisor_OtherRegionsInspection_ReadsAsUnknownEverywhere(t *testing.T) {
	f := newDoorFixture(t)
	id := f.register(t, regionE1, f.t0.Add(time.Hour), f.t0.Add(3*time.Hour), f.r.officers[:2]).GetInspection().GetId()
	missing := id[:len(id)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(id, "A")]
	other := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510107")
	ins := ruqiv1.NewInspectionServiceClient(f.e.cc)
	sv := ruqiv1.NewSupervisionServiceClient(f.e.cc)
	calls := map[string]func(id string) error{
		"GetInspection": func(id string) error {
			_, err := ins.GetInspection(f.e.as(other), &ruqiv1.GetInspectionRequest{InspectionId: id})
			return err
		},
		"ListAccompaniments": func(id string) error {
			_, err := sv.ListAccompaniments(f.e.as(other), &ruqiv1.ListAccompanimentsRequest{InspectionId: id})
			return err
		},
		"AttachSupervisor": func(id string) error {
			_, err := sv.AttachSupervisor(f.e.as(other), &ruqiv1.AttachSupervisorRequest{InspectionId: id, SupervisorName: "李监督"})
			return err
		},
	}
	for name, call := range calls {
		err, unknown := call(id), call(missing)
		if reasonOf(err) != "INSPECTION_UNKNOWN" || status.Code(err) != status.Code(unknown) ||
			strings.ReplaceAll(status.Convert(unknown).Message(), missing, id) != status.Convert(err).Message() {
			t.Errorf("%s of another region's inspection: %v; of an unknown id: %v; want them alike", name, err, unknown)
		}
	}
	// The region's own supervisor still reads it.
	own := f.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	if _, err := ins.GetInspection(f.e.as(own), &ruqiv1.GetInspectionRequest{InspectionId: id}); err != nil {
		t.Errorf("the region's supervisor reading its inspection: %v", err)
	}
}

// A red-team trial (2026-12-06) found the same for plans and enterprises:
// 510107's supervisor asking for a plan that concerns only 510104 was told
// "检查计划 … 的部门和所列企业都不在您监督的行政区划", and for an
// enterprise of 510104 (GetEnterprise, ListPriorResults) "该企业不在您监督的
// 行政区划", where an id nobody filed or a USCC the directory does not hold
// is NOT_FOUND: the answer told the supervisor the plan, or the
// enterprise, exists elsewhere. Both now read as unknown, word for word.
func TestSupervisor_OtherRegionsPlanAndEnterprise_ReadAsUnknown(t *testing.T) {
	e := regionEnv(t)
	county := e.registrar(t, "AG-03")
	t0 := time.Now().Add(24 * time.Hour)
	filed, err := ruqiv1.NewPlanServiceClient(e.cc).FilePlan(e.as(county.tok), &ruqiv1.FilePlanRequest{Title: "日常检查", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{regionE1}}, CheckItemIds: county.items[:1], Reason: "年度计划",
		PeriodStart: timestamppb.New(t0), PeriodEnd: timestamppb.New(t0.AddDate(0, 1, 0))})
	if err != nil {
		t.Fatal(err)
	}
	planID := filed.GetPlan().GetId()
	other := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510107")
	plans := ruqiv1.NewPlanServiceClient(e.cc)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	dir := ruqiv1.NewDirectoryServiceClient(e.cc)
	const notInDirectory = "91350100M000100Y43" // a valid USCC the sample directory does not hold
	calls := []struct {
		name, id, missing string
		call              func(tok, id string) error
	}{
		{"GetPlan", planID, planID[:len(planID)-1] + map[bool]string{true: "B", false: "A"}[strings.HasSuffix(planID, "A")], func(tok, id string) error {
			_, err := plans.GetPlan(e.as(tok), &ruqiv1.GetPlanRequest{PlanId: id})
			return err
		}},
		{"GetEnterprise", regionE1, notInDirectory, func(tok, id string) error {
			_, err := dir.GetEnterprise(e.as(tok), &ruqiv1.GetEnterpriseRequest{Uscc: id})
			return err
		}},
		{"ListPriorResults", regionE1, notInDirectory, func(tok, id string) error {
			_, err := ins.ListPriorResults(e.as(tok), &ruqiv1.ListPriorResultsRequest{EnterpriseUscc: id})
			return err
		}},
	}
	own := e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510104")
	for _, c := range calls {
		err, unknown := c.call(other, c.id), c.call(other, c.missing)
		if status.Code(err) != codes.NotFound || status.Code(err) != status.Code(unknown) || reasonOf(err) != reasonOf(unknown) ||
			strings.ReplaceAll(status.Convert(unknown).Message(), c.missing, c.id) != status.Convert(err).Message() {
			t.Errorf("%s of another region's %s: %v; of an unknown one: %v; want them alike", c.name, c.id, err, unknown)
		}
		if err := c.call(own, c.id); err != nil {
			t.Errorf("%s by the region's own supervisor: %v", c.name, err)
		}
	}
}
