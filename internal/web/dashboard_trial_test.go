package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a 司法局 trial of the dashboard (2026-12-06): the CSV export's
// 亮码率 per row divides by every inspection of the period, the dashboard's
// row by the inspections whose window has begun (the fix of an earlier trial
// reached the page and the totals, not the export's rows). With one
// inspection of AG-01 begun and scanned and one later the same day, the page
// reads 100.0% and the spreadsheet 50.0% for the same row, while the CSV's
// own 合计 row reads 100.0%.
func TestDashboard_CSVScanRate_IsThePagesRate(t *testing.T) {
	at := time.Now().Truncate(time.Second)
	f := newFixtureAt(t, func() time.Time { return at })
	ctx := context.Background()
	if _, err := ruqiv1.NewEnterpriseServiceClient(f.api).ScanCode(as(ctx, f.ent), &ruqiv1.ScanCodeRequest{Code: f.code.GetUrl()}); err != nil {
		t.Fatal(err)
	}
	// A second inspection of AG-01, of another enterprise, later today.
	other := "915101070AL6JK1YWK"
	if other == f.entUSCC {
		other = "925101132RK1E4D69X"
	}
	if _, err := ruqiv1.NewInspectionServiceClient(f.api).RegisterInspection(as(ctx, f.officer), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: other, CheckItemIds: []string{"CI-0001"}, OfficerIds: []string{"O-0001", "O-0010"},
		WindowStart: timestamppb.New(at.Add(3 * time.Hour)), WindowEnd: timestamppb.New(at.Add(5 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "下午的日常检查",
	}); err != nil {
		t.Fatal(err)
	}
	sc := cookieOf(t, f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}}), supervisorCookie)
	month := func(t time.Time) string { return t.In(domain.Shanghai).Format("2006-01") }
	q := "group=agency&from=" + month(at) + "&to=" + month(at.Add(5*time.Hour))
	page := readBody(t, f.do("GET", "/dashboard?"+q, nil, sc))
	_, rows, _ := strings.Cut(page, `id="report-rows"`)
	_, ag01, ok := strings.Cut(rows, "<td>AG-01</td>")
	if !ok {
		t.Fatalf("no AG-01 row on the dashboard: %s", visible(page))
	}
	ag01, _, _ = strings.Cut(ag01, "</tr>")
	cells := strings.Split(ag01, `<td class="num">`)
	pageRate := strings.TrimSuffix(cells[len(cells)-1], "</td>")

	r := f.do("GET", "/dashboard/report.csv?"+q, nil, sc)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("CSV: %d", r.StatusCode)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(readBody(t, r), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs {
		if rec[0] == "AG-01" {
			if csvRate := rec[len(rec)-1]; csvRate != pageRate {
				t.Errorf("AG-01's 亮码率: dashboard %s, CSV export %s (CSV row %v)", pageRate, csvRate, rec)
			}
			return
		}
	}
	t.Errorf("no AG-01 row in the CSV: %v", recs)
}

// Found by a 司法局 trial of the dashboard (2026-12-06): a lead's 处理经过
// names who took each step as the record's raw principal,
// "enterprise:91510104…" and "supervisor:510000", English words in a page
// that is otherwise Chinese.
func TestDashboard_LeadSteps_NameWhoInChinese(t *testing.T) {
	f := newFixture(t)
	ec := f.signInEnterprise(f.ent)
	f.refuseOnPage(ec, "未出示入企码")
	leads, err := ruqiv1.NewSupervisionServiceClient(f.api).ListLeads(as(context.Background(), f.sup), &ruqiv1.ListLeadsRequest{})
	if err != nil || len(leads.GetLeads()) == 0 {
		t.Fatalf("leads %v %v", leads, err)
	}
	id := leads.GetLeads()[0].GetId()
	sc := cookieOf(t, f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}}), supervisorCookie)
	page := readBody(t, f.do("GET", "/dashboard", nil, sc))
	if r := f.do("POST", "/dashboard/leads/"+id, url.Values{"csrf": {csrfOf(t, page)}, "status": {"LEAD_STATUS_CHECKING"}, "note": {"已约谈"}}, sc); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", r.StatusCode)
	}
	body := readBody(t, f.do("GET", "/dashboard", nil, sc))
	_, row, _ := strings.Cut(body, `id="lead-`+id+`"`)
	_, steps, _ := strings.Cut(row, `<ol class="steps">`)
	steps, _, _ = strings.Cut(steps, "</ol>")
	for _, raw := range []string{"enterprise:", "supervisor:"} {
		if strings.Contains(steps, raw) {
			t.Errorf("the lead's 处理经过 shows %q: %s", raw, visible(steps))
		}
	}
	// The enterprise that opened it by its name, as the row names it: it
	// read "已接收 · 企业 9151…" (a trial of the pages, 2026-12-07).
	if name := leads.GetLeads()[0].GetEnterpriseName(); name == "" || !strings.Contains(steps, "已接收 · "+name) || strings.Contains(steps, "企业 "+f.entUSCC) {
		t.Errorf("the lead's 处理经过 does not name the enterprise %q by its name: %s", name, visible(steps))
	}
}
