package service_test

import (
	"context"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// slowCommit is a store whose next Update runs a hook inside the
// transaction, after the transaction's function: the registration has
// checked and written everything and has not committed, as when a commit
// stalls (a slow disk, a lost network) or simply races another replica.
type slowCommit struct {
	store.Store
	inTx atomic.Pointer[func()]
}

func (s *slowCommit) Update(ctx context.Context, fn func(store.Tx) error) error {
	hook := s.inTx.Swap(nil)
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if hook != nil { // once: a transaction PostgreSQL retries runs straight
			f := *hook
			hook = nil
			f()
		}
		return nil
	})
}

// fenceWorld is one replica on PostgreSQL and a real Redis, and the
// enterprise whose plans the tests register.
type fenceWorld struct {
	e    *env
	st   *slowCommit
	rs   *redistest.Server
	uscc string
}

func newFenceWorld(t *testing.T, configure ...func(*service.Config)) *fenceWorld {
	t.Helper()
	pg, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	w := &fenceWorld{st: &slowCommit{Store: pg}, rs: redistest.Start(t)}
	w.e = newEnvWith(t, w.st, func(seed coord.Seeder) (coord.Coordinator, error) {
		return coordredis.Dial(w.rs.Addr(), seed)
	}, configure...)
	w.uscc = w.e.dir.GetEnterprises()[1].GetUscc()
	return w
}

// newBoltFenceWorld is the world on the embedded default: a bbolt file,
// reached through wrapStore if not nil, and coord/local, wrapped by wrap if
// not nil.
func newBoltFenceWorld(t *testing.T, wrapStore func(store.Store) store.Store, wrap func(coord.Coordinator) coord.Coordinator, configure ...func(*service.Config)) *fenceWorld {
	t.Helper()
	var st store.Store
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	if wrapStore != nil {
		st = wrapStore(st)
	}
	w := &fenceWorld{st: &slowCommit{Store: st}}
	w.e = newEnvWith(t, w.st, func(seed coord.Seeder) (coord.Coordinator, error) {
		if wrap == nil {
			return local.New(seed), nil
		}
		return wrap(local.New(seed)), nil
	}, configure...)
	w.uscc = w.e.dir.GetEnterprises()[1].GetUscc()
	return w
}

