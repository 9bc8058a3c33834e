package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
)

// The reservation of a registration whose decision ran while Redis stalled
// (SIGSTOP: the script runs once it wakes, its answer long given up) is
// taken back soon after Redis answers again, well before its 30-s hold:
// the same agency's new request for the same window is then accepted, not
// refused a duplicate of a plan nobody writes.
// The outage test counts costs only, and passes with takeBackLater made a
// no-op; this one does not (a review, 2026-12-07).
func TestRegister_StalledDecision_TakenBackBeforeItsHold(t *testing.T) {
	_, r, uscc, at, _ := stalledRegistration(t)
	deadline := time.Now().Add(10 * time.Second) // a third of the hold
	for {
		_, err := regWithID(r, uscc, at, "after")
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after Redis answered, the same window is still refused: %v (the stalled decision's reservation was not taken back)", err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// A reservation still waiting to be taken back when the service stops is
// taken back then, if Redis answers: left, it stayed reserved in the shared
// Redis for the rest of its hold, counted against the other replicas (a
// review, 2026-12-07).
func TestRegister_StalledDecision_TakenBackAtClose(t *testing.T) {
	e, _, uscc, _, rs := stalledRegistration(t)
	// At once, before the take-back's first try (about 0.1–0.3 s).
	if err := e.svc.Close(); err != nil {
		t.Fatal(err)
	}
	rdb := goredis.NewClient(&goredis.Options{Addr: rs.Addr()})
	defer rdb.Close()
	fields, err := rdb.HKeys(context.Background(), "ruqi:{"+uscc+"}:p").Result()
	if err != nil {
		t.Fatal(err)
	}
	held := 0
	for _, f := range fields {
		if !strings.HasPrefix(f, "#") {
			held++
		}
	}
	if held != 1 { // the warm-up's plan, written
		t.Errorf("Redis holds %d plans of the enterprise after the stop, want the one written: %v", held, fields)
	}
}

// stalledRegistration registers AG-01's plan at an enterprise, then one
// more an hour later while Redis is stopped (SIGSTOP), which answers
// UNAVAILABLE; Redis is running again when it returns.
func stalledRegistration(t *testing.T) (*env, *registrar, string, time.Time, *redistest.Server) {
	t.Helper()
	rs := redistest.Start(t)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, st, rs.Addr())
	r := e.registrar(t, "AG-01")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	if _, err := regWithID(r, uscc, r.base, "warm"); err != nil {
		t.Fatal(err)
	}
	at := r.base.Add(time.Hour)
	rs.Pause()
	_, err = regWithID(r, uscc, at, "stalled")
	rs.Resume()
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("during the stall: %v, want UNAVAILABLE", err)
	}
	return e, r, uscc, at, rs
}
