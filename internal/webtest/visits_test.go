package webtest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// TestPages_UpcomingVisitsAndANonInspectionVisit: an enterprise opens the
// code of a 走访调研 visit on its phone and is told plainly that it is not an
// inspection and that nothing may be inspected; then it reads its 检查预告:
// the routine inspection due tomorrow and the visit of today, not the
// inspection due in ten days (the default notice is 3 days).
func TestPages_UpcomingVisitsAndANonInspectionVisit(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	e := smp.ents[0]
	tomorrow := srv.register(smp, "AG-01", e, time.Now().Add(24*time.Hour), time.Now().Add(26*time.Hour), "网页测试：日常检查")
	later := srv.register(smp, "AG-02", e, time.Now().Add(240*time.Hour), time.Now().Add(242*time.Hour), "网页测试：十天后的检查")
	officer := smp.officersOf["AG-07"][0]
	reg, err := ruqiv1.NewInspectionServiceClient(srv.conn()).RegisterInspection(srv.as(srv.issue(ruqiv1.Role_ROLE_OFFICER, officer)), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: e, OfficerIds: []string{officer}, VisitKind: ruqiv1.VisitKind_VISIT_KIND_SURVEY,
		WindowStart: timestamppb.Now(), WindowEnd: timestamppb.New(time.Now().Add(2 * time.Hour)), Reason: "网页测试：走访了解企业用工需求",
	})
	if err != nil {
		t.Fatal(err)
	}
	survey := reg.GetCodes()[0]
	tok := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e)

	u := user(t, ctxB)
	do(t, u, "phone viewport", phone())
	do(t, u, "open the survey's QR link", chromedp.Navigate(survey.GetUrl()), chromedp.WaitVisible(chromedp.CSS("#signin")))
	do(t, u, "sign in on the page",
		chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Click(chromedp.CSS("#signin-submit")),
		chromedp.WaitVisible(chromedp.CSS("#not-inspection")))
	mustContain(t, "verdict", text(t, u, "#verdict"), "走访调研（非行政检查）", "不得进行任何检查")
	mustContain(t, "notice", text(t, u, "#not-inspection"), "非行政检查：走访调研", "不得进行任何检查")
	mustContain(t, "items", text(t, u, "#no-items"), "不得进行任何检查")
	mustContain(t, "page", text(t, u, "main"), "入企人员", "走访调研（非行政检查）")
	// Refusing is refusing entry: the page must not call the visit an
	// inspection anywhere, the refusal box included.
	mustContain(t, "refusal", text(t, u, "main"), "拒绝入企")
	if strings.Contains(text(t, u, "main"), "拒绝检查") {
		t.Error("a visit that is not an inspection offers to refuse an inspection")
	}
	if strings.Contains(text(t, u, "main"), "检查事项及依据") {
		t.Error("a visit that is not an inspection shows a checklist")
	}
	screenshot(t, u, "verify-not-inspection")

	do(t, u, "open the notices", chromedp.Navigate(srv.url("/")), chromedp.WaitVisible(chromedp.CSS("#upcoming-link")),
		chromedp.Click(chromedp.CSS("#upcoming-link")), chromedp.WaitVisible(chromedp.CSS("#upcoming")))
	list := text(t, u, "#upcoming")
	mustContain(t, "notices", list, tomorrow.GetInspectionId(), "日常检查", "即将到来", survey.GetInspectionId(), "走访调研", "已开始",
		"无：非行政检查，不得进行任何检查", "成都市市场监督管理局")
	if strings.Contains(list, later.GetInspectionId()) {
		t.Errorf("the inspection due in ten days is announced already:\n%s", list)
	}
	screenshot(t, u, "upcoming")
}
