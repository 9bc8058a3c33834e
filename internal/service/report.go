package service

import (
	"context"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type reportServer struct {
	ruqiv1.UnimplementedReportServiceServer
	s *Service
}

// GetFrequencyReport reads the counters for the period and the same period a
// year earlier. A supervisor sees their region and what lies under it.
func (rs *reportServer) GetFrequencyReport(ctx context.Context, req *ruqiv1.GetFrequencyReportRequest) (*ruqiv1.GetFrequencyReportResponse, error) {
	now := rs.s.now().In(domain.Shanghai)
	// A code scans valid up to the clock leeway before its window (an
	// officer a minute early): such an inspection has begun for the rates,
	// or its scan stood over a denominator that left it out, and 亮码率
	// read 1 ÷ 0 (a trial of the report against the log, 2026-12-06).
	q := report.Query{GroupBy: req.GetGroupBy(), Region: req.GetRegionCode(), Agency: req.GetAgencyId(), Top: int(req.GetTop()),
		Now: now.Add(rs.s.cfg.Limits.ClockLeeway)}
	if q.GroupBy == ruqiv1.GroupBy_GROUP_BY_UNSPECIFIED {
		q.GroupBy = ruqiv1.GroupBy_GROUP_BY_AGENCY
	}
	if q.Region != "" {
		// A region that is none is the caller's mistake, not a region
		// outside its scope nor an empty report (a trial of bad input,
		// 2026-12-06: "<script>" was answered, and echoed).
		if err := domain.ValidateRegion(q.Region); err != nil {
			return nil, toStatus(ctx, err)
		}
	}
	// Without a period the report is the year to date; with only its last
	// month, the year to that month: a 截止月份 of last year alone asked
	// for the year it names, and was refused as running backwards from
	// this January.
	var err error
	if q.To, err = parseMonth(req.GetToMonth(), time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, domain.Shanghai)); err != nil {
		return nil, toStatus(ctx, err)
	}
	if q.From, err = parseMonth(req.GetFromMonth(), time.Date(q.To.Year(), 1, 1, 0, 0, 0, 0, domain.Shanghai)); err != nil {
		return nil, toStatus(ctx, err)
	}
	if p := principal(ctx); p.Is(ruqiv1.Role_ROLE_SUPERVISOR) {
		if q.Region == "" {
			q.Region = p.Subject
		}
		// Held by RegionCovers even for its own region: a supervisor's
		// token made before "000000" was refused covers nothing, where
		// the report would read its region as every region.
		if err := regionInScope(ctx, q.Region); err != nil {
			return nil, toStatus(ctx, err)
		}
	}
	var resp *ruqiv1.GetFrequencyReportResponse
	err = rs.s.store.View(ctx, func(r store.Reader) error {
		// An agency that is none is refused as the lists refuse it: a
		// report of 0 inspections reads as an agency that inspected
		// nobody.
		if err := agencyFilter(r, q.Agency); err != nil {
			return err
		}
		var err error
		resp, err = report.Build(r, q)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	// A supervisor reading the default period (January to this month) on
	// the 7th saw 同比 about a quarter low (a supervisor's trial,
	// 2026-12-06): said beside it.
	resp.ToMonthUnfinished = now.Before(q.To.AddDate(0, 1, 0))
	return resp, nil
}

func parseMonth(s string, def time.Time) (time.Time, error) {
	if s == "" {
		return def, nil
	}
	t, err := time.ParseInLocation("2006-01", s, domain.Shanghai)
	if err != nil {
		return time.Time{}, domain.Invalidf("MONTH_MALFORMED", "月份格式应为 2026-01，收到 %q", s)
	}
	// A year no record can be of (0000, 9999): answered as an empty
	// report, which read as a region where nobody inspected (a trial of
	// bad input, 2026-12-06). Records begin with the reform; a century
	// either way of this one is room enough.
	if y := t.Year(); y < minReportYear || y > maxReportYear {
		return time.Time{}, domain.Invalidf("MONTH_OUT_OF_RANGE", "月份 %s 的年份超出范围（%d 至 %d 年）：请核对年份", s, minReportYear, maxReportYear)
	}
	return t, nil
}

// The years a report's months may name.
const (
	minReportYear = 2000
	maxReportYear = 2099
)
