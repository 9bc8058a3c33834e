package domain

import (
	"testing"
	"time"
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
