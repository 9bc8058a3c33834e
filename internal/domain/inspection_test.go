package domain

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The clock leeway lets a window start a little before now; a window that
// has already ended when it is registered is refused, not taken as a plan.
func TestValidateWindow_AlreadyEndedWithinLeeway_Refused(t *testing.T) {
	l := DefaultLimits()
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, Shanghai)
	cases := []struct {
		name       string
		start, end time.Time
		reason     string
	}{
		{"ended a moment ago", now.Add(-l.ClockLeeway / 2), now.Add(-time.Second), "WINDOW_ENDED"},
		{"ends exactly now", now.Add(-l.ClockLeeway / 2), now, "WINDOW_ENDED"},
		{"started within leeway, still open", now.Add(-l.ClockLeeway / 2), now.Add(time.Hour), ""},
		{"started before the leeway", now.Add(-2 * l.ClockLeeway), now.Add(time.Hour), "WINDOW_IN_PAST"},
	}
	for _, c := range cases {
		err := ValidateWindow(c.start, c.end, now, l)
		got := ""
		if de, ok := err.(*Error); ok {
			got = de.Reason
		} else if err != nil {
			t.Fatalf("%s: %v is not a domain error", c.name, err)
		}
		if got != c.reason {
			t.Errorf("%s: reason %q, want %q (%v)", c.name, got, c.reason, err)
		}
	}
}

// Durations in messages are in Chinese units, never Go's "200h0m0s".
func TestFormatDuration_ChineseUnits(t *testing.T) {
	for d, want := range map[time.Duration]string{
		200 * time.Hour:                 "8天8小时",
		168 * time.Hour:                 "168小时（7天）",
		150 * time.Hour:                 "150小时",
		12408 * time.Hour:               "517天",
		2208*time.Hour + time.Minute:    "92天1分钟",
		90*time.Minute + 20*time.Second: "1小时30分钟",
		45 * time.Minute:                "45分钟",
		10 * time.Second:                "不到1分钟",
	} {
		if got := FormatDuration(d); got != want {
			t.Errorf("FormatDuration(%v) = %q, want %q", d, got, want)
		}
	}
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, Shanghai)
	err := ValidateWindow(now.Add(time.Hour), now.Add(201*time.Hour), now, DefaultLimits())
	if err == nil || err.Error() != "计划检查时段为8天8小时，超过上限168小时（7天）：请缩短时段或分次报备" {
		t.Errorf("WINDOW_TOO_LONG says %v", err)
	}
}

// A span too long for time.Duration (about 292 years) is not said as the
// saturated "2562047小时47分钟": a window mistyped to end in 9999, a plan from
// year 1, were said to last that long, a number that is not their length
// and does not show the year to correct (a trial of bad input, 2026-12-07).
func TestFormatSpan_BeyondADuration_SaysTheDates(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, Shanghai)
	far := time.Date(9999, 12, 30, 0, 0, 0, 0, Shanghai)
	err := ValidateWindow(now.Add(time.Hour), far, now, DefaultLimits())
	if err == nil || strings.Contains(err.Error(), "2562047") || !strings.Contains(err.Error(), "9999-12-30") {
		t.Errorf("a window to 9999 says %v", err)
	}
	err = ValidatePlanVersion(&ruqiv1.PlanVersion{Title: "专项", Type: ruqiv1.InspectionType_INSPECTION_TYPE_SPECIAL,
		Scope: &ruqiv1.PlanScope{RegionCode: "510104"}, CheckItemIds: []string{"CI-0001"},
		PeriodStart: timestamppb.New(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)), PeriodEnd: timestamppb.New(now)}, now)
	if err == nil || strings.Contains(err.Error(), "2562047") || !strings.Contains(err.Error(), "0001-01-01") {
		t.Errorf("a plan from year 1 says %v", err)
	}
	for _, c := range []struct {
		end  time.Time
		want string
	}{
		{now.Add(200 * time.Hour), "8天8小时"},
		{now.AddDate(1, 0, 2), "2026-03-02 09:00至2027-03-04 09:00，共367天"},
		{time.Date(2126, 3, 2, 9, 0, 0, 0, Shanghai), "2026-03-02 09:00至2126-03-02 09:00，共36524天（约100年）"},
	} {
		if got := FormatSpan(now, c.end); got != c.want {
			t.Errorf("FormatSpan(%v, %v) = %q, want %q", now, c.end, got, c.want)
		}
	}
}
