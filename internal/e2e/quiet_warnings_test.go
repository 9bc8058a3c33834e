package e2e

import (
	"strings"
	"testing"
)

// `officer register -q` printed the id and nothing else: a frequency
// warning (无事不扰), which the 司法局 is told of, never reached the officer
// (a trial of agencies' planners, 2026-12-07). It goes to stderr; stdout
// holds the id alone, for INS=$(…).
func TestRegisterQuiet_WarningsOnStderr(t *testing.T) {
	w := worldWithPolicy(t, `{"default": {"agency_per_year": 5, "proactive_per_year_by_grade": {"A": 0},
		"warn_visits_per_day": 1, "warn_visits_per_week": 1, "warn_visits_per_month": 1}}`)
	// Two visits an hour apart: over the line of one a day, or, should
	// midnight fall between them, of one a week or a month.
	w.mustCLI(w.officer, append(w.registerArgs("now+1h", "now+2h"), "-q")...)
	r := w.cli(w.officer, append(w.registerArgs("now+2h", "now+3h"), "-q")...)
	if r.exit != 0 || !strings.HasPrefix(r.stdout, "INS-") || strings.Count(r.stdout, "\n") != 1 {
		t.Fatalf("the second registration -q: exit %d, stdout %q (want the id alone), stderr %q", r.exit, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "⚠") {
		t.Errorf("a second visit over the warning line of 1, said no warning: stderr %q", r.stderr)
	}
}
