package webtest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// phone is the viewport of a common phone (390×844 CSS pixels, as an
// iPhone 12–15), at twice the pixel density, as phones draw.
func phone() chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch)
}

// TestPages walks the pages as their users would: an enterprise opens an
// officer's QR link on its phone, signs in on the page and sees the
// verdict for a valid code, another enterprise's code and an expired one,
// confirms one and refuses another; a supervisor signs in to the dashboard,
// reads the report and its charts, moves a lead and exports the CSV.
func TestPages(t *testing.T) {
	ctxB := startBrowser(t)
	// Leeway 1 s: a window that ends 2 s from now is over 3 s from now.
	srv := startServer(t, "-clock-leeway", "1s", "-log-interval", "200ms")
	smp := loadSample(t)
	srv.importSample(smp)
	if len(smp.ents) < 3 {
		t.Fatal("sample directory has too few enterprises")
	}
	e1, e2, e3 := smp.ents[0], smp.ents[1], smp.ents[2]

	// The expired code first: its window runs out while the rest runs.
	expStart := time.Now()
	expEnd := expStart.Add(2 * time.Second)
	expired := srv.register(smp, "AG-01", e2, expStart, expEnd, "网页测试：即将结束的检查")
	valid := srv.register(smp, "AG-01", e1, time.Now(), time.Now().Add(4*time.Hour), "网页测试：食品安全日常检查")
	// Another agency's overlapping plan for e1 joins the visit (综合查一次).
	srv.register(smp, "AG-02", e1, time.Now().Add(time.Hour), time.Now().Add(3*time.Hour), "网页测试：环保联合检查")
	foreign := srv.register(smp, "AG-01", e3, time.Now(), time.Now().Add(4*time.Hour), "网页测试：其他企业的检查")
	tokE1 := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e1)
	tokE2 := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e2)
	tokSup := srv.issue(ruqiv1.Role_ROLE_SUPERVISOR, "510000")

	ent1 := user(t, ctxB)
	do(t, ent1, "phone viewport", phone())

	t.Run("valid code", func(t *testing.T) {
		// The QR's own URL, in upper case, as a phone's camera opens it.
		if !strings.HasPrefix(valid.GetUrl(), "HTTP://") || !strings.Contains(valid.GetUrl(), "/V/") {
			t.Fatalf("unexpected QR URL %q", valid.GetUrl())
		}
		do(t, ent1, "open the QR link", chromedp.Navigate(valid.GetUrl()), chromedp.WaitVisible(chromedp.CSS("#signin")))
		mustContain(t, "signed-out verdict", text(t, ent1, "#verdict"), "签名真实", "尚未核对报备")
		mustContain(t, "offline facts", text(t, ent1, "main"), "离线核验（尚未与报备记录核对）", "当前在检查时段内")
		screenshot(t, ent1, "verify-signed-out")

		do(t, ent1, "sign in on the page",
			chromedp.SendKeys(chromedp.CSS("#token"), tokE1),
			chromedp.Click(chromedp.CSS("#signin-submit")),
			chromedp.WaitVisible(chromedp.CSS("#checkin")))
		mustContain(t, "verdict", text(t, ent1, "#verdict"), "有效")
		mustContain(t, "check-in", text(t, ent1, "#checkin"), "已核验并记录入企签到", "首次扫码")
		page := text(t, ent1, "main")
		// Joint visit: both agencies, the lead first; officers with their
		// certificates; items with their legal basis; the window.
		mustContain(t, "page", page, "成都市市场监督管理局", "成都市生态环境局", "牵头", "执法证号", "执法证有效", "依据", "北京时间", "确认入企", "拒绝检查")
		if strings.Index(page, "成都市市场监督管理局") > strings.Index(page, "成都市生态环境局") {
			t.Error("the lead agency is not listed first")
		}
		screenshot(t, ent1, "verify-valid")

		do(t, ent1, "open it again", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#checkin")))
		mustContain(t, "repeat check-in", text(t, ent1, "#checkin"), "已核验并记录入企签到", "重复扫码")

		// The receipt (存证) of the check-in appears once the log has
		// integrated it; the page's link downloads it, and it verifies
		// with the log key the server publishes.
		// Wait until the log has integrated the check-in, then open the
		// page once more. The wait is on the condition, with a deadline
		// for a loaded machine: a count of 100 tries of 50 ms (5 s) fell
		// through silently when the log was slower, and the reload below
		// then waited for a link the page it had loaded would never show.
		// Every 500 ms, not 50: the enterprise may make 120 calls in a
		// burst (-principal-rates), and the page's own calls that follow
		// are the enterprise's too.
		logs, integrated := ruqiv1.NewLogServiceClient(srv.conn()), time.Now().Add(30*time.Second)
		for {
			r, err := logs.ListReceipts(srv.as(tokE1), &ruqiv1.ListReceiptsRequest{InspectionId: valid.GetInspectionId()})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.GetReceipts()) > 0 && r.GetPending() == 0 {
				break
			}
			if time.Now().After(integrated) {
				t.Fatalf("the log did not integrate the check-in within 30 s: %d receipts, %d pending", len(r.GetReceipts()), r.GetPending())
			}
			time.Sleep(500 * time.Millisecond)
		}
		do(t, ent1, "reload for the receipt", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#receipt a")))
		mustContain(t, "receipt", text(t, ent1, "#receipt"), "已存证", "下载存证")
		screenshot(t, ent1, "verify-receipt")
		href, err := chromedp.Run(ent1, chromedp.Evaluate[string](`document.querySelector("#receipt a").href`))
		if err != nil {
			t.Fatal(err)
		}
		// The page's CSP allows no fetch from script: download with the
		// browser's session cookie instead.
		cookies, err := chromedp.Call(ent1, network.GetCookies, network.GetCookiesParams{URLs: []string{href}})
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
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("receipt download: %s %q\n%s", resp.Status, resp.Header.Get("Content-Disposition"), raw)
		}
		body := string(raw)
		verifyReceipt(t, srv, body)

		// An enterprise with a phone only checks it on the site: the file
		// as downloaded holds, the same file with the event's time moved
		// does not.
		dir := t.TempDir()
		kept, moved := filepath.Join(dir, "receipt.json"), filepath.Join(dir, "moved.json")
		var rc ruqiv1.Receipt
		if err := protojson.Unmarshal(raw, &rc); err != nil {
			t.Fatal(err)
		}
		rc.Event.Time.Seconds -= 3600
		tampered, _ := protojson.Marshal(&rc)
		if err := os.WriteFile(kept, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(moved, tampered, 0o600); err != nil {
			t.Fatal(err)
		}
		// In a tab of its own, so that this one stays on the code's page.
		desk, cancel := chromedp.NewContext(ent1)
		defer cancel()
		do(t, desk, "the home page links the receipt check",
			chromedp.Navigate(srv.url("/")),
			chromedp.Click(chromedp.CSS("#receipt-check-link")),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/receipts/check"]`)))
		for _, c := range []struct {
			file string
			want []string
		}{
			{kept, []string{"存证成立", "历史未被改写"}},
			{moved, []string{"存证不成立", "存证被改动"}},
		} {
			do(t, desk, "check "+filepath.Base(c.file)+" on the site",
				chromedp.Navigate(srv.url("/receipts/check")),
				chromedp.WaitVisible(chromedp.CSS(`form[action="/receipts/check"]`)),
				chromedp.SetUploadFiles(chromedp.CSS(`input[name="receipt"]`), []string{c.file}),
				chromedp.Click(chromedp.CSS(`form[action="/receipts/check"] button`)),
				chromedp.WaitVisible(chromedp.CSS("#receipt-verdict")))
			mustContain(t, "receipt "+filepath.Base(c.file)+" checked on the site", text(t, desk, "#receipt-verdict"), c.want...)
			if c.file == kept {
				mustContain(t, "what the receipt holds", text(t, desk, "#receipt-lines"), "检查编号："+valid.GetInspectionId(), "扫码核验通过")
				screenshot(t, desk, "receipt-check")
			}
		}

		do(t, ent1, "confirm entry", chromedp.Click(chromedp.CSS("#confirm")), chromedp.WaitNotPresent(chromedp.CSS("#confirm")))
		mustContain(t, "confirmation", text(t, ent1, ".banner"), "已确认入企")
		screenshot(t, ent1, "verify-confirmed")
	})

	t.Run("another enterprise's code", func(t *testing.T) {
		do(t, ent1, "open the foreign code", chromedp.Navigate(strings.ToLower(foreign.GetUrl())), chromedp.WaitVisible(chromedp.CSS("#refuse")))
		mustContain(t, "verdict", text(t, ent1, "#verdict"), "无效", "不是本企业")
		page := text(t, ent1, "main")
		if strings.Contains(page, "执法证号") || strings.Contains(page, "检查事项及依据") {
			t.Errorf("a foreign code revealed the inspection:\n%s", page)
		}
		screenshot(t, ent1, "verify-foreign")
	})

	t.Run("expired code, refused", func(t *testing.T) {
		ent2 := user(t, ctxB)
		do(t, ent2, "phone viewport", phone())
		// Wait past the window's end and the leeway; nothing asserts on time.
		time.Sleep(time.Until(expEnd.Add(1500 * time.Millisecond)))
		do(t, ent2, "open the expired code", chromedp.Navigate(expired.GetUrl()), chromedp.WaitVisible(chromedp.CSS("#signin")))
		mustContain(t, "signed-out verdict", text(t, ent2, "#verdict"), "无效", "已超出检查时段")
		do(t, ent2, "sign in on the page",
			chromedp.SendKeys(chromedp.CSS("#token"), tokE2),
			chromedp.Click(chromedp.CSS("#signin-submit")),
			chromedp.WaitVisible(chromedp.CSS("#refuse")))
		mustContain(t, "verdict", text(t, ent2, "#verdict"), "无效", "已过期")
		screenshot(t, ent2, "verify-expired")

		do(t, ent2, "refuse",
			chromedp.SetValue(chromedp.CSS("#reason"), "入企码已过期，执法人员未重新报备（网页测试）"),
			chromedp.Click(chromedp.CSS("#refuse")),
			chromedp.WaitNotPresent(chromedp.CSS("#refuse")))
		// POST-redirect-GET: the result is a page of its own, safe to reload.
		mustContain(t, "refusal", text(t, ent2, "main"), "拒绝", "问题线索编号")
		loc, err := chromedp.Run(ent2, chromedp.Location())
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "result URL", loc, "/refused?lead=L-")
		do(t, ent2, "reload the result", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("main")))
		mustContain(t, "reloaded refusal", text(t, ent2, "main"), "问题线索编号")
		screenshot(t, ent2, "verify-refused")
	})

	sup := user(t, ctxB)
	do(t, sup, "desk viewport", chromedp.EmulateViewport(1280, 900))

	t.Run("dashboard", func(t *testing.T) {
		do(t, sup, "open the dashboard", chromedp.Navigate(srv.url("/dashboard")), chromedp.WaitVisible(chromedp.CSS("#signin")))
		do(t, sup, "sign in with an enterprise token",
			chromedp.SendKeys(chromedp.CSS("#token"), tokE1),
			chromedp.Click(chromedp.CSS("#signin-submit")),
			chromedp.WaitVisible(chromedp.CSS("#signin-problem")))
		mustContain(t, "refusal of an enterprise", text(t, sup, "#signin-problem"), "不是司法局监督人员")

		do(t, sup, "sign in as the supervisor",
			chromedp.SendKeys(chromedp.CSS("#token"), tokSup),
			chromedp.Click(chromedp.CSS("#signin-submit")),
			chromedp.WaitVisible(chromedp.CSS("#lead-list")))

		// Move the refusal lead along its lifecycle with the row's form.
		leads, err := ruqiv1.NewSupervisionServiceClient(srv.conn()).ListLeads(srv.as(tokSup), &ruqiv1.ListLeadsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var refusal string
		for _, l := range leads.GetLeads() {
			if l.GetKind() == ruqiv1.LeadKind_LEAD_KIND_REFUSAL {
				refusal = l.GetId()
			}
		}
		if refusal == "" {
			t.Fatalf("no refusal lead among %d leads", len(leads.GetLeads()))
		}
		form := `form[action="/dashboard/leads/` + refusal + `"] `
		do(t, sup, "move the lead",
			chromedp.SetValue(chromedp.CSS(form+"select"), "LEAD_STATUS_CHECKING"),
			chromedp.SendKeys(chromedp.CSS(form+"input[name=note]"), "网页测试：已派员核查"),
			chromedp.Click(chromedp.CSS(form+"button")),
			chromedp.WaitVisible(chromedp.CSS("tr.updated")))
		mustContain(t, "lead flash", text(t, sup, ".checkin"), refusal, "核查中")
		after, err := ruqiv1.NewSupervisionServiceClient(srv.conn()).ListLeads(srv.as(tokSup), &ruqiv1.ListLeadsRequest{Status: ruqiv1.LeadStatus_LEAD_STATUS_CHECKING})
		if err != nil || len(after.GetLeads()) != 1 || after.GetLeads()[0].GetId() != refusal {
			t.Errorf("lead %s not moved to checking: %v %v", refusal, after, err)
		}

		_, err = ruqiv1.NewReportServiceClient(srv.conn()).GetFrequencyReport(srv.as(tokSup), &ruqiv1.GetFrequencyReportRequest{})
		if err != nil {
			t.Fatalf("GetFrequencyReport: %v", err)
		}
		do(t, sup, "report", chromedp.WaitVisible(chromedp.CSS("#totals")), chromedp.WaitVisible(chromedp.CSS("#chart-rows")), chromedp.WaitVisible(chromedp.CSS("#chart-months")))
		mustContain(t, "totals", text(t, sup, "#totals"), "检查次数", "亮码率", "减少入企", "企业拒绝检查", "双随机未注明抽取")
		// The month pickers show their whole value on a desktop screen: the
		// input does not scroll its own content.
		clipped, err := chromedp.Run(sup, chromedp.Evaluate[[]string](`["from","to"].filter(id => {
			const e = document.getElementById(id); return e.scrollWidth > e.clientWidth + 1 || e.getBoundingClientRect().width < 170 })`))
		if err != nil || len(clipped) != 0 {
			t.Errorf("month pickers clipped: %v (err %v)", clipped, err)
		}
		mustContain(t, "rows", text(t, sup, "#report-rows"), "成都市市场监督管理局", "成都市生态环境局")
		bars, err := chromedp.Run(sup, chromedp.Nodes(chromedp.CSSAll("#chart-rows rect.bar-cur"), chromedp.AtLeast(0)))
		if err != nil || len(bars) < 2 {
			t.Errorf("bar chart has %d bars (err %v), want one per agency", len(bars), err)
		}
		screenshot(t, sup, "dashboard")

		// Group by month: the filter form is a plain GET form, so its URL is
		// what submitting it gives. (Clicking submit and polling the location
		// raced with the navigation in Chromium: "Inspected target navigated".)
		do(t, sup, "group by month",
			chromedp.Navigate(srv.url("/dashboard?group=month")),
			chromedp.WaitVisible(chromedp.CSS("#report-rows")))
		mustContain(t, "monthly rows", text(t, sup, "#report-rows"), "年", "月")
	})

	t.Run("CSV export", func(t *testing.T) {
		dir := t.TempDir()
		do(t, sup, "back to agencies", chromedp.Navigate(srv.url("/dashboard?group=agency")), chromedp.WaitVisible(chromedp.CSS("#csv")))
		bctx := chromedp.FromContext(sup).BrowserContextID
		if _, err := chromedp.CallBrowser(sup, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, BrowserContextID: bctx, DownloadPath: dir, EventsEnabled: ptr(true)}); err != nil {
			t.Fatal(err)
		}
		progress := chromedp.BrowserEvents(sup, browser.DownloadProgress)
		do(t, sup, "click export", chromedp.Click(chromedp.CSS("#csv")))
		var file string
		for ev, err := range progress {
			if err != nil {
				t.Fatalf("download: %v", err)
			}
			if ev.State == browser.DownloadProgressStateCompleted {
				file = filepath.Join(dir, ev.GUID)
				break
			}
			if ev.State == browser.DownloadProgressStateCanceled {
				t.Fatal("download cancelled")
			}
		}
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b, []byte("\xEF\xBB\xBF")) {
			t.Errorf("CSV does not start with the UTF-8 BOM: % x", b[:min(len(b), 8)])
		}
		mustContain(t, "CSV", string(b), "检查次数", "上年同期", "亮码率", "成都市市场监督管理局", "合计")
		out := filepath.Join(artifactsDir(t), "report.csv")
		if err := os.WriteFile(out, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("CSV: %s", out)
	})

	t.Run("metrics", func(t *testing.T) {
		// Not on the public port: on the metrics listener only.
		public, err := http.Get(srv.url("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		public.Body.Close()
		if public.StatusCode != http.StatusNotFound {
			t.Errorf("GET /metrics on the public port = %d, want 404", public.StatusCode)
		}
		resp, err := http.Get("http://" + srv.metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		mustContain(t, "metrics", string(b),
			`ruqi_registrations_total{outcome="joined"} 1`,
			`ruqi_scans_total{verdict="valid"} 3`,
			`ruqi_scans_total{verdict="expired"} 1`,
			`ruqi_scans_total{verdict="wrong_enterprise"} 1`,
			`ruqi_grpc_requests_total{code="OK",method="ScanCode",service="ruqi.v1.EnterpriseService"} 5`,
			`ruqi_grpc_request_duration_seconds_bucket{method="RegisterInspection"`)
		if !strings.Contains(string(b), `ruqi_refusals_total{phase="enforced"} 1`) && !strings.Contains(string(b), `ruqi_refusals_total{phase="advisory"} 1`) {
			t.Error("metrics: no refusal counted")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// verifyReceipt checks a downloaded receipt with the log key from /keys.json.
func verifyReceipt(t *testing.T, srv *server, body string) {
	t.Helper()
	resp, err := http.Get(srv.url("/keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var keys struct {
		LogKey string `json:"log_key"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&keys); err != nil || keys.LogKey == "" {
		t.Fatalf("keys.json has no log key: %v", err)
	}
	v, err := tlog.NewVerifier(keys.LogKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	var rc ruqiv1.Receipt
	if err := protojson.Unmarshal([]byte(body), &rc); err != nil {
		t.Fatalf("receipt is not JSON: %v\n%s", err, body)
	}
	got, err := v.Receipt(&rc)
	if err != nil {
		t.Fatalf("downloaded receipt does not verify: %v", err)
	}
	if got.Event.GetType() != ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED {
		t.Fatalf("receipt is of a %s event, want the check-in", got.Event.GetType())
	}
}
