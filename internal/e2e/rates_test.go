package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// scanOnce scans text as token and returns the call's error.
func scanOnce(s *server, token, text string) error {
	_, err := ruqiv1.NewEnterpriseServiceClient(s.conn(token)).ScanCode(context.Background(), &ruqiv1.ScanCodeRequest{Code: text})
	return err
}

// An enterprise over its rate is refused with RESOURCE_EXHAUSTED, the
// reason, when to try again, and nothing written; its other tokens share
// the allowance (it is the enterprise's, not the token's); another
// enterprise and the administrator go on.
func TestRates_EnterpriseOverItsRate_RefusedNothingWritten(t *testing.T) {
	// One call each 10 s once the burst is spent: wide enough that a
	// loaded machine's slow calls do not earn the enterprise a call between
	// two of them (at 60/min a run beside another suite's did, 2026-12-06).
	w := newWorld(t, "-principal-rates", "enterprise=6/min:5")
	ins := w.register("now+1h", "now+3h")
	code := ins.GetCodes()[0].GetToken()
	for i := 0; i < 5; i++ {
		if err := scanOnce(w.server, w.entA, code); err != nil {
			t.Fatalf("scan %d of a burst of 5: %v", i+1, err)
		}
	}
	before := w.eventCount()
	err := scanOnce(w.server, w.entA, code)
	wantStatus(t, err, codes.ResourceExhausted, "RATE_LIMITED")
	st := status.Convert(err)
	if !strings.Contains(st.Message(), "每分钟最多 6 次") || !strings.Contains(st.Message(), "连续最多 5 次") {
		t.Fatalf("message %q does not say the rate", st.Message())
	}
	var retry *errdetails.RetryInfo
	for _, d := range st.Details() {
		if r, ok := d.(*errdetails.RetryInfo); ok {
			retry = r
		}
	}
	if retry == nil || retry.GetRetryDelay().AsDuration() <= 0 || retry.GetRetryDelay().AsDuration() > 10*time.Second {
		t.Fatalf("retry info %v, want a delay within the 10 s one call takes", retry)
	}
	if after := w.eventCount(); after != before {
		t.Fatalf("a refused scan wrote %d events", after-before)
	}
	// Another token of the same enterprise spends the same allowance.
	second := w.issueToken("enterprise", w.f.entA)
	wantStatus(t, scanOnce(w.server, second, code), codes.ResourceExhausted, "RATE_LIMITED")
	// The CLI says so in words.
	r := w.cli(w.entA, "company", "scan", code)
	if r.exit == 0 || !strings.Contains(r.stderr, "调用过于频繁") {
		t.Fatalf("CLI over the rate: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// Another enterprise is not held back; its scan of A's code is a
	// verdict (the code is not for it), not a refusal.
	if err := scanOnce(w.server, w.entB, code); err != nil {
		t.Fatalf("enterprise B after A's refusal: %v", err)
	}
	// Administrators are not limited.
	adm := ruqiv1.NewAdminServiceClient(w.conn(w.admin))
	for i := 0; i < 20; i++ {
		if _, err := adm.VerifyEventLog(context.Background(), &ruqiv1.VerifyEventLogRequest{}); err != nil {
			t.Fatalf("administrator's call %d: %v", i+1, err)
		}
	}
	// Ten seconds later the enterprise may scan once more.
	time.Sleep(10100 * time.Millisecond)
	if err := scanOnce(w.server, w.entA, code); err != nil {
		t.Fatalf("a second later: %v", err)
	}
	wantStatus(t, scanOnce(w.server, w.entA, code), codes.ResourceExhausted, "RATE_LIMITED")
}

// Two replicas coordinating through one Redis count an enterprise's calls
// together: what it spends at one is gone at the other.
func TestRates_SharedThroughRedis(t *testing.T) {
	rs := redistest.Start(t)
	url := pgtest.Start(t).NewDatabase(t)
	a := newWorld(t, "-store", url, "-redis-addr", rs.Addr(), "-principal-rates", "enterprise=6/min:4")
	b := a.replica(t, "-store", url, "-redis-addr", rs.Addr(), "-principal-rates", "enterprise=6/min:4")
	for i, w := range []*world{a, b, a, b} {
		if err := scanOnce(w.server, w.entA, "not a code"); status.Code(err) == codes.ResourceExhausted {
			t.Fatalf("call %d of a burst of 4: %v", i+1, err)
		}
	}
	wantStatus(t, scanOnce(a.server, a.entA, "not a code"), codes.ResourceExhausted, "RATE_LIMITED")
	wantStatus(t, scanOnce(b.server, b.entA, "not a code"), codes.ResourceExhausted, "RATE_LIMITED")
	// Redis gone: the limit cannot be checked, and calls go on.
	rs.Kill()
	if err := scanOnce(a.server, a.entB, "not a code"); status.Code(err) == codes.ResourceExhausted || status.Code(err) == codes.Unavailable {
		t.Fatalf("a scan with Redis down: %v, want it let through", err)
	}
}

// A policy the server cannot read stops it at start, naming the flag.
func TestRates_BadPolicy_RefusesToStart(t *testing.T) {
	for _, bad := range []string{"enterprise=fast", "guest=10/min:5", "officer=0/min:5", "officer=10/min"} {
		dir := t.TempDir()
		t.Setenv("RUQI_PRINCIPAL_RATES", bad)
		log := runServerExpectingFailure(t, dir)
		if !strings.Contains(log, "-principal-rates") {
			t.Fatalf("policy %q: the server's message does not name the flag:\n%s", bad, log)
		}
	}
}
