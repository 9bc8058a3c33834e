package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A joint visit of 应急管理 (AG-03) and 消防救援 (AG-04): both list the same
// fire check (CI-0017 and CI-0018: same name, same 依据), which the 一表通查
// shows once, as CI-0017 (AG-03 registered first) under both. AG-04 then
// orders a rectification on its CI-0018. The enterprise reopening AG-04's
// code reads the results item by item: the rectification it must carry out
// has to be named, not shown as the bare id "CI-0018" (a trial of a
// county's 综合查一次, 2026-12-06).
func TestPages_JointVisit_ResultOfSharedCheck_NamedOnVerifyPage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	// An enterprise of 锦江区, where AG-03 is (属地管辖); the fixture's is in
	// 武侯区.
	const uscc = "91510104CY4C7RGWMR"
	register := func(officer string, officers, items []string, hours int) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		resp, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(ctx, f.issue(ruqiv1.Role_ROLE_OFFICER, officer)), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: items, OfficerIds: officers,
			WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(time.Duration(hours) * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "综合查一次",
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	register("O-0003", []string{"O-0003", "O-0012"}, []string{"CI-0012", "CI-0017"}, 3)
	fire := register("O-0004", []string{"O-0004", "O-0013"}, []string{"CI-0018", "CI-0022"}, 5)
	if fire.GetJointInspection() == nil {
		t.Fatalf("the two plans were not merged: %v", fire)
	}
	_, err := ruqiv1.NewInspectionServiceClient(f.api).RecordResult(as(ctx, f.issue(ruqiv1.Role_ROLE_OFFICER, "O-0004")), &ruqiv1.RecordResultRequest{
		InspectionId: fire.GetInspection().GetId(), Items: []*ruqiv1.ItemResult{
			{CheckItemId: "CI-0022", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
			{CheckItemId: "CI-0018", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED, RectificationDeadline: timestamppb.New(now.Add(10 * 24 * time.Hour))},
		}, Close: true})
	if err != nil {
		t.Fatal(err)
	}
	ec := f.signInEnterprise(f.issue(ruqiv1.Role_ROLE_ENTERPRISE, uscc))
	body := readBody(t, f.do("GET", path(fire.GetCodes()[0].GetUrl()), nil, ec))
	if !strings.Contains(body, "消防设施器材完好有效情况检查：责令整改") {
		t.Errorf("the rectification ordered on the shared fire check is not named on the page: %s", resultsOf(body))
	}
	if strings.Contains(body, "CI-0018：") {
		t.Errorf("the page shows the bare item id CI-0018 for a result: %s", resultsOf(body))
	}
}

// resultsOf is the page's 检查结果 section, as text.
func resultsOf(body string) string {
	_, rest, ok := strings.Cut(body, "<h2>检查结果</h2>")
	if !ok {
		return visible(body)
	}
	rest, _, _ = strings.Cut(rest, "</div>")
	return visible("</style>" + rest)
}

// hiddenOf is the value of the first hidden field name in the form after
// marker on the page.
func hiddenOf(t *testing.T, body, marker, name string) string {
	t.Helper()
	_, rest, ok := strings.Cut(body, marker)
	if !ok {
		t.Fatalf("no %s on the page: %s", marker, visible(body))
	}
	_, rest, ok = strings.Cut(rest, `name="`+name+`" value="`)
	if !ok {
		t.Fatalf("no field %s after %s", name, marker)
	}
	v, _, _ := strings.Cut(rest, `"`)
	return html.UnescapeString(v)
}

// jointVisitClosedPart registers, beside the fixture's AG-01 plan, an
// overlapping plan of 消防救援 (AG-04), which joins the visit, and closes
// AG-04's part. It returns AG-04's plan.
func (f *fixture) jointVisitClosedPart() *ruqiv1.RegisterInspectionResponse {
	f.t.Helper()
	ctx := context.Background()
	now := time.Now()
	fireOfficer := f.issue(ruqiv1.Role_ROLE_OFFICER, "O-0004")
	fire, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(ctx, fireOfficer), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: f.entUSCC, CheckItemIds: []string{"CI-0019", "CI-0022"}, OfficerIds: []string{"O-0004", "O-0013"},
		WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(3 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "综合查一次",
	})
	if err != nil {
		f.t.Fatal(err)
	}
	if fire.GetJointInspection() == nil {
		f.t.Fatalf("AG-04's plan did not join the fixture's: %v", fire)
	}
	_, err = ruqiv1.NewInspectionServiceClient(f.api).RecordResult(as(ctx, fireOfficer), &ruqiv1.RecordResultRequest{
		InspectionId: fire.GetInspection().GetId(), Items: []*ruqiv1.ItemResult{
			{CheckItemId: "CI-0019", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
			{CheckItemId: "CI-0022", Outcome: ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM},
		}, Close: true})
	if err != nil {
		f.t.Fatal(err)
	}
	return fire
}

// After a joint visit (综合查一次) the enterprise reopens the code of an
// agency whose part is closed and evaluates it with the page's own form: the
// form named the whole visit ("INS-…、INS-…", the page's 检查编号 line) as the
// inspection, and the service refused it, so no evaluation of any agency of
// a joint visit could be made from the phone (a trial of a county's
// 综合查一次, 2026-12-06).
func TestPages_JointVisit_EvaluateFromThePage(t *testing.T) {
	f := newFixture(t)
	fire := f.jointVisitClosedPart()
	ec := f.signInEnterprise(f.ent)
	p := path(fire.GetCodes()[0].GetUrl())
	page := readBody(t, f.do("GET", p, nil, ec))
	form := url.Values{"csrf": {csrfOf(t, page)}, "inspection": {hiddenOf(t, page, `id="evaluate"`, "inspection")},
		"certificate_shown": {"1"}, "rights_explained": {"1"}, "conducted_properly": {"1"}, "overall": {"5"}}
	r := f.do("POST", p+"/evaluate", form, ec)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("evaluating AG-04's closed part from its page: %d, form's inspection %q: %s",
			r.StatusCode, form.Get("inspection"), visible(readBody(t, r)))
	}
	ev, err := ruqiv1.NewSupervisionServiceClient(f.api).ListEvaluations(as(context.Background(), f.sup), &ruqiv1.ListEvaluationsRequest{})
	if err != nil || len(ev.GetEvaluations()) != 1 || ev.GetEvaluations()[0].GetAgencyId() != "AG-04" {
		t.Errorf("the evaluation recorded: %v %v, want one of AG-04", ev.GetEvaluations(), err)
	}
}

