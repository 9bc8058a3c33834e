package cli

import (
	"fmt"
	"strings"
	"time"

	"github.com/ruqi/ruqi/internal/domain"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// shanghai is the time zone of Asia/Shanghai. China has kept UTC+8 without
// daylight saving since 1991, so a fixed zone is exact for every date the
// service deals with, and the binary needs no tzdata.
var shanghai = time.FixedZone("CST", 8*60*60)

// localLayouts are the wall-clock forms accepted for times in Asia/Shanghai.
var localLayouts = []string{
	"2006-01-02 15:04",
	"2006-01-02T15:04",
	"2006-01-02 15:04:05",
	"2006-01-02T15:04:05",
}

// parseTime reads a time given on the command line: RFC 3339; a wall-clock
// time in Asia/Shanghai such as "2026-03-01 09:30"; or "now", "now+2h",
// "now-30m" (any Go duration) relative to now.
func parseTime(s string, now time.Time) (time.Time, error) {
	// Typed in a Chinese input method's full-width mode, ２０２６－１２－０７
	// ０９：００ is 2026-12-07 09:00, as full-width ids are read (a trial of
	// the CLI, 2026-12-05).
	s = domain.NormalizeWidth(s)
	// Whole seconds: the retry hint after a lost answer prints the times
	// to the second, and the server holds a retried window to the one it
	// stored exactly (an agency's trial, 2026-12-06: following the hint
	// was refused as REQUEST_ID_REUSED).
	now = now.Truncate(time.Second)
	if rest, ok := strings.CutPrefix(s, "now"); ok {
		if rest == "" {
			return now, nil
		}
		if rest[0] != '+' && rest[0] != '-' {
			return time.Time{}, fmt.Errorf("无法识别的时间 %q：now 后面只能跟 +时长 或 -时长，例如 now+2h", s)
		}
		num := rest[1:]
		d, err := time.ParseDuration(num)
		if err != nil || num[0] < '0' || num[0] > '9' {
			return time.Time{}, fmt.Errorf("无法识别的时长 %q：请写成 2h、30m、1h30m 这样的形式", num)
		}
		if rest[0] == '-' {
			d = -d
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range localLayouts {
		if t, err := time.ParseInLocation(layout, s, shanghai); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("无法识别的时间 %q：请用 \"2026-03-01 09:30\"（北京时间）、RFC 3339 或 now、now+2h、now-30m", s)
}

// Display layouts, always in Asia/Shanghai.
const (
	minuteLayout = "2006-01-02 15:04"
	secondLayout = "2006-01-02 15:04:05"
)

// fmtTime shows a timestamp in Asia/Shanghai to the minute; "-" if unset.
func fmtTime(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().In(shanghai).Format(minuteLayout)
}

// fmtTimeSeconds shows a timestamp in Asia/Shanghai to the second.
func fmtTimeSeconds(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "-"
	}
	return ts.AsTime().In(shanghai).Format(secondLayout)
}

// fmtWindow shows an inspection window; the end date is left out when the
// window lies within one day.
func fmtWindow(start, end *timestamppb.Timestamp) string {
	if start == nil || end == nil {
		return fmtTime(start) + " 至 " + fmtTime(end)
	}
	s := start.AsTime().In(shanghai)
	e := end.AsTime().In(shanghai)
	if s.Format("2006-01-02") == e.Format("2006-01-02") {
		return s.Format(minuteLayout) + " 至 " + e.Format("15:04") + "（北京时间）"
	}
	return s.Format(minuteLayout) + " 至 " + e.Format(minuteLayout) + "（北京时间）"
}
