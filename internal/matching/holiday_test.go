package matching

import (
	"testing"
	"time"
)

// Found by a trial of the calendar (2026-12-06).
//
// A 拼团 proposal run on the afternoon of 31 December for January's plans
// proposes the first working day: not 1 January 2027, a Friday but 元旦, a
// statutory public holiday (全国年节及纪念日放假办法), when the agencies'
// officers are off duty. Monday the 4th is the first working day.
func TestMatch_CommonWindow_NotOnNewYearsDay(t *testing.T) {
	a := plan("P-A", "AG-01", routine, 1, "E1")
	b := plan("P-B", "AG-02", routine, 1, "E1")
	for _, c := range []*Coverage{&a, &b} {
		c.Start, c.End = jan1, jan1.AddDate(0, 1, 0)
	}
	res := Match(Input{Plans: []Coverage{a, b}, NotBefore: jan1.Add(-10 * time.Hour)})
	if len(res.Proposals) != 1 {
		t.Fatalf("%+v", res)
	}
	if got := res.Proposals[0].WindowStart; got.Month() == time.January && got.Day() == 1 {
		t.Fatalf("proposed joint visit on %s (元旦, a public holiday), want Monday 2027-01-04", got.Format("2006-01-02 Mon 15:04"))
	}
}
