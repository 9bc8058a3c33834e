package webtest

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a trial of the enterprise's pages on a 375-px phone
// (2026-12-06); each test failed on the code before its fix.

// After the enterprise evaluated an inspection, opening its code again says
// 已评价 instead of the form. It showed the form as if nothing had been given
// (ScanCode's view never set InspectionView.evaluated), and filling it in
// once more ended on a red 「评价未提交」 page, though the evaluation was
// recorded.
func TestPhone_EvaluatedInspection_SaysSoInsteadOfTheForm(t *testing.T) {
	p, c := closedOnPhone(t, "-log-interval", "200ms")
	do(t, p, "the evaluation form", chromedp.WaitVisible(chromedp.CSS("#evaluate-submit")))
	do(t, p, "answer the three questions", answerAll()...)
	do(t, p, "evaluate", chromedp.Click(chromedp.CSS("input[name=overall][value='4']")), chromedp.SendKeys(chromedp.CSS("#comment"), "态度很好"),
		chromedp.Click(chromedp.CSS("#evaluate-submit")), chromedp.WaitNotPresent(chromedp.CSS("#evaluate-submit")), chromedp.WaitVisible(chromedp.CSS(".banner")))
	mustContain(t, "after evaluating", text(t, p, ".banner"), "评价已提交")

	do(t, p, "open the code again", chromedp.Navigate(c.GetUrl()), chromedp.WaitVisible(chromedp.CSS("#verdict")))
	screenshot(t, p, "phone-evaluated-again")
	forms, err := chromedp.Run(p, chromedp.Evaluate[int](`document.querySelectorAll("#evaluate-submit").length`))
	if err != nil {
		t.Fatal(err)
	}
	if forms != 0 {
		t.Errorf("the inspection was evaluated, but its page still offers the evaluation form (page says: %q)", pick(text(t, p, "main"), "评价"))
	}
	if !strings.Contains(text(t, p, "main"), "已评价") {
		t.Error("the page of an evaluated inspection does not say 已评价")
	}
	if forms == 0 {
		return
	}
	do(t, p, "answer the three questions again", answerAll()...)
	do(t, p, "evaluate once more, as the form invites", chromedp.Click(chromedp.CSS("input[name=overall][value='2']")),
		chromedp.Click(chromedp.CSS("#evaluate-submit")), chromedp.WaitNotPresent(chromedp.CSS("#evaluate-submit")), chromedp.WaitVisible(chromedp.CSS(".banner")))
	if b := text(t, p, ".banner"); strings.Contains(b, "评价未提交") {
		t.Errorf("a second go at the form the page offered is answered in red: %q", b)
	}
}

// The confirmation 「评价已提交」 is shown to the session that evaluated
// only, as /complained and /refused are (SECURITY.md, "Confirmation pages").
// GET /V/{code}/evaluated checked nothing: an officer could send the
// enterprise a link saying its evaluation was taken when none was given.
func TestPhone_EvaluatedConfirmation_OnlyToTheSessionThatGaveIt(t *testing.T) {
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	c := srv.registerN(smp, "AG-01", smp.ents[0], 2, time.Now(), time.Now().Add(4*time.Hour), "日常检查")[0]
	resp, err := http.Get(srv.url("/V/" + c.GetToken() + "/evaluated"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(b), "评价已提交") {
		t.Errorf("a browser that is not even signed in, and evaluated nothing, is told 「评价已提交」 (status %d)", resp.StatusCode)
	}
}

// The receipt (存证) of the check-in is offered after the visit too, on
// the page the enterprise opens to read the result and evaluate. It was
// offered while the code was valid only (scan() set Receipt only for a
// VALID verdict): the proof was gone from the phone just when the
// enterprise would keep it.
func TestPhone_ClosedInspection_OffersTheReceipt(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t, "-log-interval", "200ms")
	smp := loadSample(t)
	srv.importSample(smp)
	e := smp.ents[0]
	c := srv.registerN(smp, "AG-01", e, 2, time.Now(), time.Now().Add(4*time.Hour), "日常检查")[0]
	p := user(t, ctxB)
	do(t, p, "phone", phone375())
	signInPhone(t, p, c.GetUrl(), srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e), "#checkin")
	waitForReceipt(t, p)
	srv.closeWithResults(smp, "AG-01", c)
	do(t, p, "open the code after the visit", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#evaluate")))
	screenshot(t, p, "phone-closed-receipt")
	n, err := chromedp.Run(p, chromedp.Evaluate[int](`document.querySelectorAll("#receipt a").length`))
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Error("after the visit the verify page offers no receipt (存证) of the check-in it offered during the visit")
	}
}

