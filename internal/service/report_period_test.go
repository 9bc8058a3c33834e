package service_test

import (
	"fmt"
	"testing"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A report asked for with only its last month covers that month's year to
// date: a 截止月份 of last year alone was refused as running backwards from
// this January (PERIOD_BACKWARDS), though it names the year it wants.
// Without either month the report is this year to date, as before.
func TestFrequencyReport_DefaultPeriod(t *testing.T) {
	e, clock, _ := noticeEnv(t)
	now := clock.Load().In(domain.Shanghai)
	reports := ruqiv1.NewReportServiceClient(e.cc)
	// A period ending this month, or later, ends in a month not over:
	// its 同比 compares a part of the month with the whole of it a year
	// earlier, and the answer says so (to_month_unfinished).
	for _, c := range []struct {
		name, from, to   string
		wantFrom, wantTo string
		unfinished       bool
	}{
		{"none", "", "", fmt.Sprintf("%04d-01", now.Year()), now.Format("2006-01"), true},
		{"last month of last year", "", fmt.Sprintf("%04d-11", now.Year()-1), fmt.Sprintf("%04d-01", now.Year()-1), fmt.Sprintf("%04d-11", now.Year()-1), false},
		{"first month only", fmt.Sprintf("%04d-03", now.Year()-1), "", fmt.Sprintf("%04d-03", now.Year()-1), now.Format("2006-01"), true},
		{"to last month", "", now.AddDate(0, 0, 1-now.Day()).AddDate(0, -1, 0).Format("2006-01"), now.AddDate(0, 0, 1-now.Day()).AddDate(0, -1, 0).Format("2006") + "-01", now.AddDate(0, 0, 1-now.Day()).AddDate(0, -1, 0).Format("2006-01"), false},
		{"to next month", "", now.AddDate(0, 0, 1-now.Day()).AddDate(0, 1, 0).Format("2006-01"), now.AddDate(0, 0, 1-now.Day()).AddDate(0, 1, 0).Format("2006") + "-01", now.AddDate(0, 0, 1-now.Day()).AddDate(0, 1, 0).Format("2006-01"), true},
	} {
		rep, err := reports.GetFrequencyReport(e.as(e.admin), &ruqiv1.GetFrequencyReportRequest{FromMonth: c.from, ToMonth: c.to})
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if rep.GetFromMonth() != c.wantFrom || rep.GetToMonth() != c.wantTo {
			t.Errorf("%s: period %s to %s, want %s to %s", c.name, rep.GetFromMonth(), rep.GetToMonth(), c.wantFrom, c.wantTo)
		}
		if rep.GetToMonthUnfinished() != c.unfinished {
			t.Errorf("%s: to_month_unfinished %v, want %v", c.name, rep.GetToMonthUnfinished(), c.unfinished)
		}
	}
}
