package service_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A plan that lists a grade A enterprise, which the default policy lets no
// proactive inspection reach (衡阳, 无事不扰), is refused at filing, naming
// it: `plan file --type routine --enterprises <grade A>,…` was accepted
// without a word, though every registration under it would be refused by
// the cap, every draw leaves the enterprise out and matching counts it as
// capped (a planner's trial). An amendment is held to it for the
// enterprises it adds only: one listed before its grade became A does not
// hold up the plan's amendments.
func TestFilePlan_GradeAEnterprise_Refused(t *testing.T) {
	e := newEnv(t, "")
	a := e.registrar(t, "AG-01")
	var gradeA, other, third *ruqiv1.Enterprise
	for _, ent := range e.dir.GetEnterprises() {
		switch {
		case ent.GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_A:
			if gradeA == nil {
				gradeA = ent
			}
		case other == nil:
			other = ent
		case third == nil:
			third = ent
		}
	}
	if gradeA == nil || third == nil {
		t.Fatal("the directory lacks a grade A enterprise or two others")
	}
	plans := ruqiv1.NewPlanServiceClient(e.cc)
	now := time.Now()
	file := func(uscc ...string) (*ruqiv1.FilePlanResponse, error) {
		return plans.FilePlan(e.as(a.tok), &ruqiv1.FilePlanRequest{Title: "12月日常检查", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
			Scope: &ruqiv1.PlanScope{EnterpriseUsccs: uscc}, CheckItemIds: a.items[:1], Reason: "月度计划",
			PeriodStart: timestamppb.New(now), PeriodEnd: timestamppb.New(now.AddDate(0, 1, 0))})
	}
	barred := func(what string, err error) {
		t.Helper()
		msg := status.Convert(err).Message()
		if status.Code(err) != codes.FailedPrecondition || !strings.Contains(msg, gradeA.GetUscc()) || strings.Contains(msg, other.GetUscc()) || !strings.Contains(msg, "无事不扰") {
			t.Errorf("%s: %v; want FailedPrecondition naming %s (grade A) only", what, err, gradeA.GetUscc())
		}
	}
	_, err := file(other.GetUscc(), gradeA.GetUscc())
	barred("plan file listing a grade A enterprise", err)
	filed, err := file(other.GetUscc())
	if err != nil {
		t.Fatalf("a plan without it: %v", err)
	}
	id := filed.GetPlan().GetId()
	_, err = plans.AmendPlan(e.as(a.tok), &ruqiv1.AmendPlanRequest{PlanId: id, Reason: "扩大范围",
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{other.GetUscc(), gradeA.GetUscc()}}})
	barred("plan amend adding a grade A enterprise", err)

	// other's grade becomes A after it was listed: the plan stays, and an
	// amendment that keeps it (adding another) is not refused for it.
	regraded := proto.CloneOf(other)
	regraded.CreditGrade = ruqiv1.CreditGrade_CREDIT_GRADE_A
	if _, err := ruqiv1.NewDirectoryServiceClient(e.cc).ImportDirectory(e.as(e.admin), &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{
		Enterprises: []*ruqiv1.Enterprise{regraded}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := plans.AmendPlan(e.as(a.tok), &ruqiv1.AmendPlanRequest{PlanId: id, Reason: "扩大范围",
		Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{other.GetUscc(), third.GetUscc()}}}); err != nil {
		t.Errorf("an amendment keeping an enterprise graded A since it was listed: %v", err)
	}
}
