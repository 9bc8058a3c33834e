package sim

import (
	"context"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// rateWaiting is a connection that waits and calls again when the server
// refuses a call for its principal's rate (RATE_LIMITED, -principal-rates):
// a simulation with few officers calls faster than any person, and such a
// refusal is the server's pacing, not a frequency cap (无事不扰) or an
// error to count. Each wait is counted (Summary.RateLimitedWaits).
type rateWaiting struct {
	grpc.ClientConnInterface
	waits atomic.Int64
}

// maxRateWaits bounds the waits of one call; the call's own deadline
// bounds their time.
const maxRateWaits = 1000

func (c *rateWaiting) Invoke(ctx context.Context, method string, args, reply any, opts ...grpc.CallOption) error {
	for i := 0; ; i++ {
		err := c.ClientConnInterface.Invoke(ctx, method, args, reply, opts...)
		wait, limited := rateLimited(err)
		if !limited || i == maxRateWaits {
			return err
		}
		c.waits.Add(1)
		// A little more than asked, at random, so that callers of one
		// principal held back together do not all come back together.
		t := time.NewTimer(wait + rand.N(wait/2+time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
	}
}

// rateLimited says whether err is a refusal for the caller's rate, and how
// long the server said to wait.
func rateLimited(err error) (time.Duration, bool) {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.ResourceExhausted {
		return 0, false
	}
	limited, wait := false, time.Second
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			limited = d.GetReason() == "RATE_LIMITED"
		case *errdetails.RetryInfo:
			wait = d.GetRetryDelay().AsDuration()
		}
	}
	return max(wait, time.Millisecond), limited
}
