package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A staff phone that has just been bound and refreshes the page (or comes
// back to it) must not read 绑定失败: the binding is made, the one-time code
// spent. The POST answered the success page itself, so a refresh posted the
// spent code again and the phone read "绑定失败：绑定二维码无效、已使用或已过期"
// while bound (a trial as a restaurant's front desk on a phone, 2026-12-07).
// The binding now answers a redirect to a confirmation page of the new
// device session, which reads the device from the API.
func TestEnrol_RefreshAfterBinding_StillSaysBound(t *testing.T) {
	f := newFixture(t)
	enr, err := ruqiv1.NewSessionServiceClient(f.api).CreateDeviceEnrolment(as(context.Background(), f.ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "收银台"})
	if err != nil {
		t.Fatal(err)
	}
	resp := f.do("POST", "/enrol/"+enr.GetCode(), url.Values{})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("binding answered %d, want 303 to a confirmation page (a refresh of the answer posts the spent code again)", resp.StatusCode)
	}
	dev := cookieOf(t, resp, enterpriseCookie)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/enrolled?") {
		t.Fatalf("redirect to %q, want /enrolled?…", loc)
	}
	for i := range 2 { // the page, then a refresh of it
		page := readBody(t, f.do("GET", loc, nil, dev))
		for _, want := range []string{"已绑定为前台设备", "收银台", "有效期至"} {
			if !strings.Contains(page, want) {
				t.Errorf("view %d: the confirmation does not say %q", i+1, want)
			}
		}
		if strings.Contains(page, "绑定失败") {
			t.Errorf("view %d says 绑定失败 on a bound phone", i+1)
		}
	}
	// Unbound by the enterprise since: the page no longer says bound.
	devs, err := ruqiv1.NewSessionServiceClient(f.api).ListDevices(as(context.Background(), f.ent), &ruqiv1.ListDevicesRequest{})
	if err != nil || len(devs.GetDevices()) != 1 {
		t.Fatalf("devices: %v %v", devs, err)
	}
	if _, err := ruqiv1.NewSessionServiceClient(f.api).RevokeDevice(as(context.Background(), f.ent), &ruqiv1.RevokeDeviceRequest{DeviceId: devs.GetDevices()[0].GetId()}); err != nil {
		t.Fatal(err)
	}
	if page := readBody(t, f.do("GET", loc, nil, dev)); strings.Contains(page, "已绑定为前台设备") {
		t.Errorf("the confirmation of a device unbound since says bound")
	}
	// Another browser (no session, or a link passed on) is told nothing.
	if page := readBody(t, f.do("GET", loc, nil)); strings.Contains(page, "已绑定为前台设备") {
		t.Errorf("the confirmation without the device's session says bound")
	}
}

// A front-desk phone's sign-out unbinds it: the staff member tapping
// 退出登录 on the home page was not told (a trial on a phone, 2026-12-06).
// The phone's home page says what it is and what signing out does, and does
// not offer the devices page, which a device may not use; the account's
// home page is as before.
func TestHome_FrontDeskPhone_ToldSigningOutUnbindsIt(t *testing.T) {
	f := newFixture(t)
	enr, err := ruqiv1.NewSessionServiceClient(f.api).CreateDeviceEnrolment(as(context.Background(), f.ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "收银台"})
	if err != nil {
		t.Fatal(err)
	}
	dev := cookieOf(t, f.do("POST", "/enrol/"+enr.GetCode(), url.Values{}), enterpriseCookie)
	page := readBody(t, f.do("GET", "/", nil, dev))
	for _, want := range []string{`id="device-note"`, "退出并解除绑定"} {
		if !strings.Contains(page, want) {
			t.Errorf("the phone's home page lacks %q:\n%s", want, visible(page))
		}
	}
	if strings.Contains(page, `id="devices-link"`) {
		t.Errorf("the phone's home page offers the devices page")
	}
	account := readBody(t, f.do("GET", "/", nil, f.signInEnterprise(f.ent)))
	if strings.Contains(account, `id="device-note"`) || !strings.Contains(account, `id="devices-link"`) || !strings.Contains(account, ">退出登录<") {
		t.Errorf("the account's home page:\n%s", visible(account))
	}
}
