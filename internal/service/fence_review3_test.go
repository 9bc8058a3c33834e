package service_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// gatedCoord runs afterDecide (once, if set) after a Decide of a plan of
// agency gateAgency returns, and beforeWithdraw (once, if set) before the
// Withdraw of plan gateWithdraw.
type gatedCoord struct {
	coord.Coordinator
	gateAgency    string
	afterDecide   atomic.Pointer[func()]
	gateWithdraw  atomic.Pointer[string]
	beforeWithdrw atomic.Pointer[func()]
}

// wrap makes c the coordinator around l (newBoltFenceWorld's wrap).
func (c *gatedCoord) wrap(l coord.Coordinator) coord.Coordinator { c.Coordinator = l; return c }

func (c *gatedCoord) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	d, err := c.Coordinator.Decide(ctx, p, pol, now)
	if p.AgencyID == c.gateAgency {
		if f := c.afterDecide.Swap(nil); f != nil {
			(*f)()
		}
	}
	return d, err
}

func (c *gatedCoord) Withdraw(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	if id := c.gateWithdraw.Load(); id != nil && *id == p.InspectionID {
		if f := c.beforeWithdrw.Swap(nil); f != nil {
			(*f)()
		}
	}
	return c.Coordinator.Withdraw(ctx, p, fence, now)
}

// TestFence_BoltLocal_HeirNoteOutlivesTheReservation: AG-02's plan B is
// decided joining AG-01's A and is being written when A is cancelled: the
// coordinator names B (pending) heir of A's visit, and the store notes it
// (heir_pending|B). Two more cancellations at the enterprise raise the
// fence twice before the coordinator hears of the first: the state is
// dropped (TakeFence). B's write is fenced and B is decided again on the
// reseeded state, where it joins AG-03's C. Its registration then reads the
// stale heir note and counts B as a visit of its own, while the coordinator
// counts B as joining C's visit: the store's report says 2 visits and 0
// joined plans for what the coordinator holds as one visit of two plans.
func TestFence_BoltLocal_HeirNoteOutlivesTheReservation(t *testing.T) {
	gc := &gatedCoord{gateAgency: "AG-02"}
	w := newBoltFenceWorld(t, nil, gc.wrap)
	zone := shanghai(t)
	n := time.Now().In(zone).AddDate(0, 0, 3)
	day := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, zone)
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	reg := func(r *registrar, from, to time.Time) (*ruqiv1.RegisterInspectionResponse, error) {
		return ins.RegisterInspection(w.e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: w.uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(to),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	}
	h := func(x float64) time.Time { return day.Add(time.Duration(x * float64(time.Hour))) }
	a1, a2, a3, a4, a5 := w.e.registrar(t, "AG-01"), w.e.registrar(t, "AG-02"), w.e.registrar(t, "AG-03"), w.e.registrar(t, "AG-04"), w.e.registrar(t, "AG-05")
	_, err := reg(a3, h(11), h(13))
	if err != nil {
		t.Fatal(err)
	}
	a, err := reg(a1, h(8), h(10.5))
	if err != nil {
		t.Fatal(err)
	}
	if a.GetJointInspection().GetId() != "" {
		t.Fatal("A joined C")
	}
	d, err := reg(a4, h(32), h(40)) // the next day: joins nothing
	if err != nil {
		t.Fatal(err)
	}
	e, err := reg(a5, h(56), h(64))
	if err != nil {
		t.Fatal(err)
	}
	cancel := func(r *registrar, id string) error {
		_, err := ins.CancelInspection(w.e.as(r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: id, Reason: "计划调整"})
		return err
	}

	decided, proceed := make(chan struct{}), make(chan struct{})
	gate := func() { close(decided); <-proceed }
	gc.afterDecide.Store(&gate)
	type answer struct {
		r   *ruqiv1.RegisterInspectionResponse
		err error
	}
	bDone := make(chan answer, 1)
	go func() {
		r, err := reg(a2, h(9), h(12)) // overlaps A by 1.5 h, C by 1 h: joins A
		bDone <- answer{r, err}
	}()
	<-decided
	if err := cancel(a1, a.GetInspection().GetId()); err != nil { // heir: B, pending
		t.Fatal(err)
	}
	dID := d.GetInspection().GetId()
	gc.gateWithdraw.Store(&dID)
	dIn, dGo := make(chan struct{}), make(chan struct{})
	dGate := func() { close(dIn); <-dGo }
	gc.beforeWithdrw.Store(&dGate)
	dDone := make(chan error, 1)
	go func() { dDone <- cancel(a4, dID) }()
	<-dIn                                                         // D's cancellation raised the fence; its withdrawal waits
	if err := cancel(a5, e.GetInspection().GetId()); err != nil { // raises again: the state is dropped
		t.Fatal(err)
	}
	close(dGo)
	if err := <-dDone; err != nil {
		t.Fatal(err)
	}
	close(proceed)
	ba := <-bDone
	if ba.err != nil {
		t.Fatalf("B: %v", ba.err)
	}
	t.Logf("B %s: joint %q", ba.r.GetInspection().GetId(), ba.r.GetJointInspection().GetId())

	sup := w.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	month := day.Format("2006-01")
	rep, err := ruqiv1.NewReportServiceClient(w.e.cc).GetFrequencyReport(w.e.as(sup), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: month, ToMonth: month, GroupBy: ruqiv1.GroupBy_GROUP_BY_REGION})
	if err != nil {
		t.Fatal(err)
	}
	tt := rep.GetTotals()
	// Plans standing that month: C and B (A, D, E cancelled; D and E may be
	// in the month too, cancelled).
	if ba.r.GetJointInspection().GetId() != "" {
		if tt.GetVisits() != 1 || tt.GetJoinedPlans() != 1 {
			t.Errorf("B joined C's visit (joint %s), but the report says %d inspections, %d visits, %d joined; want 2, 1, 1",
				ba.r.GetJointInspection().GetId(), tt.GetInspections(), tt.GetVisits(), tt.GetJoinedPlans())
		}
	} else if tt.GetVisits() != 2 || tt.GetJoinedPlans() != 0 {
		t.Errorf("B alone, report: %d inspections, %d visits, %d joined", tt.GetInspections(), tt.GetVisits(), tt.GetJoinedPlans())
	}
}

