package inspection_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/matching"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Matching reads filed plans (检查计划, the version in force) and coverages
// submitted directly; a submitted coverage under a filed plan's id gives way;
// retired items are left out; and matching the same plans twice proposes
// once.
func TestCoverages_FiledPlansAndSubmittedCoverage_ProposedOnce(t *testing.T) {
	now := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	st := fixture(t, now)
	from, to := timestamppb.New(now), timestamppb.New(now.AddDate(0, 1, 0))
	err := st.Update(context.Background(), func(tx store.Tx) error {
		return errors.Join(
			tx.PutCheckItem(&ruqiv1.CheckItem{Id: "IT-1", AgencyId: "AG-1", Name: "消防检查"}),
			tx.PutCheckItem(&ruqiv1.CheckItem{Id: "IT-2", AgencyId: "AG-2", Name: "食品检查"}),
			tx.PutCheckItem(&ruqiv1.CheckItem{Id: "IT-3", AgencyId: "AG-2", Name: "已取消的检查", Retired: true}),
			tx.PutPlan(&ruqiv1.Plan{Id: "PLAN-1", AgencyId: "AG-1", Versions: []*ruqiv1.PlanVersion{{Version: 1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
				Scope: &ruqiv1.PlanScope{EnterpriseUsccs: []string{uscc}}, CheckItemIds: []string{"IT-1"}, PeriodStart: from, PeriodEnd: to, State: ruqiv1.PlanState_PLAN_STATE_FILED}}}),
			// A population plan: not matched yet.
			tx.PutPlan(&ruqiv1.Plan{Id: "PLAN-2", AgencyId: "AG-3", Versions: []*ruqiv1.PlanVersion{{Version: 1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
				Scope: &ruqiv1.PlanScope{RegionCode: region}, CheckItemIds: []string{"IT-1"}, PeriodStart: from, PeriodEnd: to, State: ruqiv1.PlanState_PLAN_STATE_FILED}}}),
			tx.PutPlanCoverage(&ruqiv1.PlanCoverage{PlanId: "PLAN-1", AgencyId: "AG-1", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
				PeriodStart: from, PeriodEnd: to, CheckItemIds: []string{"IT-1"}, EnterpriseUsccs: []string{"91110000000000000X"}}),
			tx.PutPlanCoverage(&ruqiv1.PlanCoverage{PlanId: "M-12", AgencyId: "AG-2", Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE,
				PeriodStart: from, PeriodEnd: to, CheckItemIds: []string{"IT-2", "IT-3"}, EnterpriseUsccs: []string{uscc}}),
		)
	})
	if err != nil {
		t.Fatal(err)
	}
	var plans []matching.Coverage
	err = st.View(context.Background(), func(r store.Reader) error {
		plans, err = inspection.Coverages(r, now, now.AddDate(0, 1, 0))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != 2 || plans[0].PlanID != "PLAN-1" || len(plans[0].Enterprises) != 1 || plans[0].Enterprises[0] != uscc || len(plans[1].Items) != 1 {
		t.Fatalf("coverages %+v: want the filed PLAN-1 (not the submitted one) and M-12 without its retired item", plans)
	}
	res := matching.Match(matching.Input{Plans: plans, NotBefore: now})
	if len(res.Proposals) != 1 {
		t.Fatalf("%+v", res)
	}
	admin := auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "admin"}
	for round, want := range []int{1, 0} {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			made, err := inspection.Propose(tx, admin, now, res.Proposals, func(string, string) string { return "" })
			if err == nil && len(made) != want {
				t.Errorf("round %d: %d proposals made, want %d", round, len(made), want)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
