package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// failingUpdate is a store whose update fails, without writing, when its
// countdown reaches zero: failIn = 2 fails the second update from then on.
// before, if set, runs once before the next update begins; beforeView
// before the next read.
type failingUpdate struct {
	store.Store
	failIn     atomic.Int32
	before     atomic.Pointer[func()]
	beforeView atomic.Pointer[func()]
}

func (s *failingUpdate) View(ctx context.Context, fn func(store.Reader) error) error {
	if f := s.beforeView.Swap(nil); f != nil {
		(*f)()
	}
	return s.Store.View(ctx, fn)
}

func (s *failingUpdate) Update(ctx context.Context, fn func(store.Tx) error) error {
	if f := s.before.Swap(nil); f != nil {
		(*f)()
	}
	if s.failIn.Add(-1) == 0 {
		return fmt.Errorf("%w: connection reset", store.ErrUnavailable)
	}
	return s.Store.Update(ctx, fn)
}

// handOverWorld is a joint visit of two agencies at one enterprise: AG-01's
// plan holds it, AG-02's joined it. Cancelling AG-01's plan hands the visit
// to AG-02's.
type handOverWorld struct {
	e              *env
	st             *failingUpdate
	holder, joined string
	cancel         func() error
}

func newHandOverWorld(t *testing.T) *handOverWorld {
	t.Helper()
	w := newHandOverStore(t, nil)
	w.holder = w.registerRoutine(t, w.e.registrar(t, "AG-01")).GetInspection().GetId()
	joined := w.registerRoutine(t, w.e.registrar(t, "AG-02"))
	if joined.GetJointInspection().GetId() == "" {
		t.Fatal("AG-02's plan did not join AG-01's visit")
	}
	w.joined = joined.GetInspection().GetId()
	return w
}

// newHandOverStore is the world's server and store, with no plans yet, on
// the coordinator wrap makes of the in-process one (as it is if nil).
func newHandOverStore(t *testing.T, wrap func(coord.Coordinator) coord.Coordinator) *handOverWorld {
	t.Helper()
	return newHandOverStoreWith(t, func(seed coord.Seeder) (coord.Coordinator, error) {
		if wrap == nil {
			return local.New(seed), nil
		}
		return wrap(local.New(seed)), nil
	})
}

// newHandOverStoreWith is newHandOverStore on the coordinator newCoord makes.
func newHandOverStoreWith(t *testing.T, newCoord func(coord.Seeder) (coord.Coordinator, error)) *handOverWorld {
	t.Helper()
	b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return newHandOverOn(t, b, newCoord)
}

// newHandOverOn is the world's server on store st and the coordinator
// newCoord makes, with no plans yet.
func newHandOverOn(t *testing.T, st store.Store, newCoord func(coord.Seeder) (coord.Coordinator, error)) *handOverWorld {
	t.Helper()
	w := &handOverWorld{st: &failingUpdate{Store: st}}
	w.e = newEnvWith(t, w.st, newCoord)
	a1 := w.e.registrar(t, "AG-01")
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	w.cancel = func() error {
		_, err := ins.CancelInspection(w.e.as(a1.tok), &ruqiv1.CancelInspectionRequest{InspectionId: w.holder, Reason: "计划调整"})
		return err
	}
	return w
}

