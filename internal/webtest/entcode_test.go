package webtest

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/ruqi/ruqi/internal/code"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The enterprise's page shows its code (企业码) and the poster to print; the
// poster's QR is the code; re-issuing makes a new generation.
func TestEnterpriseCodePage(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	e1 := smp.ents[0]
	tok := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e1)

	ent := user(t, ctxB)
	do(t, ent, "phone viewport", phone())
	do(t, ent, "sign in on the home page",
		chromedp.Navigate(srv.url("/")),
		chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Submit(chromedp.CSS("#token")),
		chromedp.WaitVisible(chromedp.CSS("#enterprise-code-link")))
	do(t, ent, "open the enterprise code", chromedp.Click(chromedp.CSS("#enterprise-code-link")), chromedp.WaitVisible(chromedp.CSS("#ent-qr")))
	page := text(t, ent, "main")
	mustContain(t, "enterprise code page", page, e1, "执法人员到达时扫描此码登记到场", "下载海报（PNG，A4）", "下载海报（PDF，A4）", "重新生成")
	mustContain(t, "generation", text(t, ent, "#ent-generation"), "1")
	if loaded, err := chromedp.Run(ent, chromedp.Evaluate[bool](`document.querySelector("#ent-qr").naturalWidth > 0`)); err != nil || !loaded {
		t.Errorf("the QR image did not load (%v)", err)
	}
	screenshot(t, ent, "enterprise-code")

	want, err := ruqiv1.NewDoorServiceClient(srv.conn()).GetEnterpriseCode(srv.as(tok), &ruqiv1.GetEnterpriseCodeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	href, err := chromedp.Run(ent, chromedp.Evaluate[string](`document.querySelector("#poster-png").href`))
	if err != nil {
		t.Fatal(err)
	}
	cookies, err := chromedp.Call(ent, network.GetCookies, network.GetCookiesParams{URLs: []string{href}})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodGet, href, nil)
	for _, c := range cookies.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	png, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("poster download: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	got, err := code.DecodeQRPNG(png)
	if err != nil || got != want.GetCode().GetUrl() {
		t.Fatalf("poster QR = %q, %v; want the enterprise code %q", got, err, want.GetCode().GetUrl())
	}

	do(t, ent, "re-issue",
		chromedp.SendKeys(chromedp.CSS("#reason"), "海报被拍照外传"),
		chromedp.Click(chromedp.CSS("#reissue")),
		chromedp.WaitVisible(chromedp.CSS("#verdict")))
	mustContain(t, "re-issued", text(t, ent, "#verdict"), "已重新生成", "旧码已失效")
	mustContain(t, "generation", text(t, ent, "#ent-generation"), "2")
	screenshot(t, ent, "enterprise-code-reissued")

	// An officer scans the new code on arrival; the enterprise then scans
	// the officer's code, and its verify page says 两码互核完成.
	ins := srv.register(smp, "AG-01", e1, time.Now(), time.Now().Add(4*time.Hour), "网页测试：两码互核")
	now, err := ruqiv1.NewDoorServiceClient(srv.conn()).GetEnterpriseCode(srv.as(tok), &ruqiv1.GetEnterpriseCodeRequest{})
	if err != nil {
		t.Fatal(err)
	}
	officer := srv.issue(ruqiv1.Role_ROLE_OFFICER, ins.GetOfficerId())
	if _, err := ruqiv1.NewDoorServiceClient(srv.conn()).RecordArrival(srv.as(officer), &ruqiv1.RecordArrivalRequest{InspectionId: ins.GetInspectionId(), Code: now.GetCode().GetUrl()}); err != nil {
		t.Fatalf("arrival with the re-issued code: %v", err)
	}
	do(t, ent, "scan the officer's code", chromedp.Navigate(ins.GetUrl()), chromedp.WaitVisible(chromedp.CSS("#checkin")))
	mustContain(t, "两码互核", text(t, ent, "#mutual"), "两码互核完成")
	screenshot(t, ent, "verify-mutual")
}
