package serve

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/ratelimit"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// failingLimiter fails every call and counts them.
type failingLimiter struct{ calls int }

func (f *failingLimiter) Take(context.Context, string, ratelimit.Rate, time.Time) (time.Duration, error) {
	f.calls++
	return 0, errors.New("redis: i/o timeout")
}

// After the limiter fails, the calls of the next second go through
// unchecked without asking it again: a Redis that hangs must not hold every
// call for the check's timeout.
func TestPrincipalRates_LimiterDown_CallsGoOnWithoutWaitingForIt(t *testing.T) {
	lim := &failingLimiter{}
	r := &principalRates{lim: lim, policy: ratelimit.DefaultPolicy(), now: time.Now}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "915101070AL6JK1YWK"})
	for i := 0; i < 5; i++ {
		if err := r.check(ctx, ruqiv1.EnterpriseService_ScanCode_FullMethodName); err != nil {
			t.Fatalf("call %d with the limiter down: %v", i+1, err)
		}
	}
	if lim.calls != 1 || r.unchecked.Load() != 5 {
		t.Fatalf("limiter asked %d times, %d calls unchecked; want 1 and 5", lim.calls, r.unchecked.Load())
	}
	r.skipUntil.Store(0) // the second has passed
	_ = r.check(ctx, ruqiv1.EnterpriseService_ScanCode_FullMethodName)
	if lim.calls != 2 {
		t.Fatalf("after the pause the limiter was asked %d times in all, want 2", lim.calls)
	}
}

// ctxLimiter fails as a limiter on Redis does when the caller's context is
// done, and counts its calls.
type ctxLimiter struct{ calls int }

func (c *ctxLimiter) Take(ctx context.Context, _ string, _ ratelimit.Rate, _ time.Time) (time.Duration, error) {
	c.calls++
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	return 0, nil
}

// A call whose own context is done is refused with its context's status,
// and does not switch the limit off for everyone (as a limiter failure
// does): one caller sending a deadline already past each second would
// otherwise lift every principal's limit. (Found by a read-only review,
// 2026-12-03.)
func TestPrincipalRates_CallersOwnDeadline_DoesNotLiftTheLimit(t *testing.T) {
	lim := &ctxLimiter{}
	r := &principalRates{lim: lim, policy: ratelimit.DefaultPolicy(), now: time.Now}
	ctx := auth.WithPrincipal(context.Background(), auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: "915101070AL6JK1YWK"})
	done, cancel := context.WithCancel(ctx)
	cancel()
	if err := r.check(done, ruqiv1.EnterpriseService_ScanCode_FullMethodName); status.Code(err) != codes.Canceled {
		t.Fatalf("a call with its context done: %v, want CANCELLED", err)
	}
	if r.skipUntil.Load() != 0 || r.unchecked.Load() != 0 {
		t.Fatalf("the caller's own cancellation switched the limit off (skip until %d, %d unchecked)", r.skipUntil.Load(), r.unchecked.Load())
	}
	_ = r.check(ctx, ruqiv1.EnterpriseService_ScanCode_FullMethodName)
	if lim.calls != 2 {
		t.Fatalf("the next call was not checked: limiter asked %d times, want 2", lim.calls)
	}
}

