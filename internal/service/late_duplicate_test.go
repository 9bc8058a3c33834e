package service_test

import (
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A review of edb0e75. A late record refused as a duplicate is told
// 重复补录 … 同一次紧急检查只补录一次，无需再录 whatever the plan it overlaps:
// here AG-01 had registered a plan ahead (not a late record) for the day,
// and an officer records an emergency of that night late. Nothing recorded
// that emergency, yet the officer is told it was recorded already and that
// there is nothing to do, and 深圳's rule (scan or record before leaving,
// within 10 days) goes unmet. The message must say what the existing plan
// is, as the message for a plan registered ahead does.
func TestLateRecord_DuplicateOfAPlanAhead_NotToldRecordedAlready(t *testing.T) {
	c := newCalEnv(t, bj(2026, 11, 25, 10, 0))
	r := c.registrar(t, "AG-01")
	uscc := c.enterpriseOfGrade(t, ruqiv1.CreditGrade_CREDIT_GRADE_B)
	ahead, err := reg(r, uscc, bj(2026, 12, 1, 9, 0), bj(2026, 12, 1, 23, 30), ruqiv1.InspectionType_INSPECTION_TYPE_CASE, "")
	if err != nil {
		t.Fatal(err)
	}
	if ahead.GetInspection().GetLate() {
		t.Fatal("the plan registered ahead is late")
	}
	c.set(bj(2026, 12, 5, 10, 0))
	_, err = reg(r, uscc, bj(2026, 12, 1, 22, 10), bj(2026, 12, 1, 23, 10), ruqiv1.InspectionType_INSPECTION_TYPE_CASE, "夜间燃气泄漏紧急处置，系统故障未能扫码")
	if status.Code(err) != codes.AlreadyExists {
		t.Fatalf("late record over AG-01's plan %s: %v, want a duplicate", ahead.GetInspection().GetId(), err)
	}
	if msg := status.Convert(err).Message(); strings.Contains(msg, "无需再录") || strings.Contains(msg, "只补录一次") {
		t.Errorf("a late record overlapping a plan registered ahead (%s, not a late record) is told it was recorded already: %q",
			ahead.GetInspection().GetId(), msg)
	}
}
