package serve

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
)

// reconnectingRedis keeps registration prompt after a Redis outage. The
// Redis client stops dialling after repeated failures and probes only once a
// second, so registrations kept failing for up to a second after Redis was
// back. On a failure that says Redis is unreachable this replaces the client
// with a fresh one (at most every reopenEvery), whose first call dials at
// once. The coordinator holds nothing that a fresh client must keep: what
// Redis knows is in Redis, and an enterprise it lost is seeded from the store.
type reconnectingRedis struct {
	open func() *coordredis.Coordinator

	mu       sync.Mutex
	cur      *coordredis.Coordinator
	reopened time.Time
	closed   bool

	// another is the coord.ErrAnotherStore of the last report of the
	// store's head (nil once a report finds Redis following this store's
	// log): meanwhile no call changes an enterprise's state there, which
	// would be the other store's enterprise.
	another atomic.Pointer[error]

	// unreachable is the error of the last call that could not reach
	// Redis, nil once a call reaches it again (the store's head is
	// reported every followStoreEvery, so at most that late): /healthz and
	// /metrics say so, where during an outage only the count of
	// UNAVAILABLE registrations moved.
	unreachable atomic.Pointer[error]
}

const (
	reopenEvery = 50 * time.Millisecond
	// closeOldAfter lets calls in flight on a replaced client finish.
	closeOldAfter = 10 * time.Second
)

func newReconnectingRedis(open func() *coordredis.Coordinator) *reconnectingRedis {
	return &reconnectingRedis{open: open, cur: open()}
}

func (r *reconnectingRedis) client() *coordredis.Coordinator {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cur
}

// after notes whether a call through c reached Redis, and replaces c when
// err says Redis could not be reached through it.
func (r *reconnectingRedis) after(c *coordredis.Coordinator, err error) {
	switch {
	case errors.Is(err, coord.ErrUnavailable):
		if r.unreachable.Swap(&err) == nil {
			if m := err.Error(); strings.Contains(m, "NOAUTH") || strings.Contains(m, "WRONGPASS") {
				// Reached, and refused: "not reachable" before the start
				// stopped on the refused login read as two stories (a
				// trial of the replicas, 2026-12-07).
				slog.Warn("Redis coordinator refuses this server's login (NOAUTH: a password is required; WRONGPASS: it or the user is wrong): registration answers UNAVAILABLE until it is mended; scans, results and reads go on", "err", err)
			} else {
				slog.Warn("Redis coordinator not reachable: registration answers UNAVAILABLE until it is; scans, results and reads go on", "err", err)
			}
		}
	case err == nil, errors.Is(err, coord.ErrAnotherStore):
		// An answer, whatever it says.
		if r.unreachable.Swap(nil) != nil {
			slog.Info("Redis coordinator reachable again: registration resumes")
		}
	}
	if !errors.Is(err, coord.ErrUnavailable) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed || r.cur != c || time.Since(r.reopened) < reopenEvery {
		return // already replaced, or replaced a moment ago
	}
	r.cur, r.reopened = r.open(), time.Now()
	time.AfterFunc(closeOldAfter, func() { _ = c.Close() })
}

func (r *reconnectingRedis) Ping(ctx context.Context) error {
	c := r.client()
	err := c.Ping(ctx)
	r.after(c, err)
	return err
}

func (r *reconnectingRedis) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	if err := r.refused(); err != nil {
		return coord.Decision{}, err
	}
	c := r.client()
	d, err := c.Decide(ctx, p, pol, now)
	r.after(c, err)
	return d, err
}

func (r *reconnectingRedis) Confirm(ctx context.Context, p coord.Plan, now time.Time) error {
	if err := r.refused(); err != nil {
		return err
	}
	c := r.client()
	err := c.Confirm(ctx, p, now)
	r.after(c, err)
	return err
}

func (r *reconnectingRedis) ClosePlan(ctx context.Context, p coord.Plan, now time.Time) error {
	if err := r.refused(); err != nil {
		return err
	}
	c := r.client()
	err := c.ClosePlan(ctx, p, now)
	r.after(c, err)
	return err
}

func (r *reconnectingRedis) Release(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	if err := r.refused(); err != nil {
		return coord.Decision{}, err
	}
	c := r.client()
	d, err := c.Release(ctx, p, fence, now)
	r.after(c, err)
	return d, err
}

func (r *reconnectingRedis) Withdraw(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	if err := r.refused(); err != nil {
		return coord.Decision{}, err
	}
	c := r.client()
	d, err := c.Withdraw(ctx, p, fence, now)
	r.after(c, err)
	return d, err
}

func (r *reconnectingRedis) Forget(ctx context.Context, uscc string) error {
	if err := r.refused(); err != nil {
		return err
	}
	c := r.client()
	err := c.Forget(ctx, uscc)
	r.after(c, err)
	return err
}

func (r *reconnectingRedis) FollowStore(ctx context.Context, log coordredis.StoreLog) (int, error) {
	c := r.client()
	n, err := c.FollowStore(ctx, log)
	if err != nil {
		// Not when nil: a log with no event yet is not reported, so a nil
		// need not have reached Redis (the ping beside each report tells).
		r.after(c, err)
	}
	switch {
	case errors.Is(err, coord.ErrAnotherStore):
		r.another.Store(&err)
	case err == nil:
		r.another.Store(nil)
	}
	return n, err
}

// Reachable says whether the last call reached Redis, and whether Redis
// follows this store's log (false while it follows another's).
func (r *reconnectingRedis) Reachable() (reachable, ownStore bool) {
	return r.unreachable.Load() == nil, r.another.Load() == nil
}

// notice is the line /healthz adds while registration pauses for Redis
// (the server still answers 200: scans, results and reads need no Redis,
// and every replica shares the one Redis, so taking them out of a load
// balancer's rotation would stop the scans too), or "".
func (r *reconnectingRedis) notice() string {
	if r == nil {
		return "" // the coordinator is in process
	}
	switch reachable, own := r.Reachable(); {
	case !own:
		return "协调服务 Redis 正在协调另一个存储的事件日志：本服务器暂停报备（REDIS_OF_ANOTHER_STORE），扫码核验、结果记录与查询照常；请为每个存储配置各自的 Redis"
	case !reachable:
		return "协调服务 Redis 无法连接：报备暂停（答复 UNAVAILABLE），扫码核验、结果记录与查询照常；Redis 恢复后自动恢复"
	}
	return ""
}

// refused is why no call may change an enterprise's state in Redis now.
func (r *reconnectingRedis) refused() error {
	if err := r.another.Load(); err != nil {
		return *err
	}
	return nil
}

func (r *reconnectingRedis) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	return r.cur.Close()
}
