package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// lostReplyCoord: Decide of plan lose runs in Redis and its answer is
// "lost" (coord.ErrOutcomeUnknown, as after Redis stalled past the
// client's read timeout); Release fails as unavailable while down.
type lostReplyCoord struct {
	coord.Coordinator
	armed    atomic.Bool
	lost     string
	down     atomic.Bool
	released chan string
}

func (c *lostReplyCoord) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	d, err := c.Coordinator.Decide(ctx, p, pol, now)
	if err == nil && c.armed.CompareAndSwap(true, false) {
		c.lost = p.InspectionID
		return coord.Decision{}, fmt.Errorf("%w: redis: decide: i/o timeout (%w)", coord.ErrUnavailable, coord.ErrOutcomeUnknown)
	}
	return d, err
}

func (c *lostReplyCoord) loseNext(*testing.T) { c.armed.Store(true) }

func (c *lostReplyCoord) Release(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	if c.down.Load() {
		return coord.Decision{}, fmt.Errorf("%w: redis: settle: i/o timeout", coord.ErrUnavailable)
	}
	d, err := c.Coordinator.Release(ctx, p, fence, now)
	if err == nil {
		select {
		case c.released <- p.InspectionID:
		default:
		}
	}
	return d, err
}

// inWriteOf runs hook once, inside the transaction that writes inspection
// id, after the transaction's function succeeded.
type inWriteOf struct {
	store.Store
	id   atomic.Pointer[string]
	hook func()
}

func (s *inWriteOf) Update(ctx context.Context, fn func(store.Tx) error) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if id := s.id.Load(); id != nil {
			if _, err := tx.Inspection(*id); err == nil {
				s.id.Store(nil)
				s.hook()
			}
		}
		return nil
	})
}

// A registration's first attempt gets no answer from its decision, which
// ran: plan X is reserved, and its release, Redis not answering, goes on in
// the background. The officer retries the same request on a replica whose
// clock is 5 s behind: fenced on the state's old fence, the state is
// forgotten and seeded again, and X decided afresh, held until 5 s before
// the first hold ends. Redis answers again while X is being written. The
// background release retried with the fence its first try raised: the
// rebuilt state took that older fence as current, and X, held no later
// than the failed attempt's hold, was released, then written uncounted, so
// that the same agency's plan for the same window was accepted beside it
// (a review, 2026-12-07). Each try now reads the store and raises its fence
// again: it finds X written and confirms it.
func TestRegister_UnsureDecision_BackgroundReleaseSparesTheRetrysPlan(t *testing.T) {
	rs := redistest.Start(t)
	bst, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	var skew atomic.Int64
	lc := &lostReplyCoord{released: make(chan string, 1)}
	st := &inWriteOf{Store: bst}
	e := newEnvWith(t, st, func(seed coord.Seeder) (coord.Coordinator, error) {
		rc, err := coordredis.Dial(rs.Addr(), seed)
		lc.Coordinator = rc
		return lc, err
	}, func(c *service.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	a1 := e.registrar(t, "AG-01")
	base := time.Now().Add(3 * 24 * time.Hour).Truncate(time.Hour)
	reg := func(rid string) (*ruqiv1.RegisterInspectionResponse, error) {
		return ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(a1.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: a1.items[:1], OfficerIds: a1.officers[:2], RequestId: rid,
			WindowStart: timestamppb.New(base), WindowEnd: timestamppb.New(base.Add(8 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"})
	}
	// The enterprise seeded by another agency's plan.
	if _, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(e.registrar(t, "AG-02").tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: e.registrar(t, "AG-02").items[:1], OfficerIds: e.registrar(t, "AG-02").officers[:2],
		WindowStart: timestamppb.New(base.Add(48 * time.Hour)), WindowEnd: timestamppb.New(base.Add(50 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"}); err != nil {
		t.Fatal(err)
	}

	const rid = "review-R-1"
	// R's first attempt: its decision runs, its answer is lost, and Redis
	// does not answer the release.
	lc.down.Store(true)
	var x string
	lc.loseNext(t)
	if _, err := reg(rid); status.Code(err) != codes.Unavailable {
		t.Fatalf("first attempt: %v, want UNAVAILABLE", err)
	}
	x = lc.lost
	t.Logf("X = %s, reserved, its release pending in the background", x)

	// The retry, on a replica whose clock is 5 s behind. Inside its write,
	// Redis answers replica 1 again and its background release lands.
	skew.Store(int64(retrySkew))
	st.hook = func() {
		// Redis answers again while X is written; a release that does not
		// wait for the store lands meanwhile.
		lc.down.Store(false)
		select {
		case <-lc.released:
		case <-time.After(time.Second):
		}
	}
	st.id.Store(&x)
	b, err := reg(rid)
	if err != nil {
		t.Fatalf("the retry of R: %v", err)
	}
	if b.GetInspection().GetId() != x {
		t.Fatalf("the retry wrote %s, want %s", b.GetInspection().GetId(), x)
	}
	skew.Store(0)
	// The same agency, the same window, a new request: a duplicate of X.
	c, err := reg("review-R-2")
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("AG-01's second plan for X's window: %v (%s), want ALREADY_EXISTS: X (written) is no longer counted", err, c.GetInspection().GetId())
	}
}

var retrySkew = -5 * time.Second
