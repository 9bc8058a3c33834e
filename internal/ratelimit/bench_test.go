package ratelimit_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/ratelimit"
)

// BenchmarkTake: one call's check on the in-process limiter, 10,000
// principals, in parallel (the server checks every call).
func BenchmarkTake(b *testing.B) {
	l := ratelimit.NewLocal()
	r := ratelimit.PerMinute(60_000, 100_000)
	keys := make([]string, 10_000)
	for i := range keys {
		keys[i] = ratelimit.Key(2, strconv.Itoa(i))
	}
	now := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if _, err := l.Take(context.Background(), keys[i%len(keys)], r, now); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
