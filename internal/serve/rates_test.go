package serve

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/ratelimit"
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
		if err := r.check(ctx); err != nil {
			t.Fatalf("call %d with the limiter down: %v", i+1, err)
		}
	}
	if lim.calls != 1 || r.unchecked.Load() != 5 {
		t.Fatalf("limiter asked %d times, %d calls unchecked; want 1 and 5", lim.calls, r.unchecked.Load())
	}
	r.skipUntil.Store(0) // the second has passed
	_ = r.check(ctx)
	if lim.calls != 2 {
		t.Fatalf("after the pause the limiter was asked %d times in all, want 2", lim.calls)
	}
}
