package service_test

import (
	"path/filepath"
	"testing"
	"time"

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
