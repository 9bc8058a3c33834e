package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Redis stops: health stays SERVING (scans, results and reads need no
// Redis, and every replica shares it), but /healthz adds a line saying
// registration is paused and /metrics says Redis is not reachable, found
// by the server itself without a registration asking; both clear by
// themselves once Redis answers. Before, only the count of UNAVAILABLE
// registrations said anything.
func TestRedis_Down_HealthzAndMetricsSaySo(t *testing.T) {
	rs := redistest.Start(t)
	w := newWorld(t, "-redis-addr", rs.Addr(), "-metrics-addr", "127.0.0.1:0")
	now := time.Now()
	a, err := w.registerAs("AG-01", w.f.entA, w.f.itemsOf["AG-01"][:1], now, now.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if body := w.healthz(t); body != "ok\n" {
		t.Fatalf("/healthz with Redis up: %q", body)
	}
	if m := w.metrics(t); !strings.Contains(m, "\nruqi_redis_reachable 1\n") || !strings.Contains(m, "\nruqi_redis_follows_this_store 1\n") {
		t.Fatalf("/metrics with Redis up:\n%s", grepMetrics(m, "ruqi_redis"))
	}

	rs.Kill()
	w.waitFor(t, "/healthz and /metrics to say Redis is down, with no registration asking", func() bool {
		return strings.Contains(w.healthz(t), "Redis 无法连接") && strings.Contains(w.metrics(t), "\nruqi_redis_reachable 0\n")
	})
	if body := w.healthz(t); !strings.HasPrefix(body, "ok\n") || !strings.Contains(body, "报备暂停") {
		t.Errorf("/healthz with Redis down: %q, want ok and a line saying registration is paused", body)
	}
	if st, code := w.health(t); st != healthpb.HealthCheckResponse_SERVING || code != http.StatusOK {
		t.Errorf("health with Redis down: %v, /healthz %d; want SERVING, 200 (scans go on)", st, code)
	}
	_, err = w.registerAs("AG-02", w.f.entA, w.f.itemsOf["AG-02"][:1], now, now.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("registration with Redis down: %v, want UNAVAILABLE", err)
	}
	got, _ := w.scan(w.entA, a.GetCodes()[0].GetToken())
	wantVerdict(t, "scan with Redis down", got, ruqiv1.Verdict_VERDICT_VALID)
	// An outage is not bad requests on a dashboard: it was counted as
	// rejected (an operator's trial, 2026-12-07).
	if m := w.metrics(t); !strings.Contains(m, `ruqi_registrations_total{outcome="unavailable"} 1`+"\n") || !strings.Contains(m, `ruqi_registrations_total{outcome="rejected"} 0`+"\n") {
		t.Errorf("/metrics after a registration refused UNAVAILABLE:\n%s", grepMetrics(m, "ruqi_registrations_total"))
	}

	rs.Restart()
	w.waitFor(t, "/healthz and /metrics to say Redis is back, with no registration asking", func() bool {
		return w.healthz(t) == "ok\n" && strings.Contains(w.metrics(t), "\nruqi_redis_reachable 1\n")
	})
	if _, err := w.registerAs("AG-02", w.f.entA, w.f.itemsOf["AG-02"][:1], now, now.Add(2*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
		t.Fatalf("registration after Redis came back: %v", err)
	}
	// Calls go unchecked for a second after the limiter failed: the
	// registration above may fall in it (Redis is found back sooner since
	// the refused registration's reservation is taken back as soon as it
	// answers). The next checked call says the limiter is back.
	w.waitFor(t, "the rate limiter to check calls again", func() bool {
		w.scan(w.entA, a.GetCodes()[0].GetToken())
		return strings.Contains(w.log.String(), "principal rate limiter reachable again")
	})
	// The log says the outage once and its end once: the store's head,
	// which could not be told every 5 s, was a warning each time (an
	// operator's trial, 2026-12-07). Redis was down for at least one
	// report: the one that found it down, or the one before the ping that
	// did.
	log := w.log.String()
	// The registration refused and the one after each had its rate
	// checked: the limiter's outage and its end are said once too, where
	// the end was never said.
	for line, want := range map[string]int{
		"tell Redis the store's head":            0,
		"Redis coordinator not reachable":        1,
		"Redis coordinator reachable again":      1,
		"principal rate limiter unavailable":     1,
		"principal rate limiter reachable again": 1,
	} {
		if n := strings.Count(log, line); n != want {
			t.Errorf("the log says %q %d times, want %d:\n%s", line, n, want, log)
		}
	}
}

// healthz is the body of the server's /healthz.
func (s *server) healthz(t *testing.T) string {
	t.Helper()
	return httpBody(t, "http://"+s.httpAddr+"/healthz")
}

// waitFor polls cond until it holds, failing the test after a minute: the
// server notices on its own schedule (every 5 s), which no test asserts.
func (s *server) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited a minute for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
