package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// WriteCSV writes a frequency report as the 司法局 takes it away: UTF-8
// with a byte-order mark, which is what makes Excel read the Chinese, one
// row per group and a 合计 row. The dashboard's export and `ruqi supervisor
// report -o csv` both write it here, so that a spreadsheet made from either
// has the same columns and the same figures (they had drifted apart: the
// CLI's lacked 亮码率 and the totals, and wrote "-" for no change where the
// dashboard wrote "—").
func WriteCSV(w io.Writer, rep *ruqiv1.GetFrequencyReportResponse) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	n := func(v int64) string { return strconv.FormatInt(v, 10) }
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"分组（" + GroupLabel(rep.GetGroupBy()) + "）", "名称", "检查次数", "上年同期", "同比", "入企次数", "扫码核验次数", "亮码率"})
	for _, row := range rep.GetRows() {
		// A name comes from the imported directory, which the province
		// fills from registrations it does not control: CSVCell keeps
		// one that starts like a formula from running in the spreadsheet.
		_ = cw.Write([]string{csvKey(row.GetKey()), domain.CSVCell(row.GetLabel()), n(row.GetInspections()), n(row.GetPreviousYear()),
			ChangeText(row.GetChange(), row.GetHasChange()), n(row.GetVisits()), n(row.GetScanned()), Share(row.GetScanned(), row.GetBegun())})
	}
	t := rep.GetTotals()
	_ = cw.Write([]string{"合计", rep.GetFromMonth() + " 至 " + rep.GetToMonth(), n(t.GetInspections()), n(t.GetPreviousYear()),
		ChangeText(t.GetChange(), t.GetHasChange()), n(t.GetVisits()), n(t.GetScanned()), RateText(t.GetScanRate(), t.GetBegun())})
	cw.Flush()
	return cw.Error()
}

// csvKey writes a row's key. A key of digits only that a spreadsheet would
// take for a number and round (more than 15 digits: a USCC whose
// organisation code and check character are digits) is written as the text
// formula ="…", which Excel, WPS and LibreOffice show as the text itself: a
// bare 915101041234560030 was shown as 9.15101E+17 and kept as
// 915101041234560000 (a 司法局 trial of the CSV export, 2026-12-07). Only
// digits go inside the formula, so it runs nothing else.
func csvKey(k string) string {
	if len(k) > 15 && strings.Trim(k, "0123456789") == "" {
		return `="` + k + `"`
	}
	return domain.CSVCell(k)
}

// GroupLabel names a report's grouping in a heading.
func GroupLabel(g ruqiv1.GroupBy) string {
	switch g {
	case ruqiv1.GroupBy_GROUP_BY_AGENCY:
		return "执法部门"
	case ruqiv1.GroupBy_GROUP_BY_ENTERPRISE:
		return "企业"
	case ruqiv1.GroupBy_GROUP_BY_REGION:
		return "行政区划"
	case ruqiv1.GroupBy_GROUP_BY_MONTH:
		return "月份"
	case ruqiv1.GroupBy_GROUP_BY_YEAR:
		return "年份"
	}
	return ""
}

// Percent writes a share as the report's pages do: "37.5%".
func Percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// Share is part ÷ whole as a percentage, "—" when there is no whole (a
// rate of inspections none of which has begun is not 0%).
func Share(part, whole int64) string {
	if whole == 0 {
		return "—"
	}
	return Percent(float64(part) / float64(whole))
}

// RateText writes a rate the server computed over whole (亮码率 and
// 两码互核率 over the inspections begun, the share joined over the
// inspections): "—" when there is no whole, as Share writes a row's, so
// that a 合计 under rows of "—" does not read 0%.
func RateText(rate float64, whole int64) string {
	if whole == 0 {
		return "—"
	}
	return Percent(rate)
}

// UnfinishedNote says, beside a report whose period ends in a month not
// over yet (GetFrequencyReportResponse.to_month_unfinished), what its 同比
// compares; "" for a period that is over.
func UnfinishedNote(r *ruqiv1.GetFrequencyReportResponse) string {
	if !r.GetToMonthUnfinished() {
		return ""
	}
	return fmt.Sprintf("截止月份 %s 尚未结束：其数字截至目前，上年同期为 %s 的整月，同比因此可能偏低", r.GetToMonth(), lastYearsMonth(r.GetToMonth()))
}

// lastYearsMonth is "2025-12" of "2026-12"; m itself if it is no month.
func lastYearsMonth(m string) string {
	t, err := time.Parse("2006-01", m)
	if err != nil {
		return m
	}
	return t.AddDate(-1, 0, 0).Format("2006-01")
}

// ChangeText writes the change on the same months of the year before,
// signed ("+12.5%"), or "—" where that year had none to compare with.
func ChangeText(change float64, ok bool) string {
	if !ok {
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", change*100)
}