// waitForReceipt reloads the verify page until it links the receipt.
func waitForReceipt(t *testing.T, p context.Context) {
	t.Helper()
	for i := 0; i < 50; i++ {
		n, err := chromedp.Run(p, chromedp.Evaluate[int](`document.querySelectorAll("#receipt a").length`))
		if err == nil && n > 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
		do(t, p, "reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#verdict")))
	}
	t.Fatal("the receipt never appeared during the visit")
}

// An enterprise on its phone finds its inspections and their results from
// the home page (检查记录), not only on the page of an officer's code, which
// it would have to have kept; the page fits the phone's width. The trial
// found no way there: the home page linked 检查预告, devices, the enterprise
// code and complaints only.
func TestPhone_History_ResultsFromTheHomePage(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	e := smp.ents[0]
	c := srv.registerN(smp, "AG-01", e, 2, time.Now(), time.Now().Add(4*time.Hour), "日常检查")[0]
	tok := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e)
	if _, err := ruqiv1.NewEnterpriseServiceClient(srv.conn()).ScanCode(srv.as(tok), &ruqiv1.ScanCodeRequest{Code: c.GetToken()}); err != nil {
		t.Fatal(err)
	}
	srv.closeWithResults(smp, "AG-01", c)
	p := user(t, ctxB)
	do(t, p, "phone", phone375())
	signInPhone(t, p, srv.url("/"), tok, "#upcoming-link")
	do(t, p, "open 检查记录", chromedp.Click(chromedp.CSS("#history-link")), chromedp.WaitVisible(chromedp.CSS("#history")))
	screenshot(t, p, "phone-history")
	page := text(t, p, "main")
	for _, want := range []string{c.GetInspectionId(), "检查结果", "灭火器过期", "待评价", "今年 1 次检查"} {
		if !strings.Contains(page, want) {
			t.Errorf("检查记录 does not show %q:\n%s", want, page)
		}
	}
	width, err := chromedp.Run(p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if width > 375 {
		t.Errorf("检查记录 is %d px wide on a 375-px phone", width)
	}
}

