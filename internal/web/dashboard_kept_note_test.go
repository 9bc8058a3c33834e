package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a 司法局 trial of the dashboard (2026-12-07): a lead's note typed
// while the session ran out (12 hours after signing in, or the token
// revoked) was gone: the update came back as the sign-in page, and after
// signing in again the form was empty. The enterprise's forms keep what was
// typed on such a page (sessionEndedKeeping); the supervisor's did not.
func TestDashboard_LeadUpdate_SessionEnded_NoteKept(t *testing.T) {
	f := newFixture(t)
	ec := f.signInEnterprise(f.ent)
	f.refuseOnPage(ec, "未出示入企码")
	ctx := as(context.Background(), f.admin)
	adm := ruqiv1.NewAdminServiceClient(f.api)
	iss, err := adm.IssueAccessToken(ctx, &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_SUPERVISOR, Subject: "510100"})
	if err != nil {
		t.Fatal(err)
	}
	leads, err := ruqiv1.NewSupervisionServiceClient(f.api).ListLeads(as(context.Background(), f.sup), &ruqiv1.ListLeadsRequest{})
	if err != nil || len(leads.GetLeads()) == 0 {
		t.Fatalf("leads %v %v", leads, err)
	}
	id := leads.GetLeads()[0].GetId()
	sc := cookieOf(t, f.do("POST", "/dashboard/signin", url.Values{"token": {iss.GetToken()}}), supervisorCookie)
	csrf := csrfOf(t, readBody(t, f.do("GET", "/dashboard", nil, sc)))
	const note = "已约谈市场监管局执法人员，调取执法记录仪视频，核查中"
	form := url.Values{"csrf": {csrf}, "status": {"LEAD_STATUS_CHECKING"}, "note": {note}}

	// The browser dropped the cookie when the session's time was up.
	r := f.do("POST", "/dashboard/leads/"+id, form)
	if body := readBody(t, r); r.StatusCode == http.StatusSeeOther || !strings.Contains(body, note) || !strings.Contains(body, `action="/dashboard/signin"`) {
		t.Errorf("update after the cookie expired: %d %s, the note typed is not on the page: %s", r.StatusCode, r.Header.Get("Location"), visible(body))
	}

	// The session was ended on the server, the cookie still sent.
	if _, err := adm.RevokeAccessToken(ctx, &ruqiv1.RevokeAccessTokenRequest{TokenId: iss.GetTokenId()}); err != nil {
		t.Fatal(err)
	}
	r = f.do("POST", "/dashboard/leads/"+id, form, sc)
	if body := readBody(t, r); !strings.Contains(body, note) || !strings.Contains(body, `action="/dashboard/signin"`) {
		t.Errorf("update with a revoked session: %d, the note typed is not on the page: %s", r.StatusCode, visible(body))
	}
	after, err := ruqiv1.NewSupervisionServiceClient(f.api).ListLeads(as(context.Background(), f.sup), &ruqiv1.ListLeadsRequest{})
	if err != nil || after.GetLeads()[0].GetStatus() != ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED {
		t.Errorf("the lead moved without a session: %v %v", after, err)
	}
}

// A lead update the service refuses (another supervisor moved the lead
// first, so the status asked is no longer allowed) lost the note typed (a
// 司法局 trial, 2026-12-06): the refusal says it, to copy and send again.
func TestDashboard_LeadUpdate_Refused_NoteKept(t *testing.T) {
	f := newFixture(t)
	ec := f.signInEnterprise(f.ent)
	f.refuseOnPage(ec, "未出示入企码")
	sup := ruqiv1.NewSupervisionServiceClient(f.api)
	leads, err := sup.ListLeads(as(context.Background(), f.sup), &ruqiv1.ListLeadsRequest{})
	if err != nil || len(leads.GetLeads()) == 0 {
		t.Fatalf("leads %v %v", leads, err)
	}
	id := leads.GetLeads()[0].GetId()
	sc := cookieOf(t, f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}}), supervisorCookie)
	csrf := csrfOf(t, readBody(t, f.do("GET", "/dashboard", nil, sc)))
	// Another supervisor closes the lead meanwhile.
	if _, err := sup.UpdateLead(as(context.Background(), f.sup), &ruqiv1.UpdateLeadRequest{LeadId: id, Status: ruqiv1.LeadStatus_LEAD_STATUS_UNFOUNDED, Note: "经核查不属实"}); err != nil {
		t.Fatal(err)
	}
	const note = "已约谈市场监管局执法人员，调取执法记录仪视频，核查中"
	r := f.do("POST", "/dashboard/leads/"+id, url.Values{"csrf": {csrf}, "status": {"LEAD_STATUS_CHECKING"}, "note": {note}}, sc)
	if body := readBody(t, r); r.StatusCode == http.StatusSeeOther || !strings.Contains(body, "问题线索未更新") || !strings.Contains(body, note) {
		t.Errorf("a refused update: %d, the note typed is not on the page: %s", r.StatusCode, visible(body))
	}
}
