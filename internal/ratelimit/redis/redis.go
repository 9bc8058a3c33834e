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
}

var _ ratelimit.Limiter = (*Limiter)(nil)

// New returns a limiter on client; the caller keeps the client.
func New(client goredis.UniversalClient) *Limiter { return &Limiter{client: client} }

// Open makes a client for the Redis at addr with short timeouts: the limit
// is checked on every call, and a Redis that does not answer must not hold
// the calls (the server lets them through, see serve's rate interceptor).
func Open(addr string) *Limiter {
	return &Limiter{owned: true, client: goredis.NewClient(&goredis.Options{
		Addr:         addr,
		DialTimeout:  250 * time.Millisecond,
		ReadTimeout:  250 * time.Millisecond,
		WriteTimeout: 250 * time.Millisecond,
		MaxRetries:   -1, // no retry: the next call checks again
	})}
}

// Take implements ratelimit.Limiter. Times are the caller's clock: replicas
// whose clocks differ by d give a principal up to d/Every calls more or
// fewer.
func (l *Limiter) Take(ctx context.Context, key string, r ratelimit.Rate, now time.Time) (time.Duration, error) {
	ms, err := takeScript.Run(ctx, l.client, []string{keyPrefix + key}, now.UnixMilli(), r.Every.Milliseconds(), r.Burst).Int64()
	if err != nil {
		return 0, fmt.Errorf("ratelimit/redis: %w", err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Close closes the client if Open made it.
func (l *Limiter) Close() error {
	if l.owned {
		return l.client.Close()
	}
	return nil
}