// After the visit the page the enterprise opens to read the result leads
// with what stands (检查已办结) and the result within the first screen. It
// led with a red 「✗ 无效：检查已办结 / 核验未通过」 and the result 1.8
// screens down, below the officers, the checklist and the window.
func TestPhone_ClosedInspection_ResultFirstNotARedFailure(t *testing.T) {
	p, _ := closedOnPhone(t)
	screenshot(t, p, "phone-closed")
	cls, err := chromedp.Run(p, chromedp.Evaluate[string](`document.querySelector("#verdict").className`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(cls, "bad") {
		t.Errorf("the closed inspection's page leads with a red failure: %q", text(t, p, "#verdict"))
	}
	top, err := chromedp.Run(p, chromedp.Evaluate[float64](`(() => { const h = [...document.querySelectorAll("h2")].find(h => h.textContent.includes("检查结果")); return h ? h.getBoundingClientRect().top : -1 })()`))
	if err != nil {
		t.Fatal(err)
	}
	if top < 0 || top > 812 {
		t.Errorf("the result (检查结果) starts %.0f px down a 812-px screen, %.1f screens in", top, top/812)
	}
}

// The evaluation form's choices and the sign-out were 25 px high on a
// phone, a finger's width under the usual 44 (a trial of the pages,
// 2026-12-07): each is now at least 44.
func TestPhone_EvaluationForm_TapTargetsAtLeast44px(t *testing.T) {
	p, _ := closedOnPhone(t)
	small, err := chromedp.Run(p, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#evaluate label:has(input), header button.link")]
		.map(el => [el.textContent.trim(), el.getBoundingClientRect().height])
		.filter(([, h]) => h < 44)
		.map(([t, h]) => t + " " + Math.round(h) + " px")`))
	if err != nil {
		t.Fatal(err)
	}
	n, err := chromedp.Run(p, chromedp.Evaluate[int](`document.querySelectorAll("#evaluate label:has(input), header button.link").length`))
	if err != nil {
		t.Fatal(err)
	}
	if n < 9 { // three ticks, five scores, the sign-out
		t.Fatalf("found %d of the form's choices and the sign-out, want 9", n)
	}
	if len(small) > 0 {
		t.Errorf("tap targets under 44 px on a phone: %v", small)
	}
}

// closedOnPhone is an enterprise's phone on the page of its inspection's
// code c after the visit was closed with results, the evaluation offered,
// on a server started with serverArgs.
func closedOnPhone(t *testing.T, serverArgs ...string) (context.Context, *ruqiv1.InspectionCode) {
	t.Helper()
	ctxB := startBrowser(t)
	srv := startServer(t, serverArgs...)
	smp := loadSample(t)
	srv.importSample(smp)
	e := smp.ents[0]
	c := srv.registerN(smp, "AG-01", e, 2, time.Now(), time.Now().Add(4*time.Hour), "日常检查")[0]
	p := user(t, ctxB)
	do(t, p, "phone", phone375())
	signInPhone(t, p, c.GetUrl(), srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e), "#checkin")
	srv.closeWithResults(smp, "AG-01", c)
	do(t, p, "open the code after the visit", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#evaluate")))
	return p, c
}

// answerAll answers the evaluation's three questions 是: each is asked
// 是 or 否, none left to default to 否 (a trial as an enterprise,
// 2026-12-07).
func answerAll() []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Click(chromedp.CSS(`input[name="certificate_shown"][value="1"]`)),
		chromedp.Click(chromedp.CSS(`input[name="rights_explained"][value="1"]`)),
		chromedp.Click(chromedp.CSS(`input[name="conducted_properly"][value="1"]`)),
	}
}

// An enterprise on its phone follows its complaint from the home page
// (问题线索): its number, where it stands, on a page that fits the phone.
func TestPhone_OwnLeads_FromTheHomePage(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	tok := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, smp.ents[0])
	c, err := ruqiv1.NewEnterpriseServiceClient(srv.conn()).Complain(srv.as(tok), &ruqiv1.ComplainRequest{OfficerClaimed: "自称区市场监管局的两名人员",
		Description: "两人未出示入企码和执法证，要求查看全部进货台账并拍照，拒绝说明检查依据，态度蛮横，持续约一个半小时"})
	if err != nil {
		t.Fatal(err)
	}
	p := user(t, ctxB)
	do(t, p, "phone", phone375())
	signInPhone(t, p, srv.url("/"), tok, "#upcoming-link")
	do(t, p, "open 问题线索", chromedp.Click(chromedp.CSS("#leads-link")), chromedp.WaitVisible(chromedp.CSS("#leads")))
	screenshot(t, p, "phone-leads")
	page := text(t, p, "main")
	for _, want := range []string{c.GetLeadId(), "企业投诉", "已接收", "进货台账"} {
		if !strings.Contains(page, want) {
			t.Errorf("问题线索 does not show %q:\n%s", want, page)
		}
	}
	width, err := chromedp.Run(p, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if width > 375 {
		t.Errorf("问题线索 is %d px wide on a 375-px phone", width)
	}
}
