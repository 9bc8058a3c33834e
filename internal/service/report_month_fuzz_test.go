package service

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
)

// A report's months (GetFrequencyReportRequest from_month and to_month,
// `ruqi supervisor report --from 2026-01 --to 2026-12`, the dashboard's
// form) are typed by people. Whatever is sent, parseMonth does not panic;
// the empty text is the default; a month it accepts is the first instant
// of that month in Beijing time, written back the same, whose report reads
// exactly that month's counters, of a year from 2000 to 2099; a refusal is
// MONTH_MALFORMED or MONTH_OUT_OF_RANGE, invalid argument, with a message
// of bounded length.
func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"", "2026-01", "2026-12", "2025-12", "0000-01", "9999-12", "2026-13", "2026-00", "2026-1",
		"2026/01", "２０２６-０１", "2026-01-01", " 2026-01", "2026-01\x00", "+2026-01", strings.Repeat("2026-01", 1000)} {
		f.Add(s)
	}
	def := time.Date(2026, 1, 1, 0, 0, 0, 0, domain.Shanghai)
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMonth(s, def)
		if err != nil {
			if r := domain.ReasonOf(err); r != "MONTH_MALFORMED" && r != "MONTH_OUT_OF_RANGE" || domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("parseMonth(%q): %v, want MONTH_MALFORMED or MONTH_OUT_OF_RANGE", s, err)
			}
			if msg := err.Error(); utf8.RuneCountInString(msg) > 40+10*domain.MaxEchoRunes { // each rune echoed is quoted, \U0010FFFF at most
				t.Fatalf("parseMonth(%.40q…): a refusal of %d characters", s, utf8.RuneCountInString(msg))
			}
			return
		}
		if s == "" {
			if !m.Equal(def) {
				t.Fatalf("parseMonth(\"\") = %v, want the default %v", m, def)
			}
			return
		}
		if m.Location() != domain.Shanghai || m.Day() != 1 || m.Hour() != 0 || m.Minute() != 0 || m.Second() != 0 || m.Nanosecond() != 0 {
			t.Fatalf("parseMonth(%q) = %v, not the first instant of a month in Beijing time", s, m)
		}
		if y := m.Year(); y < minReportYear || y > maxReportYear {
			t.Fatalf("parseMonth(%q) = %v, a year no record can be of", s, m)
		}
		if back := m.Format("2006-01"); back != s {
			t.Fatalf("parseMonth(%q) = %v, written back %q", s, m, back)
		}
		q := report.Query{From: m, To: m}
		if got, want := q.Months(), []string{strings.ReplaceAll(s, "-", "")}; !slices.Equal(got, want) {
			t.Fatalf("the report of %q reads months %v, want %v", s, got, want)
		}
	})
}

// Years no record can be of (0000, 9999) were answered as empty reports, a
// region where nobody inspected (a trial of bad input, 2026-12-06).
func TestParseMonth_YearOutOfRange(t *testing.T) {
	def := time.Date(2026, 1, 1, 0, 0, 0, 0, domain.Shanghai)
	for _, s := range []string{"0000-01", "1999-12", "2100-01", "9999-12"} {
		if _, err := parseMonth(s, def); domain.ReasonOf(err) != "MONTH_OUT_OF_RANGE" {
			t.Errorf("parseMonth(%q): %v, want MONTH_OUT_OF_RANGE", s, err)
		}
	}
	if _, err := parseMonth("2000-01", def); err != nil {
		t.Errorf("parseMonth(2000-01): %v", err)
	}
}
