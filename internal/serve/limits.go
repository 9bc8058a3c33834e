package serve

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// MaxMessageBytes is the largest message any method receives. gRPC checks a
// message's length prefix against it before reading the body, and before the
// caller's token is looked at, so an unauthenticated client can make the
// server hold at most this much per stream. A directory larger than this goes
// through DirectoryService.ImportDirectoryStream, in parts, after the caller
// is known to be an administrator.
const MaxMessageBytes = 1 << 20

// Limits bound what callers can make the server hold; docs/SECURITY.md lists
// them and what happens past each.
type Limits struct {
	// MaxInFlight is the number of calls handled at once; a call that finds
	// them all taken waits up to QueueWait, then is refused with
	// RESOURCE_EXHAUSTED, so that latency stays bounded under overload.
	MaxInFlight int
	QueueWait   time.Duration
	// MaxStreamsPerConn bounds concurrent calls on one connection.
	MaxStreamsPerConn uint32
	// IdleTimeout closes a connection with no call for this long.
	IdleTimeout time.Duration
}

// Check refuses limits that would quietly mean something else: no call
// handled at once (it was read as 1), a negative wait or idle time. A
// QueueWait of 0 sheds a call that finds no free slot at once; an
// IdleTimeout of 0 never closes an idle connection.
func (l Limits) Check() error {
	switch {
	case l.MaxInFlight < 1:
		return fmt.Errorf("-max-in-flight %d: at least one call must be handled at once", l.MaxInFlight)
	case l.QueueWait < 0:
		return fmt.Errorf("-queue-wait %v: a wait cannot be negative (0 sheds at once)", l.QueueWait)
	case l.IdleTimeout < 0:
		return fmt.Errorf("-idle-timeout %v: cannot be negative (0 never closes an idle connection)", l.IdleTimeout)
	}
	return nil
}

// httpIdleTimeout is -idle-timeout as net/http's IdleTimeout: there 0 means
// the ReadTimeout (30 s), so -idle-timeout 0, "never", closed idle HTTP
// connections after 30 s; a negative value is no timeout.
func httpIdleTimeout(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// DefaultLimits suit one server on a few cores.
func DefaultLimits() Limits {
	return Limits{MaxInFlight: 512, QueueWait: 250 * time.Millisecond, MaxStreamsPerConn: 100, IdleTimeout: 5 * time.Minute}
}

// grpcLimitOptions are the server options that enforce l.
func grpcLimitOptions(l Limits) []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxMessageBytes),
		grpc.MaxConcurrentStreams(l.MaxStreamsPerConn),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			MaxConnectionIdle: l.IdleTimeout,
			// Probe a silent peer every 2 minutes; drop it if it does not answer.
			Time:    2 * time.Minute,
			Timeout: 20 * time.Second,
		}),
		// A client that pings more often than every 30 s is sent GOAWAY
		// (too_many_pings) instead of keeping the server busy.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 30 * time.Second, PermitWithoutStream: false}),
		// A pool of goroutines serves the calls instead of a new one per
		// call: a new goroutine's stack grows (copied, 2 KB → 32 KB) on the
		// way down to Ed25519 and bbolt, which cost 8–9% of a scan's CPU in
		// the profile (docs/BENCHMARKS.md, "Scanning"). Past the pool, gRPC
		// starts goroutines as before, so this bounds nothing.
		grpc.NumStreamWorkers(streamWorkers),
	}
}

// streamWorkers is the pool's size: enough for the calls that wait on one
// group commit at a time under load (32 clients in the scan benchmark).
const streamWorkers = 64

// admission sheds load: at most max calls run at once, a call waits at most
// wait for a slot. Health checks are never shed, so that an overloaded
// server still answers its probes.
type admission struct {
	slots chan struct{}
	wait  time.Duration
}

func newAdmission(max int, wait time.Duration) *admission {
	if max <= 0 {
		max = 1
	}
	return &admission{slots: make(chan struct{}, max), wait: wait}
}

var errOverloaded = status.Error(codes.ResourceExhausted, "服务器繁忙：同时处理的请求已达上限，请稍后重试")

func (a *admission) acquire(ctx context.Context, method string) (release func(), err error) {
	if strings.HasPrefix(method, "/grpc.health.v1.Health/") {
		return func() {}, nil
	}
	select {
	case a.slots <- struct{}{}:
		return func() { <-a.slots }, nil
	default:
	}
	if a.wait <= 0 {
		return nil, errOverloaded
	}
	t := time.NewTimer(a.wait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
		return func() { <-a.slots }, nil
	case <-t.C:
		return nil, errOverloaded
	case <-ctx.Done():
		return nil, status.FromContextError(ctx.Err()).Err()
	}
}

func (a *admission) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	release, err := a.acquire(ctx, info.FullMethod)
	if err != nil {
		return nil, err
	}
	defer release()
	return handler(ctx, req)
}

func (a *admission) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	release, err := a.acquire(ss.Context(), info.FullMethod)
	if err != nil {
		return err
	}
	defer release()
	return handler(srv, ss)
}
