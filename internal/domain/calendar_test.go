package domain

import (
	"testing"
	"time"
)

func TestWorkday_WeekendsAndFixedHolidays(t *testing.T) {
	for day, want := range map[string]bool{
		"2027-01-01": false, // 元旦, a Friday
		"2027-01-04": true,  // Monday
		"2026-12-05": false, // Saturday
		"2027-05-03": true,  // Monday after 劳动节's two days
		"2027-05-01": false, // 劳动节 (Saturday besides)
		"2026-10-02": false, // 国庆节, a Friday
		"2026-10-05": true,  // Monday: 国庆节's 调休 is the notice's, not the law's
	} {
		d, err := time.ParseInLocation("2006-01-02", day, Shanghai)
		if err != nil {
			t.Fatal(err)
		}
		if got := Workday(d.Add(10 * time.Hour)); got != want {
			t.Errorf("%s (%s): workday %v, want %v", day, d.Weekday(), got, want)
		}
	}
	// The date is Beijing's: 16:30 UTC on 31 December is 1 January.
	if Workday(time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC)) {
		t.Error("00:30 on 1 January in Beijing is 元旦")
	}
}