// Whoever holds another credential of the principal (a copy of the
// session's cookie, a lost front-desk phone) spends the principal's
// allowance by calling in a loop. The sign-out, and the listing and
// unbinding of devices, that would end that credential go on all the same,
// charged to the calling token's own allowance; other calls are refused,
// and so are these once the token's own allowance is spent. They were
// refused RATE_LIMITED for as long as the other credential kept calling (a
// review of the sessions, 2026-12-06).
func TestPrincipalRates_AnotherCredentialSpendingTheAllowance_DoesNotStopSignOut(t *testing.T) {
	pol := ratelimit.Policy{ruqiv1.Role_ROLE_ENTERPRISE: ratelimit.PerMinute(1, 2)}
	r := &principalRates{lim: ratelimit.NewLocal(), policy: pol, now: time.Now}
	const uscc = "915101070AL6JK1YWK"
	as := func(tok string) context.Context {
		return auth.WithPrincipal(context.Background(), auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, TokenID: tok})
	}
	thief, owner := as("tok-thief"), as("tok-owner")
	const scan = ruqiv1.EnterpriseService_ScanCode_FullMethodName
	for i := 0; i < 2; i++ {
		if err := r.check(thief, scan); err != nil {
			t.Fatalf("call %d within the burst: %v", i+1, err)
		}
	}
	if err := r.check(owner, scan); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a scan past the principal's allowance: %v, want RESOURCE_EXHAUSTED", err)
	}
	for _, m := range []string{ruqiv1.SessionService_ListDevices_FullMethodName, ruqiv1.SessionService_RevokeDevice_FullMethodName} {
		if err := r.check(owner, m); err != nil {
			t.Fatalf("%s past the allowance the thief spent: %v", m, err)
		}
	}
	// The owner's own allowance (a burst of 2) is spent now: its own calls
	// are bounded too.
	if err := r.check(owner, ruqiv1.SessionService_SignOut_FullMethodName); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("a third call of the owner's own past its own burst: %v, want RESOURCE_EXHAUSTED", err)
	}
	if err := r.check(as("tok-other"), ruqiv1.SessionService_SignOut_FullMethodName); err != nil {
		t.Fatalf("another session's sign-out past the principal's allowance: %v", err)
	}
}

// A token's own allowance for ListDevices and RevokeDevice is no way past
// the principal's: StartSession makes a new session token for one call of
// the principal's allowance, and each had an allowance of its own for
// these calls, at the principal's rate. An enterprise that spent its
// allowance on sessions listed its devices (a read of all its tokens, as
// many as the sessions it made) and revoked unknown ids (a write
// transaction each) at the principal's rate once per session: 2 sessions
// gave 4 calls past a burst of 2, 100 sessions 200. Past the principal's
// allowance they are bounded by one more allowance of the principal's, and
// a front-desk phone, which the service refuses them, spends none of it.
func TestPrincipalRates_SessionsMadeForTheirAllowance_DoNotMultiplyIt(t *testing.T) {
	pol := ratelimit.Policy{ruqiv1.Role_ROLE_ENTERPRISE: ratelimit.PerMinute(1, 2)}
	r := &principalRates{lim: ratelimit.NewLocal(), policy: pol, now: time.Now}
	const uscc = "915101070AL6JK1YWK"
	as := func(tok, kind string) context.Context {
		return auth.WithPrincipal(context.Background(), auth.Principal{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, TokenID: tok, Kind: kind})
	}
	for i := 0; i < 2; i++ { // the principal's allowance, spent making two sessions
		if err := r.check(as("tok-account", ""), ruqiv1.SessionService_StartSession_FullMethodName); err != nil {
			t.Fatal(err)
		}
	}
	// A lost front-desk phone calling in a loop spends nothing of what the
	// owner needs to unbind it.
	for i := 0; i < 5; i++ {
		_ = r.check(as("tok-phone", store.TokenDevice), ruqiv1.SessionService_ListDevices_FullMethodName)
	}
	passed := 0
	for _, tok := range []string{"tok-s1", "tok-s2", "tok-s3", "tok-s4"} {
		for i := 0; i < 2; i++ {
			if r.check(as(tok, store.TokenSession), ruqiv1.SessionService_ListDevices_FullMethodName) == nil {
				passed++
			}
		}
	}
	if passed != 2 {
		t.Fatalf("4 sessions listed devices %d times past the principal's spent allowance (a burst of 2), want 2", passed)
	}
	// Signing out ends the token that calls it: still the token's own.
	if err := r.check(as("tok-s5", store.TokenSession), ruqiv1.SessionService_SignOut_FullMethodName); err != nil {
		t.Fatalf("a sign-out past the principal's allowance: %v", err)
	}
}
