package cli

import (
	"strings"
	"testing"
	"time"
	"unicode"
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
		"CI-0001=no-problem", "CI-0004=rectify:now+720h", "CI-0004=rectify:2027-01-01", "=", "now+9999999999h", "１２", "# c\nA\nB\n", "\ufeff91510104MA00000001\r\n91510104MA00000002\r\n", "\xb2\xe2\xca\xd4"} {
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
				if strings.ContainsAny(id, "\n\ufeff") || !utf8.ValidString(id) {
					t.Errorf("readIDList(%q) gave %q", s, id)
				}
			}
		} else if !strings.ContainsFunc(err.Error(), func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			// Said to an officer: bufio's "token too long" was (a trial
			// of bad input, 2026-12-07).
			t.Errorf("readIDList(%q): %v, not in Chinese", s, err)
		}
	})
}

// What Notepad and a GBK terminal leave in a list file, and a file that is
// no list (a trial of bad input, 2026-12-07): a byte order mark became part
// of the first USCC, a line over 1 MiB was "bufio.Scanner: token too long",
// and text not UTF-8 was sent and failed as the client's marshalling error.
func TestReadIDList_BOMLongLineNotUTF8(t *testing.T) {
	ids, err := readIDList(strings.NewReader("\ufeff91510104MA00000001\r\n91510104MA00000002\r\n"))
	if err != nil || len(ids) != 2 || ids[0] != "91510104MA00000001" {
		t.Errorf("a list with a byte order mark and CRLF: %q, %v", ids, err)
	}
	if _, err := readIDList(strings.NewReader(strings.Repeat("9", 2<<20))); err == nil || !strings.Contains(err.Error(), "超过 1 MiB") {
		t.Errorf("a line of 2 MiB: %v", err)
	}
	if _, err := readIDList(strings.NewReader("91510104MA00000001\n\xb2\xe2\xca\xd4\n")); err == nil || !strings.Contains(err.Error(), "第 2 行不是 UTF-8") {
		t.Errorf("a line not UTF-8: %v", err)
	}
}
