package serve

import (
	"testing"
	"time"
)

// README: -idle-timeout 0 never closes an idle connection. net/http reads an
// IdleTimeout of 0 as its ReadTimeout, so the HTTP server closed idle
// connections after 30 s (a check of the README against the code,
// 2026-12-07).
func TestHTTPIdleTimeout_ZeroIsNever(t *testing.T) {
	if got := httpIdleTimeout(0); got >= 0 {
		t.Errorf("httpIdleTimeout(0) = %v: net/http would use its ReadTimeout; want a negative value (no timeout)", got)
	}
	if got := httpIdleTimeout(5 * time.Minute); got != 5*time.Minute {
		t.Errorf("httpIdleTimeout(5m) = %v", got)
	}
}
