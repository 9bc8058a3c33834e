package domain

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

const (
	planUSCC  = "91350100M000100Y43"
	otherUSCC = "91110000600037341L"
)

var (
	dec1 = time.Date(2026, 12, 1, 0, 0, 0, 0, Shanghai)
	jan1 = time.Date(2027, 1, 1, 0, 0, 0, 0, Shanghai)
)

func specialVersion(n int32, state ruqiv1.PlanState, scope *ruqiv1.PlanScope) *ruqiv1.PlanVersion {
	return &ruqiv1.PlanVersion{Version: n, Title: "燃气专项", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, Scope: scope,
		CheckItemIds: []string{"CI-1", "CI-2"}, PeriodStart: timestamppb.New(dec1), PeriodEnd: timestamppb.New(jan1), State: state}
}

func reason(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

func TestValidatePlanVersion_Refusals(t *testing.T) {
	ok := func() *ruqiv1.PlanVersion {
		return specialVersion(1, ruqiv1.PlanState_PLAN_STATE_FILED, &ruqiv1.PlanScope{RegionCode: "350100", Industry: "燃气"})
	}
	if err := ValidatePlanVersion(ok(), dec1); err != nil {
		t.Fatalf("a good version: %v", err)
	}
	cases := map[string]func(v *ruqiv1.PlanVersion){
		"PLAN_TITLE_MISSING": func(v *ruqiv1.PlanVersion) { v.Title = " " },
		"PLAN_TYPE_CASE":     func(v *ruqiv1.PlanVersion) { v.Type = ruqiv1.InspectionType_INSPECTION_TYPE_CASE },
		"PLAN_TYPE_MISSING":  func(v *ruqiv1.PlanVersion) { v.Type = 0 },
		"PLAN_SCOPE_MISSING": func(v *ruqiv1.PlanVersion) { v.Scope = nil },
		// An industry without its region (an amendment naming only it).
		"PLAN_SCOPE_REGION_MISSING": func(v *ruqiv1.PlanVersion) { v.Scope.RegionCode = "" },
		"PLAN_SCOPE_AMBIGUOUS":      func(v *ruqiv1.PlanVersion) { v.Scope.EnterpriseUsccs = []string{planUSCC} },
		"REGION_MALFORMED":          func(v *ruqiv1.PlanVersion) { v.Scope.RegionCode = "35010" },
		"ITEMS_EMPTY":               func(v *ruqiv1.PlanVersion) { v.CheckItemIds = nil },
		"ITEM_REPEATED":             func(v *ruqiv1.PlanVersion) { v.CheckItemIds = []string{"CI-1", "CI-1"} },
		"PLAN_PERIOD_MISSING":       func(v *ruqiv1.PlanVersion) { v.PeriodEnd = nil },
		"PLAN_PERIOD_BACKWARDS":     func(v *ruqiv1.PlanVersion) { v.PeriodEnd = v.PeriodStart },
		"PLAN_PERIOD_TOO_LONG":      func(v *ruqiv1.PlanVersion) { v.PeriodEnd = timestamppb.New(dec1.AddDate(1, 1, 0)) },
		"PLAN_PERIOD_OVER": func(v *ruqiv1.PlanVersion) {
			v.PeriodStart, v.PeriodEnd = timestamppb.New(dec1.AddDate(-1, 0, 0)), timestamppb.New(dec1)
		},
		"PLAN_PERIOD_TOO_FAR": func(v *ruqiv1.PlanVersion) {
			v.PeriodStart, v.PeriodEnd = timestamppb.New(dec1.AddDate(50, 0, 0)), timestamppb.New(dec1.AddDate(50, 6, 0))
		},
		"PLAN_ENTERPRISE_REPEATED": func(v *ruqiv1.PlanVersion) {
			v.Scope = &ruqiv1.PlanScope{EnterpriseUsccs: []string{planUSCC, planUSCC}}
		},
	}
	for want, mutate := range cases {
		v := ok()
		mutate(v)
		if got := reason(ValidatePlanVersion(v, dec1)); got != want {
			t.Errorf("%s: got reason %q", want, got)
		}
	}
}

func TestInForce_AmendmentWaitingForApproval_KeepsApprovedVersion(t *testing.T) {
	scope := &ruqiv1.PlanScope{EnterpriseUsccs: []string{planUSCC}}
	p := &ruqiv1.Plan{Id: "PLAN-1", Versions: []*ruqiv1.PlanVersion{specialVersion(1, ruqiv1.PlanState_PLAN_STATE_FILED, scope)}}
	if InForce(p) != nil {
		t.Fatal("an unapproved special plan is in force")
	}
	p.Versions[0].State = ruqiv1.PlanState_PLAN_STATE_PUBLISHED
	p.Versions = append(p.Versions, specialVersion(2, ruqiv1.PlanState_PLAN_STATE_FILED, scope))
	if v := InForce(p); v.GetVersion() != 1 {
		t.Fatalf("in force = v%d, want v1 until v2 is approved", v.GetVersion())
	}
	p.Versions[1].State = ruqiv1.PlanState_PLAN_STATE_APPROVED
	if v := InForce(p); v.GetVersion() != 2 {
		t.Fatalf("in force = v%d, want v2", v.GetVersion())
	}
	routine := &ruqiv1.Plan{Versions: []*ruqiv1.PlanVersion{{Version: 1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, State: ruqiv1.PlanState_PLAN_STATE_FILED}}}
	if InForce(routine).GetVersion() != 1 {
		t.Fatal("a routine plan is in force as filed")
	}
}

func TestCheckSpecialRegistration_Refusals(t *testing.T) {
	ent := &ruqiv1.Enterprise{Uscc: planUSCC, RegionCode: "350102", Industry: "燃气"}
	approved := func() *ruqiv1.Plan {
		return &ruqiv1.Plan{Id: "PLAN-1", AgencyId: "AG-01", Versions: []*ruqiv1.PlanVersion{
			specialVersion(1, ruqiv1.PlanState_PLAN_STATE_APPROVED, &ruqiv1.PlanScope{RegionCode: "350100", Industry: "燃气"})}}
	}
	in := dec1.Add(48 * time.Hour)
	if v, err := CheckSpecialRegistration(approved(), "AG-01", ent, []string{"CI-2"}, in, in.Add(4*time.Hour)); err != nil || v.GetVersion() != 1 {
		t.Fatalf("approved plan covering all: %v, %v", v, err)
	}
	unapproved := approved()
	unapproved.Versions[0].State = ruqiv1.PlanState_PLAN_STATE_FILED
	routine := approved()
	routine.Versions[0].Type = ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	cases := []struct {
		want       string
		plan       *ruqiv1.Plan
		agency     string
		ent        *ruqiv1.Enterprise
		items      []string
		start, end time.Time
	}{
		{"PLAN_OTHER_AGENCY", approved(), "AG-02", ent, []string{"CI-1"}, in, in.Add(time.Hour)},
		{"PLAN_NOT_APPROVED", unapproved, "AG-01", ent, []string{"CI-1"}, in, in.Add(time.Hour)},
		{"PLAN_NOT_SPECIAL", routine, "AG-01", ent, []string{"CI-1"}, in, in.Add(time.Hour)},
		{"PLAN_NOT_COVERING", approved(), "AG-01", &ruqiv1.Enterprise{Uscc: otherUSCC, RegionCode: "350102", Industry: "餐饮"}, []string{"CI-1"}, in, in.Add(time.Hour)},
		{"PLAN_NOT_COVERING", approved(), "AG-01", &ruqiv1.Enterprise{Uscc: otherUSCC, RegionCode: "110101", Industry: "燃气"}, []string{"CI-1"}, in, in.Add(time.Hour)},
		{"PLAN_ITEM_NOT_PLANNED", approved(), "AG-01", ent, []string{"CI-3"}, in, in.Add(time.Hour)},
		{"PLAN_OUTSIDE_PERIOD", approved(), "AG-01", ent, []string{"CI-1"}, jan1.Add(-time.Hour), jan1.Add(time.Hour)},
		{"PLAN_OUTSIDE_PERIOD", approved(), "AG-01", ent, []string{"CI-1"}, dec1.Add(-time.Hour), dec1.Add(time.Hour)},
	}
	for _, c := range cases {
		_, err := CheckSpecialRegistration(c.plan, c.agency, c.ent, c.items, c.start, c.end)
		if got := reason(err); got != c.want {
			t.Errorf("want %s, got %q (%v)", c.want, got, err)
		}
	}
}

func TestApprovalAndPublication_Order(t *testing.T) {
	scope := &ruqiv1.PlanScope{EnterpriseUsccs: []string{planUSCC}}
	p := &ruqiv1.Plan{Id: "PLAN-1", Versions: []*ruqiv1.PlanVersion{specialVersion(1, ruqiv1.PlanState_PLAN_STATE_FILED, scope)}}
	if _, _, err := CheckPublication(p); reason(err) != "PLAN_NOT_APPROVED" {
		t.Fatalf("publishing unapproved: %v", err)
	}
	if _, _, err := CheckApproval(p, 2); reason(err) != "PLAN_VERSION_STALE" {
		t.Fatalf("approving a version not the newest: %v", err)
	}
	if _, _, err := CheckApproval(p, 0); reason(err) != "PLAN_VERSION_REQUIRED" {
		t.Fatalf("approving without naming the version read: %v", err)
	}
	v, already, err := CheckApproval(p, 1)
	if err != nil || already {
		t.Fatal(already, err)
	}
	approvedAt := dec1.Add(-10 * 24 * time.Hour)
	v.State, v.PublishBy = ruqiv1.PlanState_PLAN_STATE_APPROVED, timestamppb.New(PublishBy(approvedAt, 0))
	// Approving twice (a retry after a lost answer) is answered with the
	// version approved, not refused.
	if got, already, err := CheckApproval(p, 1); err != nil || !already || got != v {
		t.Fatalf("approving twice: %v, already %v, %v", got, already, err)
	}
	// Thirty days after approval by default: on the 30th day it is not late,
	// after it it is.
	if Overdue(p, approvedAt.AddDate(0, 0, 30)) || !Overdue(p, approvedAt.AddDate(0, 0, 30).Add(time.Second)) {
		t.Fatal("overdue should start after the 30th day")
	}
	if got := PublishBy(approvedAt, 10); !got.Equal(approvedAt.AddDate(0, 0, 10)) {
		t.Fatalf("region's 10 days: %v", got)
	}
	if _, already, err := CheckPublication(p); err != nil || already {
		t.Fatal(already, err)
	}
	v.State = ruqiv1.PlanState_PLAN_STATE_PUBLISHED
	if Overdue(p, jan1) {
		t.Fatal("a published plan is not overdue")
	}
	// Publishing twice (a retry after a lost answer) is answered with the
	// version published, not refused.
	if got, already, err := CheckPublication(p); err != nil || !already || got != v {
		t.Fatalf("publishing twice: %v, already %v, %v", got, already, err)
	}
	routine := &ruqiv1.Plan{Versions: []*ruqiv1.PlanVersion{{Version: 1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, State: ruqiv1.PlanState_PLAN_STATE_FILED}}}
	if _, _, err := CheckApproval(routine, 1); reason(err) != "PLAN_APPROVAL_NOT_NEEDED" {
		t.Fatalf("approving a routine plan: %v", err)
	}
	if _, _, err := CheckPublication(routine); err != nil {
		t.Fatalf("a routine plan is published as filed: %v", err)
	}
	if Published(routine) != nil {
		t.Fatal("nothing published yet")
	}
}

func TestValidateRequestShape_SpecialNeedsPlanOthersNone(t *testing.T) {
	now := dec1
	req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: planUSCC, CheckItemIds: []string{"CI-1"}, OfficerIds: []string{"O-1", "O-2"},
		WindowStart: timestamppb.New(now.Add(time.Hour)), WindowEnd: timestamppb.New(now.Add(3 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL, Reason: "燃气专项"}
	if got := reason(ValidateRequestShape(req, now, DefaultLimits())); got != "PLAN_MISSING" {
		t.Fatalf("special without plan: %q", got)
	}
	req.PlanId = "PLAN-202612-AAAAAAAA"
	if err := ValidateRequestShape(req, now, DefaultLimits()); err != nil {
		t.Fatalf("special with plan: %v", err)
	}
	req.Type = ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	if got := reason(ValidateRequestShape(req, now, DefaultLimits())); got != "PLAN_FOR_OTHER_TYPE" {
		t.Fatalf("routine naming a plan: %q", got)
	}
}

// A 专项 registration whose window starts seconds before the plan's
// approval (an officer's "--from now" on a clock a little behind, right
// after the head approved) is refused with times that read apart: "08:15
// 早于 08:15" is what an operator's trial (2026-12-05) was told.
func TestCheckSpecialRegistration_WindowSecondsBeforeApproval_TimesReadApart(t *testing.T) {
	approved := time.Date(2026, 12, 5, 8, 15, 40, 0, Shanghai)
	p := &ruqiv1.Plan{Id: "PLAN-202612-AAAAAAAA", AgencyId: "AG-01", Versions: []*ruqiv1.PlanVersion{{
		Version: 1, Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		Scope:        &ruqiv1.PlanScope{RegionCode: "510100"},
		CheckItemIds: []string{"CI-0001"},
		PeriodStart:  timestamppb.New(time.Date(2026, 12, 1, 0, 0, 0, 0, Shanghai)),
		PeriodEnd:    timestamppb.New(time.Date(2027, 1, 1, 0, 0, 0, 0, Shanghai)),
		State:        ruqiv1.PlanState_PLAN_STATE_APPROVED,
		ApprovedAt:   timestamppb.New(approved),
	}}}
	e := &ruqiv1.Enterprise{Uscc: "91510104CY4C7RGWMR", RegionCode: "510104"}
	start := approved.Add(-10 * time.Second)
	_, err := CheckSpecialRegistration(p, "AG-01", e, []string{"CI-0001"}, start, start.Add(time.Hour))
	if err == nil || !strings.Contains(err.Error(), "08:15:30") || !strings.Contains(err.Error(), "08:15:40") {
		t.Fatalf("a window 10 s before approval: %v; want a refusal naming 08:15:30 and 08:15:40", err)
	}
	// Minutes apart, to the minute as every other message.
	_, err = CheckSpecialRegistration(p, "AG-01", e, []string{"CI-0001"}, approved.Add(-time.Hour), approved)
	if err == nil || !strings.Contains(err.Error(), "07:15，") || !strings.Contains(err.Error(), "08:15：") {
		t.Fatalf("a window an hour before approval: %v", err)
	}
}

// An amendment waiting for approval does not hold back the publication of
// the approved version in force, whose deadline runs; with nothing approved
// unpublished, publication waits for the amendment (an agency's trial,
// 2026-12-06).
func TestPublication_AmendmentPending_PublishesTheVersionInForce(t *testing.T) {
	scope := &ruqiv1.PlanScope{EnterpriseUsccs: []string{planUSCC}}
	v1 := specialVersion(1, ruqiv1.PlanState_PLAN_STATE_APPROVED, scope)
	v2 := specialVersion(2, ruqiv1.PlanState_PLAN_STATE_FILED, scope)
	p := &ruqiv1.Plan{Id: "PLAN-1", Versions: []*ruqiv1.PlanVersion{v1, v2}}
	if got, already, err := CheckPublication(p); err != nil || already || got != v1 {
		t.Fatalf("v1 approved, v2 waiting: publishes %v, already %v, %v; want v1", got.GetVersion(), already, err)
	}
	// Published, then retried (the answer lost): already done, not
	// PLAN_NOT_APPROVED of the amendment, which told the agency its
	// publication had failed.
	v1.State = ruqiv1.PlanState_PLAN_STATE_PUBLISHED
	if got, already, err := CheckPublication(p); err != nil || !already || got != v1 {
		t.Fatalf("v1 published, v2 waiting: %v, already %v, %v; want v1 already published", got.GetVersion(), already, err)
	}
	// With nothing approved in force, publication waits for the amendment.
	v1.State = ruqiv1.PlanState_PLAN_STATE_FILED
	if _, _, err := CheckPublication(p); reason(err) != "PLAN_NOT_APPROVED" {
		t.Fatalf("v1 and v2 waiting: %v, want PLAN_NOT_APPROVED", err)
	}
}

// A refusal under the version in force says when the amendment waiting for
// approval would allow what was refused: an item only version 2 adds was
// refused "不在检查计划（第1版）中", and the officer could not tell that only
// the head's approval of version 2 was missing (a planner's trial).
func TestCheckSpecialRegistration_AmendmentAwaitingApproval_Named(t *testing.T) {
	ent := &ruqiv1.Enterprise{Uscc: planUSCC, RegionCode: "350102", Industry: "燃气"}
	in := dec1.Add(48 * time.Hour)
	plan := func(amend func(v2 *ruqiv1.PlanVersion)) *ruqiv1.Plan {
		v2 := specialVersion(2, ruqiv1.PlanState_PLAN_STATE_FILED, &ruqiv1.PlanScope{EnterpriseUsccs: []string{planUSCC}})
		amend(v2)
		return &ruqiv1.Plan{Id: "PLAN-1", AgencyId: "AG-01", Versions: []*ruqiv1.PlanVersion{
			specialVersion(1, ruqiv1.PlanState_PLAN_STATE_APPROVED, &ruqiv1.PlanScope{EnterpriseUsccs: []string{planUSCC}}), v2}}
	}
	cases := []struct {
		name, want string
		plan       *ruqiv1.Plan
		ent        *ruqiv1.Enterprise
		items      []string
		start      time.Time
	}{
		{"item", "PLAN_ITEM_NOT_PLANNED", plan(func(v2 *ruqiv1.PlanVersion) { v2.CheckItemIds = []string{"CI-1", "CI-2", "CI-3"} }), ent, []string{"CI-3"}, in},
		{"enterprise", "PLAN_NOT_COVERING", plan(func(v2 *ruqiv1.PlanVersion) { v2.Scope.EnterpriseUsccs = []string{planUSCC, otherUSCC} }),
			&ruqiv1.Enterprise{Uscc: otherUSCC, RegionCode: "350102"}, []string{"CI-1"}, in},
		{"period", "PLAN_OUTSIDE_PERIOD", plan(func(v2 *ruqiv1.PlanVersion) { v2.PeriodEnd = timestamppb.New(jan1.AddDate(0, 1, 0)) }), ent, []string{"CI-1"}, jan1.Add(time.Hour)},
	}
	for _, c := range cases {
		_, err := CheckSpecialRegistration(c.plan, "AG-01", c.ent, c.items, c.start, c.start.Add(time.Hour))
		if got := reason(err); got != c.want || !strings.Contains(err.Error(), "第2版尚待部门负责人批准") {
			t.Errorf("%s: got %q %v; want %s saying version 2 waits for approval", c.name, got, err, c.want)
		}
		// Once version 2 is approved it is in force, and allows it.
		c.plan.Versions[1].State = ruqiv1.PlanState_PLAN_STATE_APPROVED
		if _, err := CheckSpecialRegistration(c.plan, "AG-01", c.ent, c.items, c.start, c.start.Add(time.Hour)); err != nil {
			t.Errorf("%s: version 2 approved: %v", c.name, err)
		}
	}
	// An amendment that would not allow it either is not named.
	p := plan(func(v2 *ruqiv1.PlanVersion) { v2.Title = "燃气专项（调整）" })
	if _, err := CheckSpecialRegistration(p, "AG-01", ent, []string{"CI-3"}, in, in.Add(time.Hour)); reason(err) != "PLAN_ITEM_NOT_PLANNED" || strings.Contains(err.Error(), "第2版") {
		t.Errorf("an amendment without the item: %v", err)
	}
}