// onFenced runs hook (once, if set) when an Update fails with
// inspection.ErrFenced, before that error is returned.
type onFenced struct {
	store.Store
	hook atomic.Pointer[func(context.Context)]
}

func (s *onFenced) Update(ctx context.Context, fn func(store.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if errors.Is(err, inspection.ErrFenced) {
		if f := s.hook.Swap(nil); f != nil {
			(*f)(ctx)
		}
	}
	return err
}

// TestFence_BoltLocal_GivenUpWhileFenced_LeavesItsReservation: AG-01's
// plan P is decided and its write is fenced (another agency's plan was
// cancelled meanwhile); the client gives up (its deadline, a cancel) during
// the pause before P is decided again. The register loop returns without
// taking P's reservation back (afterFailedWrite is only called for a failed
// write and after six rounds), so the coordinator holds a plan the store
// never had: AG-01's next registration of the same visit, nothing else in
// flight, is refused as a duplicate of P for the whole hold (30 s). A write
// that fails on a cancelled context releases its reservation.
func TestFence_BoltLocal_GivenUpWhileFenced_LeavesItsReservation(t *testing.T) {
	gc := &gatedCoord{gateAgency: "AG-01"}
	var st *onFenced
	w := newBoltFenceWorld(t, func(b store.Store) store.Store { st = &onFenced{Store: b}; return st }, gc.wrap)
	a2 := w.e.registrar(t, "AG-02")
	x, err := w.register(a2, 5) // another day: P joins nothing
	if err != nil {
		t.Fatal(err)
	}
	a1 := w.e.registrar(t, "AG-01")
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	cancelX := func() {
		if _, err := ins.CancelInspection(w.e.as(a2.tok), &ruqiv1.CancelInspectionRequest{InspectionId: x.GetInspection().GetId(), Reason: "计划调整"}); err != nil {
			t.Error(err)
		}
	}
	gc.afterDecide.Store(&cancelX) // P decided; X cancelled before P writes
	ctx, giveUp := context.WithCancel(w.e.as(a1.tok))
	// The server sees it before its pause ends: the hook returns once the
	// call's context on the server has ended, which took longer than the
	// 50 ms slept here on a loaded machine (P then decided again, written).
	stop := func(sctx context.Context) {
		giveUp()
		select {
		case <-sctx.Done():
		case <-time.After(30 * time.Second):
			t.Error("the server's context of the given-up call never ended")
		}
	}
	st.hook.Store(&stop)
	base := time.Now().Add(2 * 24 * time.Hour).Truncate(time.Hour)
	req := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.uscc, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2],
		WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(8 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"}
	_, perr := ins.RegisterInspection(ctx, req)
	t.Logf("P, given up: %v", perr)
	if got := w.plansOf(t, "AG-01"); len(got) != 0 {
		t.Fatalf("P written: %v", got)
	}
	// The client's call ends when it gives up; the server takes the
	// reservation back as it notices, a moment later: the registration is
	// tried again for a while (the hold it would otherwise wait out is 30 s).
	for i := 0; ; i++ {
		_, err := w.register(a1, 2)
		if err == nil {
			break
		}
		if i == 100 {
			t.Fatalf("AG-01 registering the visit again, its given-up P not written and nothing in flight: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestFence_BoltRedis_StoreRestoredBehindRedis: the store is restored to a
// backup (a server restarted on it) while Redis keeps the enterprise's
// state. Redis's fence (#e) is then ahead of the store's: every decision
// passed the check (decided >= the store's), so the stuck-fence path
// (docs: "a store restored") never ran, nor did any seed replace the state
// (seed.lua keeps a state on a later fence). AG-01's plan P, registered
// after the backup and absent from the restored store, kept being counted:
// AG-01's registration of the same visit, nothing in flight, was refused as
// a duplicate of a plan the store does not hold. A fence ahead of the
// store's now fails the check too. (This file: a third read-only review,
// 2026-12-04.)
func TestFence_BoltRedis_StoreRestoredBehindRedis(t *testing.T) {
	rs := redistest.Start(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ruqi.db")
	b, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	dial := func(seed coord.Seeder) (coord.Coordinator, error) { return coordredis.Dial(rs.Addr(), seed) }
	w := &fenceWorld{st: &slowCommit{Store: b}, rs: rs}
	w.e = newEnvWith(t, w.st, dial)
	w.uscc = w.e.dir.GetEnterprises()[1].GetUscc()
	a2 := w.e.registrar(t, "AG-02")
	x, err := w.register(a2, 5) // seeds the enterprise: fence 1
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path) // the backup
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("backup at fence %d", w.storeFence(t))
	if _, err := ruqiv1.NewInspectionServiceClient(w.e.cc).CancelInspection(w.e.as(a2.tok),
		&ruqiv1.CancelInspectionRequest{InspectionId: x.GetInspection().GetId(), Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	p, err := w.register(w.e.registrar(t, "AG-01"), 2)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("P %s at fence %d", p.GetInspection().GetId(), w.storeFence(t))

	// The server restarts on the restored backup; Redis is as it was.
	restored := filepath.Join(t.TempDir(), "ruqi.db")
	if err := os.WriteFile(restored, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	b2, err := bolt.Open(restored, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	w2 := &fenceWorld{st: &slowCommit{Store: b2}, rs: rs}
	w2.e = newEnvWith(t, w2.st, dial)
	w2.uscc = w.uscc
	if got := w2.plansOf(t, "AG-01"); len(got) != 0 {
		t.Fatalf("the backup holds AG-01's plans %v", got)
	}
	if _, err := w2.register(w2.e.registrar(t, "AG-01"), 2); err != nil {
		t.Errorf("after the restore (store fence %d), AG-01's first plan of the visit: %v", w2.storeFence(t), err)
	}
}

// failingRedecide is gatedCoord whose second decision of a plan of
// gateAgency fails (Redis gone between two rounds).
type failingRedecide struct {
	gatedCoord
	n atomic.Int32
}

func (c *failingRedecide) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	if p.AgencyID == c.gateAgency && c.n.Add(1) == 2 {
		return coord.Decision{}, coord.ErrUnavailable
	}
	return c.gatedCoord.Decide(ctx, p, pol, now)
}

// TestFence_BoltLocal_RedecisionFails_ReservationReleased: P's write is
// fenced, and deciding it again fails (the coordinator unreachable): the
// first round's reservation, kept by the state, is taken back, so that the
// agency's registration of the same visit once the coordinator answers is
// not refused as a duplicate of a plan never written.
func TestFence_BoltLocal_RedecisionFails_ReservationReleased(t *testing.T) {
	gc := &failingRedecide{gatedCoord: gatedCoord{gateAgency: "AG-01"}}
	w := newBoltFenceWorld(t, nil, func(l coord.Coordinator) coord.Coordinator { gc.Coordinator = l; return gc })
	a2 := w.e.registrar(t, "AG-02")
	x, err := w.register(a2, 5)
	if err != nil {
		t.Fatal(err)
	}
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	cancelX := func() {
		if _, err := ins.CancelInspection(w.e.as(a2.tok), &ruqiv1.CancelInspectionRequest{InspectionId: x.GetInspection().GetId(), Reason: "计划调整"}); err != nil {
			t.Error(err)
		}
	}
	gc.afterDecide.Store(&cancelX) // P decided; X cancelled before P writes
	a1 := w.e.registrar(t, "AG-01")
	if _, err := w.register(a1, 2); status.Code(err) != codes.Unavailable {
		t.Fatalf("P, decided again while the coordinator fails: %v, want UNAVAILABLE", err)
	}
	if _, err := w.register(a1, 2); err != nil {
		t.Errorf("AG-01 registering the visit again: %v", err)
	}
}
