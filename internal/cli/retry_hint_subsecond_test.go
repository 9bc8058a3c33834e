package cli

import (
	"strings"
	"testing"
	"time"
)

// The clock the CLI runs on (time.Now) has nanoseconds, so "now+1h" sends a
// window start with a fraction of a second. The retry hint printed after a
// lost answer must still name that instant: the server compares the
// retried window with the stored one exactly (service.sameRegistration), and
// a retry that followed a hint rounded to the second is refused as
// REQUEST_ID_REUSED ("本次的…时段与之不同，未予报备") although the first call
// registered the inspection (an agency's trial, 2026-12-06; fixed since).
func TestRetryHint_SubsecondNow_TimesReadBackAsSent(t *testing.T) {
	now := time.Date(2026, 12, 5, 21, 55, 53, 575238305, time.UTC) // as time.Now() gives it
	from, err := parseTime("now+1h", now)
	if err != nil {
		t.Fatal(err)
	}
	to := from.Add(4 * time.Hour)
	hint := retryHint("报备可能已经生效", "报备", "r-1", from, to)
	fields := strings.Fields(hint)
	flag := func(name string) string {
		for i, f := range fields[:len(fields)-1] {
			if f == name {
				return fields[i+1]
			}
		}
		t.Fatalf("hint lacks %s: %q", name, hint)
		return ""
	}
	for name, want := range map[string]time.Time{"--from": from, "--to": to} {
		got, err := parseTime(flag(name), now.Add(time.Minute))
		if err != nil || !got.Equal(want) {
			t.Errorf("%s %q reads back as %v (err %v); the lost call sent %v, so the retry is refused as REQUEST_ID_REUSED", name, flag(name), got, err, want)
		}
	}
}
