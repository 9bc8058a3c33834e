package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Who filed, approved and committed is said in people's words, as the
// inspection's 报备人 is: `plan show` printed "agency_admin:AG-01" and
// "agency_head:AG-01", and `draw show` "（agency_admin:AG-01）" (an
// agency's trial, 2026-12-06).
func TestPlanAndDraw_ActorsInChinese(t *testing.T) {
	at := timestamppb.New(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	var out bytes.Buffer
	p := &tablePrinter{out: &out}
	p.Plan("", &ruqiv1.Plan{Id: "PLAN-202612-AAAAAAAA", AgencyId: "AG-01", Versions: []*ruqiv1.PlanVersion{{
		Version: 1, Title: "餐饮专项", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		Scope: &ruqiv1.PlanScope{RegionCode: "510104"}, CheckItemIds: []string{"CI-0001"},
		PeriodStart: at, PeriodEnd: timestamppb.New(at.AsTime().Add(720 * time.Hour)),
		State: ruqiv1.PlanState_PLAN_STATE_APPROVED, FiledAt: at, FiledBy: "agency_admin:AG-01",
		ApprovedAt: at, ApprovedBy: "agency_head:AG-01",
	}}})
	a := newApp(&out, &bytes.Buffer{}, func(string) (string, bool) { return "", false }, time.Now)
	a.printDraw(&ruqiv1.Draw{Id: "DRW-1", AgencyId: "AG-01", CommittedAt: at, CommittedBy: "agency_admin:AG-01"}, nil)
	got := out.String()
	for _, raw := range []string{"agency_admin:", "agency_head:"} {
		if strings.Contains(got, raw) {
			t.Errorf("%q printed as recorded:\n%s", raw, got)
		}
	}
	for _, want := range []string{"部门管理员 AG-01", "部门负责人 AG-01"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q not said:\n%s", want, got)
		}
	}
}
