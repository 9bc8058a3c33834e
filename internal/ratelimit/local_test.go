package ratelimit_test

import (
	"context"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/ratelimit"
	"github.com/ruqi/ruqi/internal/ratelimit/ratelimittest"
)

func TestLocal_Conformance(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T) ratelimit.Limiter { return ratelimit.NewLocal() })
}

// The in-process limiter forgets a principal once its time has passed, so
// that it holds only principals seen lately.
func TestLocal_ForgetsPrincipalsWhoseTimeHasPassed(t *testing.T) {
	l := ratelimit.NewLocal()
	r := ratelimit.Rate{Every: time.Second, Burst: 2}
	now := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	for i := 0; i < 5000; i++ {
		if _, err := l.Take(context.Background(), string(rune('a'+i%26))+string(rune(i)), r, now); err != nil {
			t.Fatal(err)
		}
	}
	held := l.Len()
	for i := 0; i < 5000; i++ {
		l.Take(context.Background(), "late", r, now.Add(time.Minute))
	}
	if l.Len() >= held || l.Len() > 2 {
		t.Fatalf("%d principals held a minute later (%d before)", l.Len(), held)
	}
}
