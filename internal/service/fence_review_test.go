package service_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
)

func (w *fenceWorld) storeFence(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := w.st.View(context.Background(), func(r store.Reader) error {
		var err error
		n, err = r.Count(inspection.FenceKey(w.uscc))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFence_PGRedis_StaleSeedWrittenAfterANewerStateWasLost: replica A's
// seed reads the store (fence f+1) and is slow to write its state.
// Meanwhile replica B seeds (fence f+2), AG-01's plan P is decided under
// B's state and committed, and Redis loses the state again. A's seed.lua
// then writes a state built from its read, which has no P, at fence f+1.
// The next check of pending plans raised that state's fence to the store's,
// and a duplicate of P was accepted and committed. A state now takes only
// the fence next to its own, or a later one if it holds every plan of a
// seed read after it; otherwise it is rebuilt from that seed. (This file: a
// first read-only review of the fence, 2026-12-04.)
func TestFence_PGRedis_StaleSeedWrittenAfterANewerStateWasLost(t *testing.T) {
	w := newFenceWorld(t)
	if _, err := w.register(w.e.registrar(t, "AG-02"), 5); err != nil {
		t.Fatal(err)
	}
	a := w.slowReplica(t)
	w.rs.FlushAll() // Redis restarted empty
	a.armed.Store(true)
	aDone := a.decide(t, w, "INS-20990101-REPLICAA", 9, time.Now().Add(time.Second))
	<-a.read // A has raised the fence and read the store; its seed.lua waits
	fa := w.storeFence(t)

	a1 := w.e.registrar(t, "AG-01")
	p, err := w.register(a1, 2) // B seeds (fence raised again), decides and writes P
	if err != nil {
		t.Fatalf("P: %v", err)
	}
	t.Logf("A's seed read at fence %d; P written at store fence %d", fa, w.storeFence(t))

	w.rs.FlushAll()  // Redis restarted empty again
	close(a.proceed) // A's seed.lua writes its state (no P), then A decides x
	if err := <-aDone; err != nil {
		t.Fatalf("A's decision: %v", err)
	}
	time.Sleep(1500 * time.Millisecond) // x, never written, is past its hold

	q, err := w.register(a1, 2) // the same visit again: a duplicate of P
	if err == nil {
		t.Errorf("AG-01 registered the same visit twice: %s and %s (store fence now %d)",
			p.GetInspection().GetId(), q.GetInspection().GetId(), w.storeFence(t))
	} else {
		t.Logf("Q: %v", err)
	}
	if got := w.plansOf(t, "AG-01"); len(got) != 1 {
		t.Errorf("AG-01's registered plans %v, want only %s", got, p.GetInspection().GetId())
	}
}

// TestFence_PGRedis_ARaiseWhoseStateWasNeverWritten: replicas A and B
// both found the enterprise unseeded; A wrote its state, B raised the
// store's fence in its seed transaction and never ran seed.lua (killed, or
// its context ended between the two). The state stood behind the store's
// fence, and every registration at the enterprise, with nothing in flight,
// was fenced three times and answered UNAVAILABLE. The second fenced round
// now forgets the state, and the third decides on a state seeded again.
func TestFence_PGRedis_ARaiseWhoseStateWasNeverWritten(t *testing.T) {
	w := newFenceWorld(t)
	if _, err := w.register(w.e.registrar(t, "AG-02"), 5); err != nil {
		t.Fatal(err)
	}
	// B's seed transaction: raised and read; B never wrote to Redis.
	if _, err := w.e.svc.Seed(context.Background(), w.uscc, true); err != nil {
		t.Fatal(err)
	}
	a1 := w.e.registrar(t, "AG-01")
	p, err := w.register(a1, 2)
	if err != nil {
		t.Fatalf("a registration with nothing in flight: %v", err)
	}
	// Counted: the same visit again is a duplicate of it.
	if _, err := w.register(a1, 2); status.Code(err) != codes.AlreadyExists {
		t.Errorf("the same visit again: %v, want ALREADY_EXISTS (a duplicate of %s)", err, p.GetInspection().GetId())
	}
}

// TestFence_PGRedis_ASeedFindsAStaleStateWritten: as the first, but the
// stale state was raised by seed.lua: replica C's seed read the store after
// P committed, found A's state (read before P) written, and raised that
// state's fence to its own; a duplicate of P committed at once. seed.lua
// now replaces a state that lacks a plan of the seed.
func TestFence_PGRedis_ASeedFindsAStaleStateWritten(t *testing.T) {
	w := newFenceWorld(t)
	if _, err := w.register(w.e.registrar(t, "AG-02"), 5); err != nil {
		t.Fatal(err)
	}
	a, c := w.slowReplica(t), w.slowReplica(t)
	w.rs.FlushAll()
	a.armed.Store(true)
	aDone := a.decide(t, w, "INS-20990101-REPLICAA", 9, time.Time{})
	<-a.read // A read the store before P

	a1 := w.e.registrar(t, "AG-01")
	p, err := w.register(a1, 2) // seeded by this replica, P written
	if err != nil {
		t.Fatalf("P: %v", err)
	}
	w.rs.FlushAll()
	c.armed.Store(true)
	cDone := c.decide(t, w, "INS-20990101-REPLICAC", 11, time.Time{})
	<-c.read // C read the store after P

	close(a.proceed) // A's state, without P, is written
	if err := <-aDone; err != nil {
		t.Fatal(err)
	}
	close(c.proceed) // C finds it seeded and raises its fence to C's
	if err := <-cDone; err != nil {
		t.Fatal(err)
	}
	if q, err := w.register(a1, 2); err == nil {
		t.Errorf("AG-01 registered the same visit twice: %s and %s", p.GetInspection().GetId(), q.GetInspection().GetId())
	}
	if got := w.plansOf(t, "AG-01"); len(got) != 1 {
		t.Errorf("AG-01's registered plans %v, want only %s", got, p.GetInspection().GetId())
	}
}

// behind is a coordinator whose decisions carry a fence far behind the
// store's while armed: every registration fails its check.
type behind struct {
	coord.Coordinator
	armed atomic.Bool
}

func (b *behind) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	d, err := b.Coordinator.Decide(ctx, p, pol, now)
	if b.armed.Load() {
		d.Fence -= 100
	}
	return d, err
}

// TestFence_FencedEveryRound_ReservationReleased: a registration fenced
// in every round is answered UNAVAILABLE; its last decision's reservation
// was left pending (a review found it), and the agency's next registration
// of the same visit was refused as a duplicate of a plan never written.
func TestFence_FencedEveryRound_ReservationReleased(t *testing.T) {
	var c *behind
	w := newBoltFenceWorld(t, nil, func(l coord.Coordinator) coord.Coordinator { c = &behind{Coordinator: l}; return c })
	a1 := w.e.registrar(t, "AG-01")
	c.armed.Store(true)
	if _, err := w.register(a1, 2); status.Code(err) != codes.Unavailable {
		t.Fatalf("fenced in every round: %v, want UNAVAILABLE", err)
	}
	c.armed.Store(false)
	if _, err := w.register(a1, 2); err != nil {
		t.Errorf("the same visit, registered again: %v", err)
	}
}
