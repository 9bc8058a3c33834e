package service

import (
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/coord"
)

// A cap of none, a grade A enterprise's proactive inspections, read
// "上限为0次（2026年），本次将是第1次" (an officer's trial of the CLI,
// 2026-12-07): it says that none are made, and how a case is registered.
// Another cap still says which time this would be.
func TestBreachMessage_CapOfNone(t *testing.T) {
	got := breachMessage(coord.Breach{Rule: "grade_A_per_year", Limit: 0, Count: 1, Period: "2026年"}, true)
	if !strings.Contains(got, "上限为0次（2026年），原则上不主动检查，不予报备") || strings.Contains(got, "本次将是第") {
		t.Errorf("a cap of none: %q", got)
	}
	if got := breachMessage(coord.Breach{Rule: "visits_per_year", Limit: 2, Count: 3, Period: "2026年"}, true); !strings.Contains(got, "本次将是第3次") {
		t.Errorf("a cap of two: %q", got)
	}
}
