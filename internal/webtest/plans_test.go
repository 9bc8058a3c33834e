package webtest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// TestPlansPage opens the public list of inspection plans (检查计划公示)
// without signing in: a special campaign approved, published and amended
// shows with its published versions; an approved plan not yet published and
// a routine plan never published do not show.
func TestPlansPage(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	plans := ruqiv1.NewPlanServiceClient(srv.conn())
	head := srv.issue(ruqiv1.Role_ROLE_AGENCY_HEAD, "AG-01")
	officer := srv.issue(ruqiv1.Role_ROLE_OFFICER, smp.officersOf["AG-01"][0])
	file := func(title string, typ ruqiv1.InspectionType) string {
		t.Helper()
		resp, err := plans.FilePlan(srv.as(officer), &ruqiv1.FilePlanRequest{Title: title, Type: typ,
			Scope: &ruqiv1.PlanScope{RegionCode: "510104", Industry: "餐饮"}, CheckItemIds: smp.itemsOf["AG-01"][:1],
			PeriodStart: timestamppb.New(time.Now()), PeriodEnd: timestamppb.New(time.Now().Add(30 * 24 * time.Hour)), Reason: "网页测试"})
		if err != nil {
			t.Fatalf("file %s: %v", title, err)
		}
		return resp.GetPlan().GetId()
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	published := file("餐饮食品安全专项检查", ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL)
	_, err := plans.ApprovePlan(srv.as(head), &ruqiv1.ApprovePlanRequest{PlanId: published, Version: 1})
	must("approve", err)
	_, err = plans.PublishPlan(srv.as(officer), &ruqiv1.PublishPlanRequest{PlanId: published})
	must("publish v1", err)
	_, err = plans.AmendPlan(srv.as(officer), &ruqiv1.AmendPlanRequest{PlanId: published, Emergency: true, Reason: "食物中毒事件，扩大到全市", Scope: &ruqiv1.PlanScope{RegionCode: "510100", Industry: "餐饮"}})
	must("amend", err)
	_, err = plans.ApprovePlan(srv.as(head), &ruqiv1.ApprovePlanRequest{PlanId: published, Version: 2})
	must("approve v2", err)
	_, err = plans.PublishPlan(srv.as(head), &ruqiv1.PublishPlanRequest{PlanId: published})
	must("publish v2", err)
	unpublished := file("未公示的专项检查", ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL)
	_, err = plans.ApprovePlan(srv.as(head), &ruqiv1.ApprovePlanRequest{PlanId: unpublished, Version: 1})
	must("approve the other", err)
	routine := file("12月日常检查", ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)

	visitor := user(t, ctxB)
	do(t, visitor, "open the public list from the home page", chromedp.Navigate(srv.url("/")),
		chromedp.Click(chromedp.CSS("#plans-link")), chromedp.WaitVisible(chromedp.CSS("#plans")))
	list := text(t, visitor, "#plans")
	mustContain(t, "published plan", list, published, "餐饮食品安全专项检查", "专项检查",
		"行政区划 510100 内餐饮行业的企业", "第1版", "第2版", "应急调整：食物中毒事件，扩大到全市")
	// The agency and the items by name, each item with its legal basis:
	// the list read AG-01 and CI-0001 (an agency's trial, 2026-12-06).
	var agencyName, itemName, law string
	for _, a := range smp.dir.GetAgencies() {
		if a.GetId() == "AG-01" {
			agencyName = a.GetName()
		}
	}
	for _, it := range smp.dir.GetCheckItems() {
		if it.GetId() == smp.itemsOf["AG-01"][0] {
			itemName, law = it.GetName(), it.GetLegalBasis().GetLaw()
		}
	}
	mustContain(t, "names", list, agencyName, itemName, "依据《"+strings.Trim(law, "《》")+"》")
	for _, hidden := range []string{unpublished, routine} {
		if strings.Contains(list, hidden) {
			t.Fatalf("plan %s is not published but listed:\n%s", hidden, list)
		}
	}
	mustContain(t, "count", text(t, visitor, "#plans-count"), "共 1 份")
	screenshot(t, visitor, "plans")

	do(t, visitor, "filter by another region", chromedp.Navigate(srv.url("/plans?region=510700")), chromedp.WaitVisible(chromedp.CSS("#plans-none")))
	do(t, visitor, "filter by the district the campaign began in", chromedp.Navigate(srv.url("/plans?region=510104")), chromedp.WaitVisible(chromedp.CSS("#plans")))
	do(t, visitor, "a malformed region", chromedp.Navigate(srv.url("/plans?region=51")), chromedp.WaitVisible(chromedp.CSS("#plans-problem")))
	mustContain(t, "malformed region", text(t, visitor, "#plans-problem"), "行政区划代码应为6位数字")
}
