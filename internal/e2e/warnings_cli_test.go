package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
)

// `admin events list --warnings --latest` names the enterprise of each
// warning (the dashboard counted them and named none), and --after goes on
// from where such a listing stopped, as its hint says: --latest with
// --after was refused (a review, 2026-12-06).
func TestCLI_EventsList_WarningsOfTheLatestEvents(t *testing.T) {
	w := newWorld(t)
	at := func(d time.Duration) string { return time.Now().Add(d).In(domain.Shanghai).Format("2006-01-02 15:04") }
	w.register(at(time.Hour), at(3*time.Hour))
	// The same agency again, overlapping: refused as a duplicate.
	r := w.cli(w.officer, "officer", "register", "--enterprise", w.f.entA, "--items", strings.Join(w.f.items, ","),
		"--officers", strings.Join(w.f.officers[:2], ","), "--from", at(2*time.Hour), "--to", at(4*time.Hour),
		"--type", "routine", "--reason", "再次日常检查")
	if r.exit == 0 {
		t.Fatalf("an overlapping plan of the same agency was registered:\n%s", r.stdout)
	}
	out := w.mustCLI(w.admin, "admin", "events", "list", "--warnings", "--latest")
	if !strings.Contains(out, w.f.entA) || !strings.Contains(out, "重复报备") || strings.Contains(out, "签发") {
		t.Fatalf("the latest warnings do not name the duplicate's enterprise, or list other events:\n%s", out)
	}
	if r := w.cli(w.admin, "admin", "events", "list", "--warnings", "--latest", "--after", "1"); r.exit != 0 || !strings.Contains(r.stdout, w.f.entA) {
		t.Fatalf("--latest --after 1: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
}
