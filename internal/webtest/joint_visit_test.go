package webtest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A county's 综合查一次 (a trial, 2026-12-06): 市场监管 (AG-01) and 应急管理
// (AG-03) visit one enterprise together; AG-03 records its results and
// closes its part. The enterprise's staff reopen AG-03's officer's code on a
// phone, tick the evaluation form and submit it: the page answered
// "评价未提交：检查 INS-…、INS-… 不存在", since the form named the whole
// joint visit instead of AG-03's inspection. No agency of a joint visit
// could be evaluated from the phone.
func TestPages_JointVisit_EvaluateOnAPhone(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	e1 := smp.ents[1] // in 锦江区, AG-03's territory (属地管辖)
	now := time.Now()
	register := func(officer string, officers, items []string) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		resp, err := ruqiv1.NewInspectionServiceClient(srv.conn()).RegisterInspection(srv.as(srv.issue(ruqiv1.Role_ROLE_OFFICER, officer)), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: e1, CheckItemIds: items, OfficerIds: officers,
			WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(4 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "综合查一次",
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	register("O-0001", []string{"O-0001", "O-0010"}, []string{"CI-0001", "CI-0004"})
	safety := register("O-0003", []string{"O-0003", "O-0012"}, []string{"CI-0012", "CI-0017"})
	if safety.GetJointInspection() == nil {
		t.Fatalf("AG-03's plan did not join AG-01's: %v", safety)
	}
	_, err := ruqiv1.NewInspectionServiceClient(srv.conn()).RecordResult(srv.as(srv.issue(ruqiv1.Role_ROLE_OFFICER, "O-0003")), &ruqiv1.RecordResultRequest{
		InspectionId: safety.GetInspection().GetId(), Items: []*ruqiv1.ItemResult{
			{CheckItemId: "CI-0012", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
			{CheckItemId: "CI-0017", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
		}, Close: true})
	if err != nil {
		t.Fatal(err)
	}
	tok := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e1)
	p := user(t, ctxB)
	do(t, p, "phone", phone())
	do(t, p, "sign in", chromedp.Navigate(srv.url("/")), chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Submit(chromedp.CSS("#token")), chromedp.WaitVisible(chromedp.CSS("#devices-link")))
	do(t, p, "evaluate AG-03's part from its code", chromedp.Navigate(safety.GetCodes()[0].GetUrl()), chromedp.WaitVisible(chromedp.CSS("#evaluate")),
		chromedp.Click(chromedp.CSS(`input[name="certificate_shown"][value="1"]`)),
		chromedp.Click(chromedp.CSS(`input[name="rights_explained"][value="1"]`)),
		chromedp.Click(chromedp.CSS(`input[name="conducted_properly"][value="0"]`)),
		chromedp.Click(chromedp.CSS(`#overall input[value="5"]`)), chromedp.Click(chromedp.CSS("#evaluate-submit")),
		chromedp.WaitNotPresent(chromedp.CSS("#evaluate")))
	screenshot(t, p, "trial-joint-evaluate")
	if got := text(t, p, "main"); !strings.Contains(got, "评价已提交") {
		t.Errorf("evaluating AG-03's closed part of a joint visit on a phone: %q", got)
	}
}