// counted says whether AG-02's plan is counted as joining another's visit
// (a visit avoided) and how many WITHDRAWN events the log holds.
func (w *handOverWorld) counted(t *testing.T) (joined bool, withdrawn int) {
	t.Helper()
	err := w.st.View(context.Background(), func(r store.Reader) error {
		var err error
		if joined, err = report.PlanJoined(r, w.joined, false); err != nil {
			return err
		}
		return r.Events(0, func(e *ruqiv1.Event) error {
			if e.GetType() == ruqiv1.EventType_EVENT_TYPE_WITHDRAWN && e.GetInspectionId() == w.holder {
				withdrawn++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return joined, withdrawn
}

// TestCancel_SecondWriteFails_RetryHandsTheVisitOver: a cancellation writes
// the cancellation, asks the coordinator, then writes who holds the visit
// now. When that second write failed, a retry answered ALREADY_CANCELLED
// and AG-02's plan stayed counted as a visit avoided for good (review,
// 2026-12-03). The retry now finishes it, once.
func TestCancel_SecondWriteFails_RetryHandsTheVisitOver(t *testing.T) {
	w := newHandOverWorld(t)
	if joined, _ := w.counted(t); !joined {
		t.Fatal("before the cancellation, AG-02's plan is not counted as joined")
	}
	w.st.failIn.Store(2)
	wantCode(t, "the cancellation whose second write failed", w.cancel(), codes.Unavailable)
	if joined, n := w.counted(t); !joined || n != 0 {
		t.Fatalf("after the failed write: joined %v, %d WITHDRAWN; want the hand-over unwritten", joined, n)
	}
	if err := w.cancel(); err != nil {
		t.Fatalf("the retried cancellation: %v", err)
	}
	if joined, n := w.counted(t); joined || n != 1 {
		t.Errorf("after the retry: AG-02's plan joined %v, %d WITHDRAWN; want it holding the visit, 1 event", joined, n)
	}
	wantCode(t, "a third cancellation", w.cancel(), codes.FailedPrecondition)
	if _, n := w.counted(t); n != 1 {
		t.Errorf("%d WITHDRAWN events after a third cancellation, want 1", n)
	}
}

// TestCancel_SecondWriteFails_RetryOnRedis: the same on the replicas'
// coordinator, a real redis-server, whose withdrawal of a plan it no longer
// holds answers nothing held, as the in-process one does.
func TestCancel_SecondWriteFails_RetryOnRedis(t *testing.T) {
	addr := redistest.Start(t).Addr()
	w := newHandOverStoreWith(t, func(seed coord.Seeder) (coord.Coordinator, error) { return coordredis.Dial(addr, seed) })
	w.holder = w.registerRoutine(t, w.e.registrar(t, "AG-01")).GetInspection().GetId()
	w.joined = w.registerRoutine(t, w.e.registrar(t, "AG-02")).GetInspection().GetId()
	w.st.failIn.Store(2)
	wantCode(t, "the cancellation whose second write failed", w.cancel(), codes.Unavailable)
	if err := w.cancel(); err != nil {
		t.Fatalf("the retried cancellation: %v", err)
	}
	if joined, n := w.counted(t); joined || n != 1 {
		t.Errorf("after the retry: AG-02's plan joined %v, %d WITHDRAWN; want it holding the visit, 1 event", joined, n)
	}
}

// TestCancel_SecondWriteFails_FinishedAtStart: nobody retries; the next
// start finishes the hand-over, once however often it runs.
func TestCancel_SecondWriteFails_FinishedAtStart(t *testing.T) {
	w := newHandOverWorld(t)
	w.st.failIn.Store(2)
	wantCode(t, "the cancellation whose second write failed", w.cancel(), codes.Unavailable)
	for range 2 {
		if err := w.e.svc.FinishWithdrawals(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if joined, n := w.counted(t); joined || n != 1 {
		t.Errorf("after the start: AG-02's plan joined %v, %d WITHDRAWN; want it holding the visit, 1 event", joined, n)
	}
	wantCode(t, "the cancellation retried after the start", w.cancel(), codes.FailedPrecondition)
}

// TestCancel_TwoReplicasFinishTheSameWithdrawal: replicas starting together
// both read the mark; the one that writes second finds it gone and writes
// nothing (here the second replica's whole finish runs just before the
// first one's write).
func TestCancel_TwoReplicasFinishTheSameWithdrawal(t *testing.T) {
	w := newHandOverWorld(t)
	w.st.failIn.Store(2)
	wantCode(t, "the cancellation whose second write failed", w.cancel(), codes.Unavailable)
	other := func() {
		if err := w.e.svc.FinishWithdrawals(context.Background()); err != nil {
			t.Error(err)
		}
	}
	w.st.before.Store(&other)
	if err := w.e.svc.FinishWithdrawals(context.Background()); err != nil {
		t.Fatal(err)
	}
	if joined, n := w.counted(t); joined || n != 1 {
		t.Errorf("after two finishes: AG-02's plan joined %v, %d WITHDRAWN; want it holding the visit, 1 event", joined, n)
	}
}

// TestCancel_OfAPlanAlone_LeavesNoMark: a plan in no joint visit leaves
// nothing for the start to finish.
func TestCancel_OfAPlanAlone_LeavesNoMark(t *testing.T) {
	w := newHandOverWorld(t)
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	r := w.e.registrar(t, "AG-03")
	alone, err := r.register(w.e.dir.GetEnterprises()[1].GetUscc(), time.Now().Add(72*time.Hour)) // in 锦江区, AG-03's territory
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ins.CancelInspection(w.e.as(r.tok), &ruqiv1.CancelInspectionRequest{InspectionId: alone.GetInspection().GetId(), Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	marks := 0
	err = w.st.View(context.Background(), func(rd store.Reader) error {
		return rd.Counts("withdrawal_pending|", func(_ string, n int64) error {
			if n != 0 { // a cleared mark stays as a zero counter
				marks++
			}
			return nil
		})
	})
	if err != nil || marks != 0 {
		t.Errorf("%d withdrawal marks after cancelling a plan alone (%v), want 0", marks, err)
	}
}

// TestCancel_AfterTheEnterpriseMoved_TakesBackWhereCounted: the joint
// visit's two plans are counted under the enterprise's region; then a
// re-import moves it to another district, and AG-01's plan, which held the
// visit, is cancelled. Its counts were taken back under the new region (the
// old kept 2 inspections, the new showed −1), and the hand-over's too
// (review, 2026-12-03). They are taken back where they were counted.
func TestCancel_AfterTheEnterpriseMoved_TakesBackWhereCounted(t *testing.T) {
	w := newHandOverWorld(t)
	ent := proto.Clone(w.e.dir.GetEnterprises()[1]).(*ruqiv1.Enterprise)
	from, to := ent.GetRegionCode(), "510116"
	if from == to {
		to = "510115"
	}
	sup := w.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	month := time.Now().Add(48 * time.Hour).In(shanghai(t)).Format("2006-01")
	byRegion := func() map[string][2]int64 {
		t.Helper()
		rep, err := ruqiv1.NewReportServiceClient(w.e.cc).GetFrequencyReport(w.e.as(sup), &ruqiv1.GetFrequencyReportRequest{
			FromMonth: month, ToMonth: month, GroupBy: ruqiv1.GroupBy_GROUP_BY_REGION})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][2]int64{}
		for _, r := range rep.GetRows() {
			out[r.GetKey()] = [2]int64{r.GetInspections(), r.GetVisits()}
		}
		return out
	}
	if got := byRegion(); got[from] != [2]int64{2, 1} {
		t.Fatalf("before the move, %s counts (inspections, visits) %v, want [2 1]", from, got[from])
	}
	ent.RegionCode = to
	if _, err := ruqiv1.NewDirectoryServiceClient(w.e.cc).ImportDirectory(w.e.as(w.e.admin), &ruqiv1.ImportDirectoryRequest{
		Directory: &ruqiv1.Directory{Enterprises: []*ruqiv1.Enterprise{ent}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.cancel(); err != nil {
		t.Fatal(err)
	}
	got := byRegion()
	if got[from] != [2]int64{1, 1} || got[to] != [2]int64{} {
		t.Errorf("after the move and the cancellation: %s %v, %s %v; want [1 1] and nothing", from, got[from], to, got[to])
	}
}

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
