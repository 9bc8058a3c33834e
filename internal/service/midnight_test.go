package service_test

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// heldWrite is a store whose next Update, once armed, waits until let go:
// a registration's write still in flight.
type heldWrite struct {
	store.Store
	armed   atomic.Bool
	holding chan struct{} // closed when the held Update is waiting
	letGo   chan struct{}
}

func (s *heldWrite) Update(ctx context.Context, fn func(store.Tx) error) error {
	if s.armed.CompareAndSwap(true, false) {
		close(s.holding)
		<-s.letGo
	}
	return s.Store.Update(ctx, fn)
}

// TestRegister_RetryAcrossMidnight_OnePlan: a request's first attempt
// decides at 23:59:55 and is still writing when its retry comes at
// 00:00:05. The derived id has the day in it, so the retry's own id names
// another plan, a duplicate of the first; it is the same request, and it is
// answered as one: one inspection, under the first attempt's id, for both.
// Found by a read-only review, 2026-12-03 (the retry was refused as a
// duplicate of itself).
func TestRegister_RetryAcrossMidnight_OnePlan(t *testing.T) {
	b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &heldWrite{Store: b, holding: make(chan struct{}), letGo: make(chan struct{})}
	y, m, d := time.Now().In(domain.Shanghai).Date()
	before := time.Date(y, m, d, 23, 59, 55, 0, domain.Shanghai)
	var clock atomic.Pointer[time.Time]
	clock.Store(&before)
	e := newEnvOn(t, st, "", func(c *service.Config) { c.Now = func() time.Time { return *clock.Load() } })
	r := e.registrar(t, "AG-01")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	start := before.Add(48 * time.Hour).Truncate(time.Hour)
	req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(2 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查", RequestId: "across-midnight"}
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	var first *ruqiv1.RegisterInspectionResponse
	var firstErr error
	var wg sync.WaitGroup
	st.armed.Store(true)
	wg.Go(func() { first, firstErr = ins.RegisterInspection(e.as(r.tok), req) })
	<-st.holding
	after := before.Add(10 * time.Second)
	clock.Store(&after)
	retry, err := ins.RegisterInspection(e.as(r.tok), req)
	close(st.letGo)
	wg.Wait()
	if err != nil || firstErr != nil {
		t.Fatalf("first attempt: %v; retry after midnight: %v; want both answered", firstErr, err)
	}
	if first.GetInspection().GetId() != retry.GetInspection().GetId() {
		t.Fatalf("first attempt wrote %s, the retry %s: want one plan", first.GetInspection().GetId(), retry.GetInspection().GetId())
	}
	list, err := ruqiv1.NewEnterpriseServiceClient(e.cc).ListInspections(e.as(e.token(t, ruqiv1.Role_ROLE_ENTERPRISE, uscc)), &ruqiv1.ListInspectionsRequest{})
	if err != nil || len(list.GetInspections()) != 1 {
		t.Fatalf("inspections: %v, %v; want one", list, err)
	}
}
