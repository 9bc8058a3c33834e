package e2e

import (
	"context"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A proposal of AG-01 and AG-07 registered; AG-04 then registers at the same
// enterprise in the same window and joins the visit at registration. AG-01
// cancels: AG-07 and AG-04 still visit together, and match show said AG-07
// went on alone (a review, 2026-12-07). It reads the joint inspection now.
func TestProposalSince_VisitJoinedAtRegistration(t *testing.T) {
	w := worldWithPolicy(t, `{"default": {"agency_per_year": 2, "proactive_per_year_by_grade": {"A": 0},
		"warn_visits_per_day": 1, "warn_visits_per_week": 2, "warn_visits_per_month": 3, "notice_days": 7}}`)
	uscc := w.f.entA
	w.cover("AG-01", "M-12", "routine", w.f.itemsOf["AG-01"][:2], uscc)
	w.cover("AG-07", "M-12", "routine", w.f.itemsOf["AG-07"][:1], uscc)
	run := w.runMatching(w.admin)
	if len(run.GetProposals()) != 1 {
		t.Fatalf("matching: %v", run)
	}
	p := run.GetProposals()[0]
	tok := func(agency string) string { return w.officerToken(w.f.officersOf[agency][0]) }
	officers := func(agency string) string { return strings.Join(w.f.officersOf[agency][:2], ",") }
	w.mustCLI(tok("AG-07"), "match", "accept", p.GetId(), "--officers", officers("AG-07"))
	w.mustCLI(tok("AG-01"), "match", "accept", p.GetId(), "--officers", officers("AG-01"))
	var list ruqiv1.ListProposalsResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "match", "list"), &list)
	p = list.GetProposals()[0]
	lead := memberOf(p, "AG-01")
	third, err := w.registerAs("AG-04", uscc, w.f.itemsOf["AG-04"][:1], p.GetWindowStart().AsTime(), p.GetWindowEnd().AsTime(), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if third.GetInspection().GetJointInspectionId() != p.GetJointInspectionId() {
		t.Fatalf("AG-04's inspection did not join the visit: joint %q, the proposal's %q", third.GetInspection().GetJointInspectionId(), p.GetJointInspectionId())
	}
	w.mustCLI(tok("AG-01"), "officer", "cancel", "--inspection", lead.GetInspectionId(), "--reason", "企业停产，改期检查")
	ins, err := ruqiv1.NewInspectionServiceClient(w.conn(w.admin)).GetInspection(context.Background(), &ruqiv1.GetInspectionRequest{InspectionId: memberOf(p, "AG-07").GetInspectionId()})
	if err != nil {
		t.Fatal(err)
	}
	if j := ins.GetJointInspection(); j == nil || len(j.GetInspectionIds()) < 2 {
		t.Fatalf("after AG-01 cancelled, AG-07's joint inspection is %v: want AG-07 and AG-04 still in it", j)
	}
	out := w.mustCLI(tok("AG-07"), "match", "show", p.GetId())
	if !strings.Contains(out, "联合检查现由AG-07牵头，与AG-04继续") || strings.Contains(out, "单独检查") {
		t.Errorf("AG-07 and AG-04 still visit together, AG-07 leading; match show says:\n%s", out)
	}
}
