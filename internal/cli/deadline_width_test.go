package cli

import (
	"testing"
	"time"
)

// A rectification deadline typed in full-width characters (a Chinese input
// method's full-width mode) is read as its half-width form, as --from and
// plan dates are: "rectify:２０２６－１２－３１" is the end of 31 December.
// Found by a trial of the calendar (2026-12-06).
func TestParseDeadline_FullWidthDate(t *testing.T) {
	got, err := parseDeadline("２０２６－１２－３１", testNow)
	if err != nil {
		t.Fatalf("full-width deadline: %v", err)
	}
	if want := time.Date(2026, 12, 31, 15, 59, 59, 0, time.UTC); !got.Equal(want) {
		t.Errorf("deadline %v, want %v", got, want)
	}
	if _, err := parseItemResult("CI-0001=rectify:２０２６－１２－３１", testNow); err != nil {
		t.Errorf("--item CI-0001=rectify:２０２６－１２－３１: %v", err)
	}
}
