package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
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

// toFullWidth is what a Chinese input method in full-width mode types.
func toFullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

// A lower-case USCC, a leading space, full-width characters: the enterprise
// the officer meant, through the CLI and the API alike.
func TestRegister_TypedIdentifiers_Normalised(t *testing.T) {
	w := newWorld(t)
	for i, typed := range []string{strings.ToLower(w.f.entA), " " + w.f.entA + " ", toFullWidth(w.f.entA)} {
		args := w.registerArgs("now+"+strconv.Itoa(i*3+1)+"h", "now+"+strconv.Itoa(i*3+2)+"h")
		args[3] = typed
		if i == 2 {
			args[5] = toFullWidth(strings.ToLower(args[5])) // the items too
		}
		r := w.cli(w.officer, append([]string{"-o", "json"}, args...)...)
		if i == 0 && r.exit == 0 {
			continue // the first plan is accepted
		}
		// Later plans of the same agency for the same enterprise overlap in
		// nothing but are over the default cap, or accepted: either way the
		// enterprise and items were recognised.
		if r.exit != 0 && (strings.Contains(r.stderr, "USCC_MALFORMED") || strings.Contains(r.stderr, "UNKNOWN") || strings.Contains(r.stderr, "--enterprise")) {
			t.Errorf("%q refused as not understood:\n%s", typed, r.stderr)
		}
	}
	resp, err := ruqiv1.NewDirectoryServiceClient(w.conn(w.officer)).GetEnterprise(context.Background(), &ruqiv1.GetEnterpriseRequest{Uscc: "\u3000" + toFullWidth(strings.ToLower(w.f.entB))})
	if err != nil || resp.GetEnterprise().GetUscc() != w.f.entB {
		t.Errorf("GetEnterprise with a full-width lower-case USCC: %v, %v", resp.GetEnterprise().GetUscc(), err)
	}
}

// `ruqi version` names what the binary was built from.
func TestVersion_NamesBuild(t *testing.T) {
	s := startServer(t)
	r := s.cli("", "version")
	if r.exit != 0 || !strings.HasPrefix(r.stdout, "ruqi ") || !strings.Contains(r.stdout, "go1.") {
		t.Errorf("ruqi version: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
}
