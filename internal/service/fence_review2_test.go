package service_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// slowReplica is another replica's coordinator on the world's Redis and
// store whose next seed, once armed, stops after its read until proceed.
type slowReplica struct {
	*coordredis.Coordinator
	armed         atomic.Bool
	read, proceed chan struct{}
}

func (w *fenceWorld) slowReplica(t *testing.T) *slowReplica {
	t.Helper()
	r := &slowReplica{read: make(chan struct{}), proceed: make(chan struct{})}
	c, err := coordredis.Dial(w.rs.Addr(), func(ctx context.Context, uscc string, fence bool) (coord.Seed, error) {
		s, err := w.e.svc.Seed(ctx, uscc, fence)
		if r.armed.CompareAndSwap(true, false) {
			close(r.read)
			<-r.proceed
		}
		return s, err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	r.Coordinator = c
	return r
}

// decide has the replica decide, in a goroutine, an AG-03 plan id of the
// world's enterprise days ahead (confirmBy zero for none); the channel
// gets its error.
func (r *slowReplica) decide(t *testing.T, w *fenceWorld, id string, days int, confirmBy time.Time) chan error {
	t.Helper()
	start := time.Now().Add(time.Duration(days) * 24 * time.Hour)
	x := coord.Plan{InspectionID: id, AgencyID: "AG-03", USCC: w.uscc, Start: start, End: start.Add(time.Hour), Grade: "B", ConfirmBy: confirmBy}
	done := make(chan error, 1)
	go func() {
		_, err := r.Decide(context.Background(), x, coord.Policy{Zone: shanghai(t)}, time.Now())
		done <- err
	}()
	return done
}

// TestFence_PGRedis_SeedRacingACancel: a
// replica's seed reads the store while AG-01's plan P stands; P is then
// cancelled (the store, then the coordinator's Withdraw, which finds no
// state and does nothing); the seed writes its state, with P. The
// cancelled plan is counted from then on: AG-01's new registration of the
// same visit (the cancel-and-register-again the DUPLICATE_PLAN message
// tells officers to do), with nothing else in flight, was refused as a
// duplicate of the cancelled P. The cancellation now raises the fence, and
// a refusal is checked against it: the state, behind, is rebuilt. (This and
// the next: a second read-only review of the fence, 2026-12-04.)
func TestFence_PGRedis_SeedRacingACancel(t *testing.T) {
	w := newFenceWorld(t)
	a1 := w.e.registrar(t, "AG-01")
	p, err := w.register(a1, 2)
	if err != nil {
		t.Fatal(err)
	}
	a := w.slowReplica(t)
	w.rs.FlushAll() // Redis restarted empty
	a.armed.Store(true)
	done := a.decide(t, w, "INS-20990101-REPLICAA", 9, time.Time{})
	<-a.read // A's seed has read the store, P in it
	if _, err := ruqiv1.NewInspectionServiceClient(w.e.cc).CancelInspection(w.e.as(a1.tok),
		&ruqiv1.CancelInspectionRequest{InspectionId: p.GetInspection().GetId(), Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	close(a.proceed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := w.register(a1, 2); err != nil {
		t.Errorf("AG-01 registering again the visit of its cancelled plan %s, nothing in flight: %v", p.GetInspection().GetId(), err)
	}
}

// TestFence_PGRedis_StateKeptByItsPlans_TakesTheSeedsVersion: as
// TestFence_PGRedis_StaleSeedWrittenAfterANewerStateWasLost, but what the
// lost state B committed was plans since cancelled: A's stale state then
// holds every plan of the next check's seed and takes its fence (seed.lua's
// "holds" branch, State.TakeSeedFence), keeping its version, which is
// behind the versions B's decisions wrote to the store. AG-01's next plan Q
// joins AG-02's Y under A's state; its decision's version is not above
// Y's stored joint membership, so the store keeps Y alone while Q is
// joined to Y's visit: the store and the coordinator disagree on the visit
// (a reseed then counts Q as a visit of its own, one the coordinator never
// admitted against the visit caps). The state now takes the seed's version
// with its fence.
func TestFence_PGRedis_StateKeptByItsPlans_TakesTheSeedsVersion(t *testing.T) {
	w := newFenceWorld(t)
	y, err := w.register(w.e.registrar(t, "AG-02"), 2)
	if err != nil {
		t.Fatal(err)
	}
	a := w.slowReplica(t)
	w.rs.FlushAll()
	a.armed.Store(true)
	done := a.decide(t, w, "INS-20990101-REPLICAA", 9, time.Now().Add(time.Second))
	<-a.read // A raised and read: Y only
	a1 := w.e.registrar(t, "AG-01")
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	for i := 0; i < 3; i++ { // B's decisions: AG-01 joins Y and cancels, three times
		p, err := w.register(a1, 2)
		if err != nil {
			t.Fatalf("P%d: %v", i, err)
		}
		if _, err := ins.CancelInspection(w.e.as(a1.tok), &ruqiv1.CancelInspectionRequest{InspectionId: p.GetInspection().GetId(), Reason: "计划调整"}); err != nil {
			t.Fatal(err)
		}
	}
	w.rs.FlushAll() // B's state lost
	close(a.proceed)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond) // x past its hold
	q, err := w.register(a1, 2)
	if err != nil {
		t.Fatalf("Q: %v", err)
	}
	t.Logf("Q: joint %q", q.GetJointInspection().GetId())
	var yJoint, qJoint string
	var members []string
	err = w.st.View(context.Background(), func(r store.Reader) error {
		yJoint, _, _ = r.JointOf(y.GetInspection().GetId())
		qJoint, _, _ = r.JointOf(q.GetInspection().GetId())
		if j, err := r.JointInspection(qJoint); err == nil {
			members = j.GetInspectionIds()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if qJoint == "" || yJoint != qJoint || !slices.Contains(members, q.GetInspection().GetId()) {
		t.Errorf("Q joined Y's visit, but the store says: Y in %q, Q in %q, %q's members %v", yJoint, qJoint, qJoint, members)
	}
	// What a reseed makes of it.
	seed, err := w.e.svc.Seed(context.Background(), w.uscc, false)
	if err != nil {
		t.Fatal(err)
	}
	visits := 0
	for _, p := range seed.Plans {
		t.Logf("reseed: %s %s joint %q holds a visit %v", p.InspectionID, p.AgencyID, p.JointID, p.NewVisit)
		if p.NewVisit && (p.InspectionID == y.GetInspection().GetId() || p.InspectionID == q.GetInspection().GetId()) {
			visits++
		}
	}
	if visits != 1 {
		t.Errorf("Y and Q, one visit as the coordinator decided, are %d visits after a reseed", visits)
	}
}
