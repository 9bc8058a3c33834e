package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The reply typed for the enterprise is kept when the update is not taken
// (the session ended, the note left blank), as the note is; and a final
// lead of the enterprise's is still answered, a reply alone, its status
// unchanged. Found by a review, 2026-12-08: the reply was lost in both
// cases, and a closed lead could never be answered.
func TestDashboard_LeadReply_KeptAndAfterTheClose(t *testing.T) {
	f := newFixture(t)
	ec, id, sc := f.refusalLead()
	dash := readBody(t, f.do("GET", "/dashboard", nil, sc))
	csrf := csrfOf(t, dash)
	const note = "内部：已约谈"
	const reply = "经核查，该局执法人员未出示入企码，已责令改正"
	body := readBody(t, f.do("POST", "/dashboard/leads/"+id, url.Values{"csrf": {csrf}, "status": {"LEAD_STATUS_CHECKING"}, "note": {note}, "reply": {reply}}))
	if !strings.Contains(body, note) || !strings.Contains(body, reply) {
		t.Errorf("the session ended: note kept %v, reply kept %v", strings.Contains(body, note), strings.Contains(body, reply))
	}
	body = readBody(t, f.do("POST", "/dashboard/leads/"+id, url.Values{"csrf": {csrf}, "status": {"LEAD_STATUS_CHECKING"}, "note": {""}, "reply": {reply}}, sc))
	if !strings.Contains(body, "请填写处理说明") || !strings.Contains(body, reply) {
		t.Errorf("the note left blank: the reply typed is not kept: %s", visible(body))
	}
	// Closed, then answered: a reply alone.
	for _, st := range []string{"LEAD_STATUS_CHECKING", "LEAD_STATUS_UNFOUNDED"} {
		if r := f.do("POST", "/dashboard/leads/"+id, url.Values{"csrf": {csrf}, "status": {st}, "note": {note}}, sc); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("move to %s: %d %s", st, r.StatusCode, visible(readBody(t, r)))
		}
	}
	r := f.do("POST", "/dashboard/leads/"+id, url.Values{"csrf": {csrf}, "reply": {"补充答复：该局已书面说明情况"}}, sc)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("a reply to the closed lead: %d %s", r.StatusCode, visible(readBody(t, r)))
	}
	// The dashboard says the reply was given, not that the status changed.
	// (A browser sends no fragment.)
	loc, _, _ := strings.Cut(r.Header.Get("Location"), "#")
	if back := readBody(t, f.do("GET", loc, nil, sc)); !strings.Contains(back, "已答复企业（状态仍为“查无实据”）") {
		t.Errorf("the dashboard after a reply alone: %s", visible(back))
	}
	page := readBody(t, f.do("GET", "/leads", nil, ec))
	if !strings.Contains(page, "查无实据") || !strings.Contains(page, "补充答复：该局已书面说明情况") {
		t.Errorf("the enterprise's /leads after the reply to its closed lead: %s", visible(page))
	}
}

// A session ended on the server, opening "投诉这次检查"
// (/complain?inspection=ID) is sent to sign in and back to the complaint
// about that inspection, not to a complaint about nothing (a review,
// 2026-12-08).
func TestComplainForm_EndedSession_ReturnsWithTheInspection(t *testing.T) {
	f := newFixture(t)
	c, revoke := f.signInRevocable()
	revoke()
	for _, jar := range [][]*http.Cookie{{c}, nil} { // ended on the server; cookie gone
		r := f.do("GET", "/complain?inspection=INS-20261208-VEP6FEDO", nil, jar...)
		loc, err := url.Parse(r.Header.Get("Location"))
		if err != nil || loc.Query().Get("next") != "/complain?inspection=INS-20261208-VEP6FEDO" {
			t.Errorf("an ended session on /complain?inspection=…: sent to %q, want the sign-in returning to the complaint about it", r.Header.Get("Location"))
		}
	}
}
