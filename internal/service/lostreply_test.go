package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// lostReply is a store whose next Update commits but answers as a database
// that went away at that moment does, and which then cannot be read: the
// registration does not know whether its plan was written.
type lostReply struct {
	store.Store
	armed, down atomic.Bool
}

func (s *lostReply) Update(ctx context.Context, fn func(store.Tx) error) error {
	err := s.Store.Update(ctx, fn)
	if err == nil && s.armed.CompareAndSwap(true, false) {
		s.down.Store(true)
		return fmt.Errorf("%w: connection reset while committing", store.ErrUnavailable)
	}
	return err
}

func (s *lostReply) View(ctx context.Context, fn func(store.Reader) error) error {
	if s.down.Load() {
		return fmt.Errorf("%w: connection refused", store.ErrUnavailable)
	}
	return s.Store.View(ctx, fn)
}

// TestRegister_UncertainCommit_KeepsTheReservation: a registration whose
// commit's answer was lost, with the store then unreadable, leaves its
// plan counted by the coordinator (pending, settled against the store
// when its hold is over): the plan may well be written. Releasing it then
// let an overlapping plan of the same agency in beside the one the store
// held. Found by a read-only review, 2026-12-03.
func TestRegister_UncertainCommit_KeepsTheReservation(t *testing.T) {
	b, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &lostReply{Store: b}
	e := newEnvOn(t, st, "")
	r := e.registrar(t, "AG-01")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	start := time.Now().Add(24 * time.Hour).Truncate(time.Hour)
	register := func(requestID string, from time.Time) error {
		_, err := ruqiv1.NewInspectionServiceClient(e.cc).RegisterInspection(e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
			EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2],
			WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(from.Add(2 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查", RequestId: requestID})
		return err
	}
	st.armed.Store(true)
	wantCode(t, "the registration whose answer was lost", register("first", start), codes.Unavailable)
	st.down.Store(false)
	// The plan was written; an overlapping one of the same agency is a
	// duplicate of it.
	wantCode(t, "an overlapping plan of the same agency", register("second", start.Add(time.Hour)), codes.AlreadyExists)
	// The first request retried is answered with what was written.
	if err := register("first", start); err != nil {
		t.Errorf("the first request retried: %v", err)
	}
}
