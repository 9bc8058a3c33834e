package service_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A registration's late reason and trigger reference of invisible
// characters only (zero-width spaces, a word joiner) are not given, as
// spaces alone are not (domain.Blank): a late reason of U+200B made the
// registration a late record, whose lead reached the 司法局 saying nothing,
// and a trigger of U+200B passed for a 个案 check's complaint number.
func TestRegistration_InvisibleLateReasonOrTrigger_NotGiven(t *testing.T) {
	c := newCalEnv(t, time.Now())
	r := c.registrar(t, "AG-01")
	uscc := c.dir.GetEnterprises()[1].GetUscc()
	ins := ruqiv1.NewInspectionServiceClient(c.cc)
	const blank = "\u200b\u2060"
	register := func(id string, start time.Time, typ ruqiv1.InspectionType, trigger, late string) (*ruqiv1.RegisterInspectionResponse, error) {
		return ins.RegisterInspection(c.as(r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2], RequestId: id,
			WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
			Type: typ, Reason: "测试", TriggerReference: trigger, LateReason: late})
	}
	now := time.Now()

	// A past window with an invisible late reason is no late record.
	if _, err := register("blank-late-past", now.Add(-time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, "", blank); reasonOf(err) != "WINDOW_IN_PAST" {
		t.Errorf("a past window with a late reason of %q: %v, want WINDOW_IN_PAST (no late record)", blank, err)
	}
	leads, err := ruqiv1.NewSupervisionServiceClient(c.cc).ListLeads(c.as(c.admin), &ruqiv1.ListLeadsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leads.GetLeads() {
		if l.GetKind() == ruqiv1.LeadKind_LEAD_KIND_LATE_REGISTRATION {
			t.Errorf("a late record's lead with nothing to read: %q", l.GetDescription())
		}
	}

	// A window ahead with one is an ordinary registration, kept without it.
	resp, err := register("blank-late-ahead", now.Add(24*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, "", blank)
	if err != nil {
		t.Fatalf("a window ahead with a late reason of %q: %v", blank, err)
	}
	if got := resp.GetInspection(); got.GetLate() || got.GetLateReason() != "" {
		t.Errorf("kept as late=%v reason %q, want no late record and no reason", got.GetLate(), got.GetLateReason())
	}
	// Its retry, with or without the invisible reason, is the same request.
	for _, late := range []string{blank, ""} {
		again, err := register("blank-late-ahead", now.Add(24*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, "", late)
		if err != nil || again.GetInspection().GetId() != resp.GetInspection().GetId() {
			t.Errorf("its retry with late reason %q: %v", late, err)
		}
	}

	// A 个案 check needs a trigger that says something.
	if _, err := register("blank-trigger-case", now.Add(48*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_CASE, blank, ""); reasonOf(err) != "TRIGGER_MISSING" {
		t.Errorf("a 个案 check with a trigger of %q: %v, want TRIGGER_MISSING", blank, err)
	}
	// Another type is not given one, and keeps none.
	resp, err = register("blank-trigger-routine", now.Add(72*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, blank, "")
	if err != nil {
		t.Fatalf("a routine check with a trigger of %q: %v", blank, err)
	}
	if got := resp.GetInspection().GetTriggerReference(); got != "" {
		t.Errorf("a routine check keeps the trigger %q, want none", got)
	}
}
