package service

import (
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
)

// A key's verify_until is the next Beijing midnight after its last code's
// expiry: never before the expiry, at most a day after, and the same for
// every code that expires on one day (one write a day, not one per code).
func TestVerifyUntil_NextBeijingMidnight(t *testing.T) {
	at := func(d, h, m int) time.Time { return time.Date(2026, 12, d, h, m, 0, 0, domain.Shanghai) }
	for _, tc := range []struct{ exp, want time.Time }{
		{at(2, 9, 30), at(3, 0, 0)},
		{at(2, 23, 59), at(3, 0, 0)},
		{at(3, 0, 0), at(3, 0, 0)},
		{at(3, 0, 1), at(4, 0, 0)},
		{time.Date(2026, 12, 2, 16, 30, 0, 0, time.UTC), at(4, 0, 0)}, // 00:30 on the 3rd in Beijing
	} {
		got := verifyUntil(tc.exp)
		if !got.Equal(tc.want) || got.Before(tc.exp) || got.Sub(tc.exp) > 24*time.Hour {
			t.Errorf("verifyUntil(%s) = %s, want %s", tc.exp, got, tc.want)
		}
	}
	if a, b := verifyUntil(at(2, 9, 0)), verifyUntil(at(2, 17, 0)); !a.Equal(b) {
		t.Errorf("two codes expiring on one day: %s and %s, want one value", a, b)
	}
}
