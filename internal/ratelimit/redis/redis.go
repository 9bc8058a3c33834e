// Package redis is the rate limiter replicas share: ratelimit.Step as one
// Lua script on one key per principal, so that a principal's calls count
// the same whichever replica takes them.
package redis

import (
	"context"
	_ "embed"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/ratelimit"
	"github.com/ruqi/ruqi/internal/redisconn"
)

//go:embed take.lua
var takeLua string

var takeScript = goredis.NewScript(takeLua)

// keyPrefix keeps the limiter's keys apart from the coordinator's in a
// shared Redis.
const keyPrefix = "ruqi:rate:"

// Limiter is a ratelimit.Limiter over Redis.
type Limiter struct {
	client goredis.UniversalClient
	owned  bool
	// redisClock: times are Redis's (TIME), not the caller's.
	redisClock bool
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// New returns a limiter on client that takes the caller's times (the
// conformance suite's clock); the caller keeps the client.
func New(client goredis.UniversalClient) *Limiter { return &Limiter{client: client} }

// Open makes a client for the Redis at target (the coordinator's, with its
// user, password and TLS) with short timeouts, bound to each call's
// context: the limit is checked on every call, and a Redis that does not
// answer must not hold the calls (the server lets them through, see serve's
// rate interceptor). Times are Redis's own, so that replicas whose clocks
// differ count alike.
func Open(target redisconn.Target) *Limiter {
	o := target.Options()
	o.DialTimeout = 250 * time.Millisecond
	o.ReadTimeout = 250 * time.Millisecond
	o.WriteTimeout = 250 * time.Millisecond
	o.PoolTimeout = 250 * time.Millisecond
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1 // no retry: the next call checks again
	return &Limiter{owned: true, redisClock: true, client: goredis.NewClient(o)}
}

// Take implements ratelimit.Limiter. now is ignored when the limiter uses
// Redis's clock (Open).
func (l *Limiter) Take(ctx context.Context, key string, r ratelimit.Rate, now time.Time) (time.Duration, error) {
	var at any = now.UnixMicro()
	if l.redisClock {
		at = ""
	}
	us, err := takeScript.Run(ctx, l.client, []string{keyPrefix + key}, at, r.Every.Microseconds(), r.Burst).Int64()
	if err != nil {
		return 0, fmt.Errorf("ratelimit/redis: %w", err)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// Close closes the client if Open made it.
func (l *Limiter) Close() error {
	if l.owned {
		return l.client.Close()
	}
	return nil
}
