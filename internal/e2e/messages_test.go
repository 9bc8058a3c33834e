package e2e

import (
	"strings"
	"testing"
)

// registerArgs are the flags of an ordinary registration of enterprise A.
func (w *world) registerArgs(from, to string) []string {
	return []string{"officer", "register", "--enterprise", w.f.entA,
		"--items", strings.Join(w.f.items, ","), "--officers", strings.Join(w.f.officers[:2], ","),
		"--from", from, "--to", to, "--type", "routine", "--reason", "日常监督检查"}
}

// A window already over when it is registered (its start within the clock
// leeway) is refused, not taken as an ordinary plan; the CLI points to
// --late-reason, as it does for a start long past.
func TestRegister_WindowAlreadyEnded_RefusedWithLateReasonHint(t *testing.T) {
	w := newWorld(t)
	before := w.eventCount()
	for _, c := range []struct{ from, to, reason string }{
		{"now-1m", "now-10s", "WINDOW_ENDED"},
		{"now-3h", "now+1h", "WINDOW_IN_PAST"},
	} {
		r := w.cli(w.officer, w.registerArgs(c.from, c.to)...)
		if r.exit == 0 || !strings.Contains(r.stderr, c.reason) || !strings.Contains(r.stderr, "--late-reason") {
			t.Errorf("--from %s --to %s: exit %d, want a refusal %s pointing to --late-reason:\n%s%s", c.from, c.to, r.exit, c.reason, r.stdout, r.stderr)
		}
	}
	if n := w.eventCount() - before; n != 0 {
		t.Errorf("refused registrations wrote %d events", n)
	}
}

// An administrator listing items without saying whose is told which flag.
func TestOfficerItems_NoAgency_NamesTheFlag(t *testing.T) {
	w := newWorld(t)
	r := w.cli(w.admin, "officer", "items")
	if r.exit == 0 || !strings.Contains(r.stderr, "--agency") {
		t.Errorf("exit %d, want a refusal naming --agency:\n%s", r.exit, r.stderr)
	}
}