// register registers r's routine plan at the world's enterprise, days
// ahead: every agency's on the same day, so that two of one agency are
// duplicates.
func (w *fenceWorld) register(r *registrar, days int) (*ruqiv1.RegisterInspectionResponse, error) {
	base := time.Now().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Hour)
	return ruqiv1.NewInspectionServiceClient(w.e.cc).RegisterInspection(w.e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(8 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
}

// plansOf are the ids of agency's registered plans at the enterprise.
func (w *fenceWorld) plansOf(t *testing.T, agency string) []string {
	t.Helper()
	var ids []string
	err := w.st.View(context.Background(), func(r store.Reader) error {
		list, err := r.InspectionsOfEnterprise(w.uscc, store.Page{})
		for _, ins := range list {
			if ins.GetAgencyId() == agency && ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED {
				ids = append(ids, ins.GetId())
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRegister_PGRedis_RedisEmptiedWhileWriting: AG-01's plan P is decided
// and being written when Redis restarts empty; AG-01 registers the same
// visit again (Q) meanwhile, which reseeds the enterprise from the store,
// where P is not yet. Both were written: a duplicate the coordinator had
// refused, and a plan it did not count. The reseed now raises the
// enterprise's fence; P's write fails its check, P is decided again under
// the new state and refused as Q's duplicate.
func TestRegister_PGRedis_RedisEmptiedWhileWriting(t *testing.T) {
	w := newFenceWorld(t)
	// The enterprise's state, seeded, by a plan that P does not join: a
	// joint record written by P's open transaction would hold Q's back.
	if _, err := w.register(w.e.registrar(t, "AG-02"), 5); err != nil {
		t.Fatal(err)
	}
	a1 := w.e.registrar(t, "AG-01")
	var q *ruqiv1.RegisterInspectionResponse
	var qerr error
	meanwhile := func() {
		w.rs.FlushAll()
		q, qerr = w.register(a1, 2)
	}
	w.st.inTx.Store(&meanwhile)
	_, perr := w.register(a1, 2)
	if qerr != nil {
		t.Fatalf("the registration made while Redis was empty: %v", qerr)
	}
	if status.Code(perr) != codes.AlreadyExists {
		t.Errorf("the plan written across the reseed: %v, want ALREADY_EXISTS (a duplicate of %s)", perr, q.GetInspection().GetId())
	}
	if got := w.plansOf(t, "AG-01"); len(got) != 1 || got[0] != q.GetInspection().GetId() {
		t.Errorf("AG-01's registered plans %v, want only %s", got, q.GetInspection().GetId())
	}
}

// TestRegister_PGRedis_CommitPastItsHold: P's commit stalls past its hold;
// another replica's decision after the hold finds P pending and expired,
// checks the store, which does not hold P yet, and drops it; then P's
// commit landed, a plan the coordinator no longer counted, and AG-01's next
// registration of the same visit was accepted beside it. The check now
// raises the fence, which P's transaction read: PostgreSQL aborts P's
// commit, and its retry finds its hold half gone or the fence moved.
func TestRegister_PGRedis_CommitPastItsHold(t *testing.T) {
	const hold = 2 * time.Second
	w := newFenceWorld(t, func(c *service.Config) { c.ConfirmWithin = hold })
	if _, err := w.register(w.e.registrar(t, "AG-02"), 5); err != nil {
		t.Fatal(err)
	}
	// The other replica's coordinator, on the same Redis and store.
	other, err := coordredis.Dial(w.rs.Addr(), w.e.svc.Seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	var derr error
	stall := func() {
		time.Sleep(hold + 200*time.Millisecond)
		start := time.Now().Add(7 * 24 * time.Hour)
		x := coord.Plan{InspectionID: "INS-20990101-OTHERREP", AgencyID: "AG-03", USCC: w.uscc, Start: start, End: start.Add(time.Hour), Grade: "B", ConfirmBy: time.Now().Add(hold)}
		_, derr = other.Decide(context.Background(), x, coord.Policy{Zone: shanghai(t)}, time.Now())
	}
	a1 := w.e.registrar(t, "AG-01")
	w.st.inTx.Store(&stall)
	p, perr := w.register(a1, 2)
	if derr != nil {
		t.Fatalf("the other replica's decision: %v", derr)
	}
	if perr == nil {
		t.Errorf("the plan whose commit outlived its hold was written: %s", p.GetInspection().GetId())
	}
	q, err := w.register(a1, 2)
	if perr == nil {
		if err == nil {
			t.Errorf("AG-01 registered the same visit twice: %s and %s", p.GetInspection().GetId(), q.GetInspection().GetId())
		}
		return
	}
	if err != nil {
		t.Fatalf("AG-01's registration after the failed one: %v", err)
	}
	if got := w.plansOf(t, "AG-01"); len(got) != 1 || got[0] != q.GetInspection().GetId() {
		t.Errorf("AG-01's registered plans %v, want only %s", got, q.GetInspection().GetId())
	}
}

// TestRegister_BoltLocal_CommitPastItsHold: the same on the embedded
// default. P's function holds bbolt's one writer past P's hold; a
// registration of the same visit then found P pending and expired, read the
// store (P not committed yet) and dropped it, and both were written. The
// check of expired plans now goes through the writer (it raises the
// fence), so it waits for P's commit, finds P, and refuses the duplicate.
func TestRegister_BoltLocal_CommitPastItsHold(t *testing.T) {
	const hold = 2 * time.Second
	w := newBoltFenceWorld(t, nil, nil, func(c *service.Config) { c.ConfirmWithin = hold })
	a1 := w.e.registrar(t, "AG-01")
	type answer struct {
		r   *ruqiv1.RegisterInspectionResponse
		err error
	}
	q := make(chan answer, 1)
	stall := func() {
		time.Sleep(hold + 200*time.Millisecond)
		go func() {
			r, err := w.register(a1, 2)
			q <- answer{r, err}
		}()
		// Long enough for Q's decision to read the store while P's
		// commit waits; Q's own write (and, fenced, its check) waits
		// for this writer.
		time.Sleep(time.Second)
	}
	w.st.inTx.Store(&stall)
	p, perr := w.register(a1, 2)
	if perr != nil {
		t.Fatalf("P, written within the writer: %v", perr)
	}
	qa := <-q
	if status.Code(qa.err) != codes.AlreadyExists {
		t.Errorf("the same visit registered again: %v, want ALREADY_EXISTS (a duplicate of %s)", qa.err, p.GetInspection().GetId())
	}
	if got := w.plansOf(t, "AG-01"); len(got) != 1 {
		t.Errorf("AG-01's registered plans %v, want only %s", got, p.GetInspection().GetId())
	}
}

// TestRegister_PGRedis_ReleaseWithARetryOnASlowClock: a request's first
// attempt (replica A) fails its write while its retry, on replica B whose
// clock is 5 s behind, is still writing under the same reservation. The
// release compared holds as times: B's renewed hold looked older than A's,
// so A released the plan B then wrote, and the plan stood uncounted (AG-01
// registered the same visit again beside it). A's release now raises the
// fence first: B's commit fails its check, and B decides the plan again.
func TestRegister_PGRedis_ReleaseWithARetryOnASlowClock(t *testing.T) {
	pgSrv := pgtest.Start(t)
	url := pgSrv.NewDatabase(t)
	rs := redistest.Start(t)
	open := func() store.Store {
		pg, err := postgres.Open(context.Background(), url, postgres.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		return pg
	}
	dial := func(seed coord.Seeder) (coord.Coordinator, error) { return coordredis.Dial(rs.Addr(), seed) }
	stA := &failingUpdate{Store: open()}
	a := newEnvWith(t, stA, dial)
	stB := &slowCommit{Store: open()}
	b := newEnvWith(t, stB, dial, func(c *service.Config) { c.Now = func() time.Time { return time.Now().Add(-5 * time.Second) } })
	w := &fenceWorld{e: a, st: &slowCommit{Store: stA}, uscc: a.dir.GetEnterprises()[1].GetUscc()}
	if _, err := w.register(a.registrar(t, "AG-02"), 5); err != nil { // seeds the enterprise
		t.Fatal(err)
	}
	a1 := a.registrar(t, "AG-01")
	base := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	req := &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: w.uscc, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2],
		WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(8 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查", RequestId: "retry-on-b"}
	inside, proceed := make(chan struct{}), make(chan struct{})
	hold := func() { close(inside); <-proceed }
	stB.inTx.Store(&hold)
	retried := make(chan error, 1)
	startRetry := func() {
		go func() {
			_, err := ruqiv1.NewInspectionServiceClient(b.cc).RegisterInspection(b.as(a1.tok), req)
			retried <- err
		}()
		<-inside // B decided (renewing the hold) and is writing
	}
	stA.before.Store(&startRetry)
	stA.failIn.Store(1) // A's registration write fails
	if _, err := ruqiv1.NewInspectionServiceClient(a.cc).RegisterInspection(a.as(a1.tok), req); status.Code(err) != codes.Unavailable {
		t.Fatalf("A's attempt: %v, want UNAVAILABLE (its write failed)", err)
	}
	close(proceed)
	if err := <-retried; err != nil {
		t.Fatalf("B's retry: %v", err)
	}
	// The plan B wrote is counted: the same visit again is a duplicate.
	again := proto.CloneOf(req)
	again.RequestId = "another"
	if _, err := ruqiv1.NewInspectionServiceClient(a.cc).RegisterInspection(a.as(a1.tok), again); status.Code(err) != codes.AlreadyExists {
		t.Errorf("AG-01 registering the same visit again: %v, want ALREADY_EXISTS", err)
	}
	if got := w.plansOf(t, "AG-01"); len(got) != 1 {
		t.Errorf("AG-01's registered plans %v, want one", got)
	}
}

// TestRegister_FenceAheadOfTheCoordinator_Heals: the store's fence moved
// without the coordinator's following (its part of a raise failed, a store
// restored): every registration for the enterprise failed its check. After
// two rounds the service now forgets the enterprise's state, and the next
// decision reseeds it from the store.
func TestRegister_FenceAheadOfTheCoordinator_Heals(t *testing.T) {
	w := newBoltFenceWorld(t, nil, nil)
	if _, err := w.register(w.e.registrar(t, "AG-02"), 5); err != nil { // seeds the enterprise
		t.Fatal(err)
	}
	err := w.st.Update(context.Background(), func(tx store.Tx) error {
		_, err := inspection.RaiseFence(tx, w.uscc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.register(w.e.registrar(t, "AG-01"), 2); err != nil {
		t.Fatalf("a registration with the store's fence ahead: %v", err)
	}
}

// TestFence_PGRedis_RedisBackFromAnOlderSnapshot_CapHolds: a Redis with
// persistence (Debian's redis.conf saves RDB snapshots; AOF everysec loses
// up to a second; a failover promotes a replica that lags) comes back with
// the state it held a while ago: it knows P1 but not P2, both written in
// PostgreSQL, and no raise came between, so its fence is the store's. The
// third registration of one agency in a year is still over the cap of 2
// (无事不扰): the state from another Redis process is seeded again (an
// operator's trial, 2026-12-05, found it accepted).
func TestFence_PGRedis_RedisBackFromAnOlderSnapshot_CapHolds(t *testing.T) {
	w := newFenceWorld(t)
	a1 := w.e.registrar(t, "AG-01")
	if _, err := w.register(a1, 2); err != nil {
		t.Fatalf("P1: %v", err)
	}
	w.rs.Save()
	if _, err := w.register(a1, 4); err != nil {
		t.Fatalf("P2: %v", err)
	}
	if _, err := w.register(a1, 6); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("P3 before the restart: %v, want RESOURCE_EXHAUSTED", err)
	}
	w.rs.Restart() // loads the snapshot: the state from before P2

	var err error
	for range 50 { // until the coordinator has reconnected
		_, err = w.register(a1, 6)
		if status.Code(err) != codes.Unavailable {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("P3 after Redis came back from an older snapshot: %v, want RESOURCE_EXHAUSTED (agency_per_year 2); AG-01's plans now %v", err, w.plansOf(t, "AG-01"))
	}
}
