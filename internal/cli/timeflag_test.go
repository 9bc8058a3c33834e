package cli

import (
	"testing"
	"time"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC) // 09:30 in Shanghai
	tests := []struct {
		in   string
		want time.Time
	}{
		{"now", now},
		{"now+2h", now.Add(2 * time.Hour)},
		{"now-30m", now.Add(-30 * time.Minute)},
		{"now+1h30m", now.Add(90 * time.Minute)},
		{" now+2h ", now.Add(2 * time.Hour)},
		{"2026-03-02T09:00:00+08:00", time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)},
		{"2026-03-02T01:00:00Z", time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)},
		{"2026-03-02 09:00", time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)},
		{"2026-03-02T09:00", time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)},
		{"2026-03-02 09:00:30", time.Date(2026, 3, 2, 1, 0, 30, 0, time.UTC)},
		{"2026-03-02 00:30", time.Date(2026, 3, 1, 16, 30, 0, 0, time.UTC)}, // the day before in UTC
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if err != nil {
			t.Errorf("parseTime(%q): %v", tt.in, err)
			continue
		}
		if !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestParseTime_Rejects(t *testing.T) {
	now := time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)
	for _, in := range []string{
		"", "tomorrow", "now+", "now-", "now*2h", "now2h", "now+2d", "now+-2h", "now++2h",
		"2026-13-01 09:00", "2026-03-01", "09:00", "2026/03/01 09:00",
	} {
		if got, err := parseTime(in, now); err == nil {
			t.Errorf("parseTime(%q) = %v, want an error", in, got)
		}
	}
}

func TestFmtWindow_ShowsShanghaiTime(t *testing.T) {
	start := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	got := fmtWindow(tspb(start), tspb(start.Add(4*time.Hour)))
	if want := "2026-03-02 09:00 至 13:00（北京时间）"; got != want {
		t.Errorf("same day: got %q, want %q", got, want)
	}
	got = fmtWindow(tspb(start), tspb(start.Add(24*time.Hour)))
	if want := "2026-03-02 09:00 至 2026-03-03 09:00（北京时间）"; got != want {
		t.Errorf("two days: got %q, want %q", got, want)
	}
}
