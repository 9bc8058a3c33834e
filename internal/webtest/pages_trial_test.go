package webtest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A refusal reason holding a bidirectional override, as text pasted from a
// chat may, is refused in the enterprise's words: the message named the
// proto field in English and the code point ("字段 reason 含有控制字符
// （U+202E）…"; a trial of the pages, 2026-12-05). Real server: the check is
// serve's interceptor.
func TestPages_ControlCharacterInReason_NoInternalsShown(t *testing.T) {
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	e1 := smp.ents[0]
	c := srv.register(smp, "AG-01", e1, time.Now(), time.Now().Add(4*time.Hour), "日常检查")
	tok := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, e1)
	jar, _ := cookiejar.New(nil)
	cl := &http.Client{Jar: jar}
	post := func(path string, form url.Values) string {
		req, _ := http.NewRequest("POST", srv.url(path), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "http://"+srv.httpAddr)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	verify := "/V/" + c.GetToken()
	page := post("/signin", url.Values{"token": {tok}, "next": {verify}})
	_, rest, ok := strings.Cut(page, `name="csrf" value="`)
	if !ok {
		t.Fatalf("not signed in: %s", page)
	}
	csrf, _, _ := strings.Cut(rest, `"`)
	body := post(verify+"/refuse", url.Values{"csrf": {csrf}, "reason": {"检查人员未出示\u202e证件"}})
	if strings.Contains(body, "字段 reason") || strings.Contains(body, "U+202E") {
		i := strings.Index(body, "字段")
		t.Errorf("the enterprise is shown internals: %s", body[i:min(len(body), i+200)])
	}
}

// On a 360-px phone the devices page's one-time enrolment URL (<code
// id="enrol-url">, ~90 characters without a break) ran off the screen: the
// page scrolled sideways (a trial of the pages, 2026-12-05).
func TestPages_DevicesEnrolmentURL_FitsA360pxPhone(t *testing.T) {
	ctxB := startBrowser(t)
	srv := startServer(t)
	smp := loadSample(t)
	srv.importSample(smp)
	tok := srv.issue(ruqiv1.Role_ROLE_ENTERPRISE, smp.ents[0])
	p := user(t, ctxB)
	do(t, p, "360-px phone", chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch))
	do(t, p, "sign in", chromedp.Navigate(srv.url("/")), chromedp.SendKeys(chromedp.CSS("#token"), tok),
		chromedp.Submit(chromedp.CSS("#token")), chromedp.WaitVisible(chromedp.CSS("#devices-link")))
	do(t, p, "make an enrolment QR", chromedp.Navigate(srv.url("/devices")), chromedp.SendKeys(chromedp.CSS("#label"), "前台"),
		chromedp.Click(chromedp.CSS("#enrol-create")), chromedp.WaitVisible(chromedp.CSS("#enrolment")))
	screenshot(t, p, "trial-devices-enrol-360")
	w, err := chromedp.Run(p, chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if w > 0 {
		t.Errorf("the devices page is %d px wider than a 360-px phone (the enrolment URL does not wrap)", w)
	}
}
