// Package ratelimittest is the conformance suite every ratelimit.Limiter
// passes: the in-process one and the one on Redis answer every call as
// ratelimit.Step does.
package ratelimittest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/ratelimit"
)

// Run runs the suite; fresh returns an empty limiter (or one whose keys no
// other test uses).
func Run(t *testing.T, fresh func(t *testing.T) ratelimit.Limiter) {
	t.Run("BurstThenRate", func(t *testing.T) { testBurstThenRate(t, fresh(t)) })
	t.Run("KeysApart", func(t *testing.T) { testKeysApart(t, fresh(t)) })
	t.Run("MatchesStep", func(t *testing.T) { testMatchesStep(t, fresh(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, fresh(t)) })
	t.Run("UnderAMillisecond", func(t *testing.T) { testUnderAMillisecond(t, fresh(t)) })
	t.Run("ClockStepsBack", func(t *testing.T) { testClockStepsBack(t, fresh(t)) })
}

// testUnderAMillisecond: 40,000 a minute is a call every 1.5 ms, not every
// millisecond.
func testUnderAMillisecond(t *testing.T, l ratelimit.Limiter) {
	r := ratelimit.PerMinute(40_000, 1)
	if d := take(t, l, "fast", r, base); d != 0 {
		t.Fatalf("first call refused: %v", d)
	}
	if d := take(t, l, "fast", r, base.Add(time.Millisecond)); d != 500*time.Microsecond {
		t.Fatalf("1 ms later: retry after %v, want 500µs", d)
	}
	if d := take(t, l, "fast", r, base.Add(1500*time.Microsecond)); d != 0 {
		t.Fatalf("1.5 ms later: retry after %v, want allowed", d)
	}
}

// testClockStepsBack: after the clock goes back ten minutes, a principal
// that made one call waits one interval, not ten minutes.
func testClockStepsBack(t *testing.T, l ratelimit.Limiter) {
	r := ratelimit.PerMinute(60, 120)
	take(t, l, "back", r, base)
	if d := take(t, l, "back", r, base.Add(-10*time.Minute)); d > time.Second {
		t.Fatalf("after the clock stepped back 10 min: retry after %v, want at most the 1 s interval", d)
	}
}

var ctx = context.Background()

// base is a fixed time: the suite passes its own clock.
var base = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)

func take(t *testing.T, l ratelimit.Limiter, key string, r ratelimit.Rate, now time.Time) time.Duration {
	t.Helper()
	d, err := l.Take(ctx, key, r, now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testBurstThenRate: three at once, the fourth told to wait a second; a
// second later one more; after a quiet time the whole burst again.
func testBurstThenRate(t *testing.T, l ratelimit.Limiter) {
	r := ratelimit.Rate{Every: time.Second, Burst: 3}
	for i := 0; i < 3; i++ {
		if d := take(t, l, "burst", r, base); d != 0 {
			t.Fatalf("call %d of a burst of 3 refused, retry after %v", i+1, d)
		}
	}
	if d := take(t, l, "burst", r, base); d != time.Second {
		t.Fatalf("fourth call: retry after %v, want 1s", d)
	}
	if d := take(t, l, "burst", r, base.Add(400*time.Millisecond)); d != 600*time.Millisecond {
		t.Fatalf("0.4 s later: retry after %v, want 600ms", d)
	}
	if d := take(t, l, "burst", r, base.Add(time.Second)); d != 0 {
		t.Fatalf("a second later: retry after %v, want allowed", d)
	}
	if d := take(t, l, "burst", r, base.Add(time.Second)); d != time.Second {
		t.Fatalf("then again: retry after %v, want 1s", d)
	}
	quiet := base.Add(time.Minute)
	for i := 0; i < 3; i++ {
		if d := take(t, l, "burst", r, quiet); d != 0 {
			t.Fatalf("after a quiet minute, call %d refused", i+1)
		}
	}
}

// testKeysApart: one principal's calls spend nothing of another's.
func testKeysApart(t *testing.T, l ratelimit.Limiter) {
	r := ratelimit.Rate{Every: time.Minute, Burst: 1}
	if take(t, l, "a", r, base) != 0 || take(t, l, "b", r, base) != 0 {
		t.Fatal("first calls of two principals refused")
	}
	if take(t, l, "a", r, base) == 0 {
		t.Fatal("a second call of a, burst 1, allowed")
	}
}

// testMatchesStep plays random calls of a few principals at random rates
// and times, and wants every answer to be Step's.
func testMatchesStep(t *testing.T, l ratelimit.Limiter) {
	rng := rand.New(rand.NewPCG(7, 3))
	rates := []ratelimit.Rate{ratelimit.PerMinute(60, 5), ratelimit.PerMinute(600, 20), ratelimit.PerMinute(7, 2), {Every: time.Millisecond, Burst: 1}}
	ref := map[string]int64{}
	now := base
	for i := 0; i < 2000; i++ {
		now = now.Add(time.Duration(rng.IntN(800)) * time.Millisecond)
		k := rng.IntN(4)
		key, r := fmt.Sprintf("p%d", k), rates[k]
		next, retry := ratelimit.Step(ref[key], now.UnixMicro(), r)
		if retry == 0 {
			ref[key] = next
		}
		if got, want := take(t, l, key, r, now), time.Duration(retry)*time.Microsecond; got != want {
			t.Fatalf("call %d (%s at %v): retry after %v, want %v", i, key, now.Sub(base), got, want)
		}
	}
}

// testConcurrent: 64 calls at once on one principal with a burst of 10:
// exactly 10 go ahead.
func testConcurrent(t *testing.T, l ratelimit.Limiter) {
	r := ratelimit.Rate{Every: time.Hour, Burst: 10}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := l.Take(ctx, "crowd", r, base)
			if err != nil {
				errs <- err
				return
			}
			if d == 0 {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := allowed.Load(); n != 10 {
		t.Fatalf("%d of 64 concurrent calls allowed, want the burst, 10", n)
	}
}
