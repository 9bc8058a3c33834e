package report

import (
	"encoding/csv"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Found by a 司法局 trial of the dashboard (2026-12-06): the dashboard's CSV
// export writes a name that starts like a formula as text (web.cell:
// '=…), `ruqi supervisor report -o csv` writes it as it is, and Excel runs
// it. An enterprise's or agency's name comes from the imported directory,
// which a province fills from registrations it does not control.
func TestReportCSV_NamesAreNotFormulas(t *testing.T) {
	var b strings.Builder
	rep := &ruqiv1.GetFrequencyReportResponse{GroupBy: ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, Rows: []*ruqiv1.ReportRow{
		{Key: "91510104CY4C7RGWMR", Label: `=HYPERLINK("http://evil.example/","成都锦江区博兴餐饮有限公司")`, Inspections: 3},
		{Key: "92510104GNB7MKG5FQ", Label: "+cmd|' /C calc'!A0", Inspections: 2},
	}}
	if err := WriteCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range recs[1:] {
		if c := rec[1]; c != "" && strings.ContainsRune("=+-@", rune(c[0])) { // 名称
			t.Errorf("CSV name %q starts like a formula", c)
		}
	}
}

// The dashboard's export and the CLI's -o csv are both WriteCSV; the CLI's
// had drifted (no 亮码率, no 合计 row, "-" for no change where the
// dashboard wrote "—"). A rate over no begun inspection is "—", not 0%.
func TestWriteCSV_RatesAndTotals(t *testing.T) {
	var b strings.Builder
	rep := &ruqiv1.GetFrequencyReportResponse{GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY, FromMonth: "2026-01", ToMonth: "2026-03",
		Rows: []*ruqiv1.ReportRow{
			{Key: "AG-01", Label: "市场监管局", Inspections: 4, PreviousYear: 2, Change: 1, HasChange: true, Visits: 3, Scanned: 3, Begun: 4},
			{Key: "AG-02", Label: "消防救援支队", Inspections: 1, Visits: 1},
		},
		Totals: &ruqiv1.ReportTotals{Inspections: 5, PreviousYear: 2, Change: 1.5, HasChange: true, Visits: 4, Scanned: 3, Begun: 5, ScanRate: 0.6},
	}
	if err := WriteCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"分组（执法部门）", "名称", "检查次数", "上年同期", "同比", "入企次数", "扫码核验次数", "亮码率"},
		{"AG-01", "市场监管局", "4", "2", "+100.0%", "3", "3", "75.0%"},
		{"AG-02", "消防救援支队", "1", "0", "—", "1", "0", "—"},
		{"合计", "2026-01 至 2026-03", "5", "2", "+150.0%", "4", "3", "60.0%"},
	}
	if len(recs) != len(want) {
		t.Fatalf("CSV has %d records, want %d: %v", len(recs), len(want), recs)
	}
	for i := range want {
		if strings.Join(recs[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("CSV record %d: %v, want %v", i, recs[i], want[i])
		}
	}
}

// A 司法局 trial (2026-12-06): a district none of whose inspections had
// begun read 亮码率 "—" in each row and "0.0%" in the 合计 row below
// them, as on the CLI's and the dashboard's totals: a rate over no begun
// inspection is no rate, in the totals too. So is the share joined of no
// inspection.
func TestRateText_NothingBegun_IsNoRate(t *testing.T) {
	var b strings.Builder
	rep := &ruqiv1.GetFrequencyReportResponse{GroupBy: ruqiv1.GroupBy_GROUP_BY_AGENCY, FromMonth: "2026-12", ToMonth: "2026-12",
		Rows:   []*ruqiv1.ReportRow{{Key: "AG-02", Label: "生态环境局", Inspections: 1, Visits: 1}},
		Totals: &ruqiv1.ReportTotals{Inspections: 1, Visits: 1},
	}
	if err := WriteCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[len(recs)-1]; got[0] != "合计" || got[7] != "—" {
		t.Errorf("合计 row with nothing begun: %v, want 亮码率 —", got)
	}
	for _, c := range []struct {
		rate  float64
		whole int64
		want  string
	}{{0, 0, "—"}, {0, 3, "0.0%"}, {0.5, 2, "50.0%"}} {
		if got := RateText(c.rate, c.whole); got != c.want {
			t.Errorf("RateText(%v, %d) = %q, want %q", c.rate, c.whole, got, c.want)
		}
	}
}

// A 司法局 trial of the CSV export (2026-12-07): a USCC of digits only
// (915101041234560030, valid: its organisation code and check character
// are digits, as for many enterprises registered before 2015) was written
// as a bare number, which a spreadsheet reads as one: Excel and WPS show
// 9.15101E+17 and keep 15 digits (915101041234560000), so the ranking of
// the most-inspected enterprises named none of them once saved. A key a
// spreadsheet would round is written as a text formula; shorter ones
// (region codes, months, years) and USCCs with letters stay as they are.
func TestWriteCSV_AllDigitUSCC_KeptWhole(t *testing.T) {
	var b strings.Builder
	rep := &ruqiv1.GetFrequencyReportResponse{GroupBy: ruqiv1.GroupBy_GROUP_BY_ENTERPRISE, Rows: []*ruqiv1.ReportRow{
		{Key: "915101041234560030", Label: "成都锦江区某餐饮有限公司", Inspections: 3},
		{Key: "91510104CY4C7RGWMR", Label: "成都锦江区博兴餐饮有限公司", Inspections: 2},
		{Key: "510104", Label: "510104", Inspections: 1},
	}}
	if err := WriteCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`="915101041234560030"`, "91510104CY4C7RGWMR", "510104"}
	for i, w := range want {
		if got := recs[i+1][0]; got != w {
			t.Errorf("key %q written %q, want %q", rep.GetRows()[i].GetKey(), got, w)
		}
	}
}
