package web

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
)

var complainReturn = regexp.MustCompile(`^/complain\?inspection=[A-Z0-9-]+$`)

// After signing in, the page goes where the form's "next" says: whatever is
// sent, it is a path of this site (no scheme, no host, no "//" that a
// browser would read as another host), never an open redirect.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/V/ABCDEF", "/devices", "//evil.example/V/A", "https://evil.example", "/V/A\n", "/\\evil", "/V/a?x=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		u, err := url.Parse(got)
		// A query only for a complaint about an inspection (returnPath).
		query := strings.Contains(got, "?") && !complainReturn.MatchString(got)
		if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsAny(got, "\\\r\n#") || query {
			t.Fatalf("safeNext(%q) = %q: not a plain path of this site", next, got)
		}
	})
}

// A token typed or pasted into the sign-in form is either refused with a
// reason or a bare ruqi token of bounded length: nothing else reaches the
// API as a bearer credential (no spaces, no header injection).
func FuzzCleanToken(f *testing.F) {
	for _, s := range []string{"rq_abc", " Bearer rq_abc ", "rq_ab c", "rq_\r\nX-Evil: 1", "", "Bearer ", strings.Repeat("rq_a", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, problem := cleanToken(s)
		switch {
		case problem != "" && tok != "":
			t.Fatalf("cleanToken(%q) = %q with problem %q", s, tok, problem)
		case problem == "" && (!strings.HasPrefix(tok, "rq_") || len(tok) > maxTokenLen || strings.Trim(tok, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != ""):
			t.Fatalf("cleanToken(%q) accepted %q", s, tok)
		}
	})
}

// The dashboard's filter comes from the query string: whatever it holds,
// parseFilter answers a filter or problems in Chinese, and a filter it
// accepts has only well-formed fields.
func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{"from=2026-01&to=2026-12&group_by=GROUP_BY_ENTERPRISE&top=20", "region=510104&agency=AG-01", "top=0", "top=501", "from=2026-13", "lead_status=LEAD_STATUS_CHECKING", "%zz", "region=5101040"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		flt, problems := parseFilter(q)
		if len(problems) > 0 {
			return
		}
		if flt.From != "" && !monthRE.MatchString(flt.From) || flt.To != "" && !monthRE.MatchString(flt.To) ||
			flt.Region != "" && domain.ValidateRegion(flt.Region) != nil || flt.Agency != "" && domain.ValidateID("", flt.Agency) != nil ||
			flt.Top < 0 || flt.Top > report.MaxTop || flt.LeadPage < 0 {
			t.Fatalf("parseFilter(%q) accepted %+v", raw, flt)
		}
	})
}

// The enterprise's own pages are returned to after sign-in: /history and
// /upcoming returned to the home page (a trial of sign-in, 2026-12-07).
// Nothing else is.
func TestSafeNext_EnterprisesPages(t *testing.T) {
	for _, next := range []string{"/history", "/upcoming", "/leads", "/devices", "/refuse", "/complain", "/complain?inspection=INS-20261208-VEP6FEDO", "/V/ABC234"} {
		if got := safeNext(next); got != next {
			t.Errorf("safeNext(%q) = %q", next, got)
		}
	}
	for _, next := range []string{"/history/../x", "//evil.example/history", "/historyx", "https://evil.example/", "/complain?inspection=x&next=//evil", "/history?inspection=INS-1"} {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", next, got)
		}
	}
}

// The complaint form's 发生时间 is read as the picker writes it (minutes,
// or seconds), in Beijing time, or refused: anything else typed or sent
// reaches the service as no time at all, never as a time it did not say.
// Whether the time may be recorded is the service's to say.
func FuzzParseOccurred(f *testing.F) {
	for _, s := range []string{"", "2026-03-01T09:30", "2026-03-01T09:30:15", "2026-03-01 09:30", "昨天下午", "2026-13-01T25:61", "2026-03-01T09:30Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ts, ok := parseOccurred(v)
		switch {
		case !ok || v == "":
			if ts != nil {
				t.Fatalf("parseOccurred(%q) = %v, %v: a time for a value not read", v, ts, ok)
			}
		case ts == nil || !ts.IsValid():
			t.Fatalf("parseOccurred(%q) = %v: read, but no valid time", v, ts)
		default:
			// The date and the hour as typed, in Beijing time (a
			// minute moved only in the clock changes of 1986–1991).
			if got := ts.AsTime().In(domain.Shanghai).Format("2006-01-02"); !strings.HasPrefix(v, got) {
				t.Fatalf("parseOccurred(%q) = %s: another day than typed", v, ts.AsTime().In(domain.Shanghai))
			}
		}
	})
}