// The page's "投诉这次检查" link of a joint visit named the whole visit
// (?inspection=INS-…、INS-…), which the complaint form drops as not an id:
// the complaint was filed as one about a visit without a code, and its lead
// named no inspection and no agency.
func TestPages_JointVisit_ComplaintFromThePage_NamesTheInspection(t *testing.T) {
	f := newFixture(t)
	fire := f.jointVisitClosedPart()
	ec := f.signInEnterprise(f.ent)
	page := readBody(t, f.do("GET", path(fire.GetCodes()[0].GetUrl()), nil, ec))
	_, rest, ok := strings.Cut(page, `id="evaluate"`)
	if !ok {
		t.Fatalf("no evaluation box: %s", visible(page))
	}
	_, rest, _ = strings.Cut(rest, `<a href="`)
	link, _, _ := strings.Cut(rest, `"`)
	link = html.UnescapeString(link)
	cp := readBody(t, f.do("GET", link, nil, ec))
	r := f.do("POST", "/complain", url.Values{"csrf": {csrfOf(t, cp)}, "request_id": {"trial-1"},
		"inspection": {hiddenOrEmpty(cp, "inspection")}, "description": {"检查人员态度粗暴"}}, ec)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("complain: %d %s", r.StatusCode, visible(readBody(t, r)))
	}
	leads, err := ruqiv1.NewSupervisionServiceClient(f.api).ListLeads(as(context.Background(), f.sup), &ruqiv1.ListLeadsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range leads.GetLeads() {
		if strings.Contains(l.GetDescription(), "态度粗暴") && (l.GetInspectionId() != fire.GetInspection().GetId() || l.GetAgencyId() != "AG-04") {
			t.Errorf("the complaint from AG-04's page (link %s) is a lead of inspection %q, agency %q; want %s of AG-04",
				link, l.GetInspectionId(), l.GetAgencyId(), fire.GetInspection().GetId())
		}
	}
}

