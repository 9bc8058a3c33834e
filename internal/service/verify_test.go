package service_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// TestVerifyDecisions_RedisEmptiedDuringAWrite: a plan is decided and its
// write is in flight when Redis is emptied (a restart, a failover to an
// empty replica). The next decision reseeds the enterprise from the store,
// which does not hold the plan yet, and admits an overlapping plan of the
// same agency. With VerifyDecisions (the server's setting with Redis) the
// store decides in each write: whichever of the two commits second is
// refused as a duplicate of the first. Without it both were written
// (found by a read-only review, 2026-12-03).
func TestVerifyDecisions_RedisEmptiedDuringAWrite(t *testing.T) {
	b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &heldWrite{Store: b, holding: make(chan struct{}), letGo: make(chan struct{})}
	rs := redistest.Start(t)
	e := newEnvOn(t, st, rs.Addr(), func(c *service.Config) { c.VerifyDecisions = true })
	r := e.registrar(t, "AG-01")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	ins := ruqiv1.NewInspectionServiceClient(e.cc)
	register := func(rid string, from time.Time) (*ruqiv1.RegisterInspectionResponse, error) {
		return ins.RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查", RequestId: rid})
	}
	// The enterprise is known to Redis before.
	if _, err := register("earlier", start.Add(-24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var first *ruqiv1.RegisterInspectionResponse
	var firstErr error
	var wg sync.WaitGroup
	st.armed.Store(true)
	wg.Go(func() { first, firstErr = register("first", start) })
	<-st.holding // decided, pending in Redis, its write waiting
	rs.FlushAll()
	second, secondErr := register("second", start.Add(30*time.Minute))
	close(st.letGo)
	wg.Wait()
	switch {
	case firstErr == nil && secondErr == nil:
		t.Fatalf("two overlapping plans of one agency written: %s and %s", first.GetInspection().GetId(), second.GetInspection().GetId())
	case firstErr != nil && secondErr != nil:
		t.Fatalf("both refused: %v; %v", firstErr, secondErr)
	}
	refused := firstErr
	if refused == nil {
		refused = secondErr
	}
	if status.Code(refused) != codes.AlreadyExists {
		t.Errorf("the plan written second: %v, want AlreadyExists (DUPLICATE_PLAN)", refused)
	}
	// The coordinator reads the store again: a third overlapping plan is a
	// duplicate at the decision.
	_, err = register("third", start.Add(time.Hour))
	if status.Code(err) != codes.AlreadyExists {
		t.Errorf("a third overlapping plan: %v, want AlreadyExists", err)
	}
}
