package serve

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/ratelimit"
	ratelimitredis "github.com/ruqi/ruqi/internal/ratelimit/redis"
	"github.com/ruqi/ruqi/internal/redisconn"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// principalRates refuses a principal's calls beyond its role's rate
// (internal/ratelimit). It runs after authentication, on the principal the
// token names: calls without one (health, sign-in) are bounded by admission
// only. A limiter that cannot answer (Redis down) lets the call through and
// counts it: the limit protects the service and must not stop scans that
// need nothing else of Redis.
type principalRates struct {
	lim    ratelimit.Limiter
	policy ratelimit.Policy
	now    func() time.Time
	// refused and unchecked are counters for /metrics.
	refused, unchecked atomic.Uint64
	// down is whether the limiter's last check failed: the log says so
	// once at each change, as the coordinator's does, where it said the
	// failure once a second during an outage and never the recovery (an
	// operator's trial, 2026-12-07).
	down atomic.Bool
	// skipUntil (unix ns): after the limiter failed, calls go unchecked for
	// a second instead of each waiting for a Redis that hangs.
	skipUntil atomic.Int64
}

// skipAfterFailure is how long calls go unchecked after the limiter failed.
const skipAfterFailure = time.Second

// rateCheckTimeout bounds the limiter's answer: past it the call goes ahead.
const rateCheckTimeout = 250 * time.Millisecond

// ownCredentials are the calls with which a signed-in person ends or
// looks after their own credentials: signing out, and the enterprise
// listing and unbinding its front-desk phones. Past the principal's
// allowance they are charged to the calling token's own, at the same rate,
// instead of refused: the allowance is shared by all of the principal's
// credentials, so whoever held a copy of a session, or a lost front-desk
// phone, spent it by calling in a loop, and the sign-out and the unbinding
// that would have ended that credential were refused (RATE_LIMITED) for as
// long as it went on, the session living its 12 hours (a review of the
// sessions, 2026-12-06). One token's calls cannot spend another token's
// own allowance.
//
// The value says whether a call is also charged to the principal's one
// allowance for its credentials (credentialsKey): every call but the
// sign-out, which ends the token that makes it. A token's own allowance
// alone let StartSession, one call of the principal's, buy a whole new
// allowance of listings (a read of all the principal's tokens) and
// unbindings of unknown ids (a write transaction each): n sessions made, n
// times the principal's rate (a review, 2026-12-07). A front-desk phone,
// which the service refuses these two calls, spends nothing of it: it is
// what a lost phone would spend to keep its owner from unbinding it.
var ownCredentials = map[string]bool{
	ruqiv1.SessionService_SignOut_FullMethodName:      false,
	ruqiv1.SessionService_ListDevices_FullMethodName:  true,
	ruqiv1.SessionService_RevokeDevice_FullMethodName: true,
}

// tokenKey is the limiter's key of one token's own allowance (ownCredentials).
func tokenKey(tokenID string) string { return "token:" + tokenID }

// credentialsKey is the limiter's key of the principal's one allowance for
// looking after its credentials past its calls' (ownCredentials).
func credentialsKey(principal string) string { return "credentials:" + principal }

func (r *principalRates) check(ctx context.Context, method string) error {
	p, ok := auth.FromContext(ctx)
	if !ok {
		return nil
	}
	rate, ok := r.policy[p.Role]
	if !ok {
		return nil
	}
	if time.Now().UnixNano() < r.skipUntil.Load() {
		r.unchecked.Add(1)
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, rateCheckTimeout)
	defer cancel()
	wait, err := r.lim.Take(cctx, ratelimit.Key(p.Role, p.Subject), rate, r.now())
	if err != nil && ctx.Err() != nil {
		// The caller gave up (or sent a deadline already past): its own
		// failure, not the limiter's. It must not switch the limit off for
		// everyone, as a limiter failure does.
		return status.FromContextError(ctx.Err()).Err()
	}
	if err != nil {
		r.skipUntil.Store(time.Now().Add(skipAfterFailure).UnixNano())
		r.unchecked.Add(1)
		if !r.down.Swap(true) {
			slog.WarnContext(ctx, "principal rate limiter unavailable: calls are let through unchecked", "err", err)
		}
		return nil
	}
	if r.down.Swap(false) {
		slog.InfoContext(ctx, "principal rate limiter reachable again: calls are checked")
	}
	if shared, own := ownCredentials[method]; wait > 0 && own && p.TokenID != "" && !(shared && p.Kind == store.TokenDevice) {
		// The token's own first: a call it refuses spends nothing of the
		// principal's, so that another credential of it refused in a loop
		// does not spend what this one needs.
		wait, err = r.lim.Take(cctx, tokenKey(p.TokenID), rate, r.now())
		if err == nil && wait == 0 && shared {
			wait, err = r.lim.Take(cctx, credentialsKey(ratelimit.Key(p.Role, p.Subject)), rate, r.now())
		}
		if err != nil {
			r.unchecked.Add(1) // as a failed check of the principal's: the call goes on
			return nil
		}
	}
	if wait == 0 {
		return nil
	}
	r.refused.Add(1)
	perMin := int(math.Round(float64(time.Minute) / float64(rate.Every)))
	secs := int(math.Ceil(wait.Seconds()))
	de := domain.ResourceExhaustedf("RATE_LIMITED", "调用过于频繁：此账号每分钟最多 %d 次（连续最多 %d 次），请 %d 秒后再试", perMin, rate.Burst, secs)
	de.With("retry_after_seconds", fmt.Sprint(secs))
	st, _ := status.FromError(service.Status(ctx, de))
	if withRetry, err := st.WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(wait)}); err == nil {
		st = withRetry
	}
	return st.Err()
}

// newPrincipalRates reads cfg's policy and picks the limiter: in process
// (redis nil), or on the coordinator's Redis, with its login, so that
// replicas share each principal's allowance.
func newPrincipalRates(cfg Config, redis *redisconn.Target) (*principalRates, func(), error) {
	pol, err := ratelimit.ParsePolicy(cfg.PrincipalRates)
	if err != nil {
		return nil, nil, fmt.Errorf("-principal-rates: %w", err)
	}
	r := &principalRates{policy: pol, now: time.Now}
	if redis == nil {
		r.lim = ratelimit.NewLocal()
		return r, func() {}, nil
	}
	l := ratelimitredis.Open(*redis)
	r.lim = l
	return r, func() { _ = l.Close() }, nil
}

func (r *principalRates) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := r.check(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (r *principalRates) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := r.check(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	return handler(srv, ss)
}
