package cli

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"
)

// Added by a trial of bad input (2026-12-06): the CLI's parsers of what people type in flags and
// files had no fuzz target: times (--from, --to, plan periods), item
// results (--item CI-0001=rectify:now+720h) and id list files (draws).
// None may panic; an error is said in Chinese; a time it accepts is one a
// Timestamp can carry.
func FuzzFlagParsers(f *testing.F) {
	for _, s := range []string{"now", "now+4h", "now-30m", "2026-12-01", "2026-12-01 09:00", "2026-12-01T09:00:00+08:00",
		"CI-0001=no-problem", "CI-0004=rectify:now+720h", "CI-0004=rectify:2027-01-01", "=", "now+9999999999h", "１２", "# c\nA\nB\n"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		for name, parse := range map[string]func(string, time.Time) (time.Time, error){"parseTime": parseTime, "parsePlanTime": parsePlanTime, "parseDeadline": parseDeadline} {
			tm, err := parse(s, now)
			if err != nil {
				if !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
					t.Errorf("%s(%q): error not UTF-8: %q", name, s, err)
				}
				continue
			}
			if cerr := timestamppb.New(tm).CheckValid(); cerr != nil {
				t.Errorf("%s(%q) = %v, which no Timestamp can carry: %v", name, s, tm, cerr)
			}
		}
		if r, err := parseItemResult(s, now); err == nil && r.GetRectificationDeadline() != nil {
			if cerr := r.GetRectificationDeadline().CheckValid(); cerr != nil {
				t.Errorf("parseItemResult(%q): deadline %v: %v", s, r.GetRectificationDeadline(), cerr)
			}
		}
		if ids, err := readIDList(strings.NewReader(s)); err == nil {
			for _, id := range ids {
				if strings.ContainsAny(id, "\n") {
					t.Errorf("readIDList(%q) gave %q", s, id)
				}
			}
		}
	})
}
