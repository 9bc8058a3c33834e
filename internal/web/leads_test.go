package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The signed-in enterprise reads its own leads at /leads, each with its
// status and the dates of its steps, from the home page; not the
// 司法局's note, not another enterprise's leads; signed out, it is sent to
// sign in and back.
func TestPages_OwnLeads(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	ent := ruqiv1.NewEnterpriseServiceClient(f.api)
	mine, err := ent.Complain(as(ctx, f.ent), &ruqiv1.ComplainRequest{OfficerClaimed: "王某", Description: "检查中态度粗暴"})
	if err != nil {
		t.Fatal(err)
	}
	// The supervisor moves it on the dashboard, with a note and a reply
	// to the enterprise; the form offers the reply for such a lead.
	sc := cookieOf(t, f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}}), supervisorCookie)
	dash := readBody(t, f.do("GET", "/dashboard", nil, sc))
	if !strings.Contains(dash, `name="reply"`) {
		t.Errorf("the dashboard's form offers no reply to the enterprise: %s", visible(dash))
	}
	if r := f.do("POST", "/dashboard/leads/"+mine.GetLeadId(), url.Values{"csrf": {csrfOf(t, dash)}, "status": {"LEAD_STATUS_CHECKING"},
		"note": {"内部意见：调取执法记录仪"}, "reply": {"已受理，正在核查该局的执法记录"}}, sc); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("the dashboard's lead update: %d %s", r.StatusCode, visible(readBody(t, r)))
	}
	var other string
	dir, err := ruqiv1.NewDirectoryServiceClient(f.api).GetEnterprise(as(ctx, f.admin), &ruqiv1.GetEnterpriseRequest{Uscc: "91510104CY4C7RGWMR"})
	if err != nil {
		t.Fatal(err)
	}
	other = f.issue(ruqiv1.Role_ROLE_ENTERPRISE, dir.GetEnterprise().GetUscc())
	theirs, err := ent.Complain(as(ctx, other), &ruqiv1.ComplainRequest{Description: "另一家企业的投诉"})
	if err != nil {
		t.Fatal(err)
	}

	ec := f.signInEnterprise(f.ent)
	if home := readBody(t, f.do("GET", "/", nil, ec)); !strings.Contains(home, `href="/leads"`) {
		t.Errorf("the home page does not lead to /leads: %s", visible(home))
	}
	r := f.do("GET", "/leads", nil, ec)
	page := readBody(t, r)
	for _, want := range []string{mine.GetLeadId(), "企业投诉", "核查中", "已接收", "检查中态度粗暴", "王某", "司法局答复：已受理，正在核查该局的执法记录"} {
		if r.StatusCode != http.StatusOK || !strings.Contains(page, want) {
			t.Errorf("/leads (%d) does not say %q: %s", r.StatusCode, want, visible(page))
		}
	}
	for _, not := range []string{"调取执法记录仪", theirs.GetLeadId(), "另一家企业"} {
		if strings.Contains(page, not) {
			t.Errorf("/leads shows %q: %s", not, visible(page))
		}
	}
	if r := f.do("GET", "/leads", nil); r.StatusCode != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), url.QueryEscape("/leads")) {
		t.Errorf("/leads signed out: %d to %q, want sent to sign in and back", r.StatusCode, r.Header.Get("Location"))
	}
}

// A front-desk device may refuse at the door but not complain in the
// enterprise's name, nor read its leads: its home page offers neither, and
// the complaint form, opened by its address, says so before anything is
// typed (it was shown, and refused at submit: stop 45's list).
func TestPages_FrontDesk_NoComplaintFormNorLeads(t *testing.T) {
	f := newFixture(t)
	enr, err := ruqiv1.NewSessionServiceClient(f.api).CreateDeviceEnrolment(as(context.Background(), f.ent), &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	dev := cookieOf(t, f.do("POST", "/enrol/"+enr.GetCode(), url.Values{}), enterpriseCookie)
	home := readBody(t, f.do("GET", "/", nil, dev))
	if !strings.Contains(home, `id="refuse-link"`) || strings.Contains(home, `id="complain-link"`) || strings.Contains(home, `id="leads-link"`) {
		t.Errorf("the front desk's home page: want the refusal offered, not the complaint or the leads: %s", visible(home))
	}
	r := f.do("GET", "/complain", nil, dev)
	if body := readBody(t, r); r.StatusCode != http.StatusForbidden || !strings.Contains(body, "前台设备不能投诉") || strings.Contains(body, `name="description"`) {
		t.Errorf("the complaint form on the front desk: %d %s", r.StatusCode, visible(body))
	}
	if r := f.do("GET", "/complain", nil, f.signInEnterprise(f.ent)); r.StatusCode != http.StatusOK {
		t.Errorf("the complaint form for the account: %d", r.StatusCode)
	}
}