func hiddenOrEmpty(body, name string) string {
	_, rest, ok := strings.Cut(body, `name="`+name+`" value="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(rest, `"`)
	return html.UnescapeString(v)
}

// A joint visit is listed in 检查记录 once per agency's plan, each evaluated
// on its own: the two entries read alike, both agencies, both numbers (a
// trial on a phone, 2026-12-06). Each now says whose part it is.
func TestHistory_JointVisit_EachEntryNamesItsAgencysPart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	const uscc = "91510104CY4C7RGWMR" // 锦江区: AG-03's territory, and AG-04's
	ids := map[string]string{}
	for _, p := range []struct{ officer, other, item, agency string }{{"O-0003", "O-0012", "CI-0012", "应急管理局"}, {"O-0004", "O-0013", "CI-0022", "消防救援支队"}} {
		resp, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(ctx, f.issue(ruqiv1.Role_ROLE_OFFICER, p.officer)), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: []string{p.item}, OfficerIds: []string{p.officer, p.other},
			WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(3 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "综合查一次"})
		if err != nil {
			t.Fatal(err)
		}
		ids[resp.GetInspection().GetId()] = p.agency
	}
	ec := f.signInEnterprise(f.issue(ruqiv1.Role_ROLE_ENTERPRISE, uscc))
	body := readBody(t, f.do("GET", "/history", nil, ec))
	for id, agency := range ids {
		i := strings.Index(body, `data-id="`+id+`"`)
		if i < 0 {
			t.Fatalf("no entry for %s:\n%s", id, visible(body))
		}
		entry := body[i:]
		entry = entry[:strings.Index(entry, "</div>")]
		if part := visible(entry); !strings.Contains(part, "联合检查中") || !strings.Contains(part, agency+"的部分") {
			t.Errorf("the entry of %s does not name %s's part: %q", id, agency, part)
		}
	}
}

// A joint visit refused from one agency's code: the other agency's code,
// scanned next at the front desk, read green 请配合检查 while 检查预告
// marked the whole visit 企业已拒绝 (a review, 2026-12-07). Each code of the
// visit says the refusal.
func TestPages_JointVisit_RefusedFromOneCode_TheOtherSaysSo(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	now := time.Now()
	const uscc = "91510104CY4C7RGWMR" // 锦江区, where AG-03 and AG-04 may inspect
	register := func(officer string, officers, items []string) *ruqiv1.RegisterInspectionResponse {
		t.Helper()
		resp, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(ctx, f.issue(ruqiv1.Role_ROLE_OFFICER, officer)), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: items, OfficerIds: officers,
			WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(3 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "综合查一次",
		})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	safety := register("O-0003", []string{"O-0003", "O-0012"}, []string{"CI-0012"})
	fire := register("O-0004", []string{"O-0004", "O-0013"}, []string{"CI-0022"})
	if fire.GetJointInspection() == nil {
		t.Fatalf("the two plans were not merged: %v", fire)
	}
	ec := f.signInEnterprise(f.issue(ruqiv1.Role_ROLE_ENTERPRISE, uscc))
	p := path(safety.GetCodes()[0].GetUrl())
	page := readBody(t, f.do("GET", p, nil, ec))
	_, rest, _ := strings.Cut(page, `name="request_id" value="`)
	rid, _, _ := strings.Cut(rest, `"`)
	if r := f.do("POST", p+"/refuse", url.Values{"reason": {"检查事项与告知的不符"}, "csrf": {csrfOf(t, page)}, "request_id": {rid}}, ec); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("refusing AG-03's code: %d %s", r.StatusCode, visible(readBody(t, r)))
	}
	other := readBody(t, f.do("GET", path(fire.GetCodes()[0].GetUrl()), nil, ec))
	for _, want := range []string{"入企码有效，但本企业已拒绝这次检查", "<dt>状态</dt><dd>企业已拒绝</dd>"} {
		if !strings.Contains(other, want) {
			t.Errorf("AG-04's code after the visit was refused from AG-03's does not say %q:\n%s", want, visible(other))
		}
	}
	if strings.Contains(other, "请配合检查") {
		t.Errorf("AG-04's code after the visit was refused says 请配合检查:\n%s", visible(other))
	}
}
