package sim

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Against a server whose officers may call only a little at once, the
// simulation waits out each RATE_LIMITED refusal and calls again: the
// summary's caps are the 无事不扰 caps it expects, none of them the
// server's pacing, and no call is lost. (A read-only review found the
// refusals counted as caps, 2026-12-03.)
func TestSimulate_WaitsOutThePrincipalRate(t *testing.T) {
	// A burst of one: the 16 workers' first calls, four officers' at once,
	// are refused for all but one call each, however slow the machine. A
	// call comes through a twentieth of a second later: at 300 a minute a
	// registration held back behind its officer's other calls on a loaded
	// machine (a CI run, 259 waits) outlived its simulated window of 2 s
	// and was refused as ended, an error of the test's pacing, not of the
	// simulation's.
	t.Setenv("RUQI_PRINCIPAL_RATES", "officer=1200/min:1")
	s := startServer(t)
	cfg := DefaultConfig()
	cfg.Officers, cfg.Agencies, cfg.Inspections, cfg.Concurrency = 4, 2, 120, 16
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	sum, err := Run(ctx, s.conn(t), s.admin, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if sum.RateLimitedWaits == 0 {
		t.Fatalf("no call was held back for its rate: the test does not test")
	}
	if n := sum.CapsByRule["unknown"]; n > 0 || sum.CapsRefused != sum.Expected.Capped {
		t.Errorf("caps refused %d (expected %d), %d without a cap rule", sum.CapsRefused, sum.Expected.Capped, n)
	}
	if len(sum.Errors) > 0 {
		t.Errorf("errors: %v", sum.ErrorDetail)
	}
	t.Logf("%d calls waited for their rate", sum.RateLimitedWaits)
}

// A load report whose calls the server held back for their rate says so,
// and how to start a server for a load test; one without says nothing.
func TestLoadReport_SaysWhenTheRateLimitWasMeasured(t *testing.T) {
	for _, waits := range []int64{0, 3} {
		var b strings.Builder
		if err := (&LoadReport{Op: OpScan, Clients: 1, Outcomes: map[string]uint64{"VALID": 1}, RateLimitedWaits: waits}).WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(b.String(), "RUQI_PRINCIPAL_RATES=off"); got != (waits > 0) {
			t.Errorf("%d waits: the note is there: %t\n%s", waits, got, b.String())
		}
	}
}
