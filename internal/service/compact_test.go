package service_test

import (
	"context"
	"path/filepath"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/web"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// notCompactable hides the bolt store's Compact, as a store whose engine
// reclaims space itself (PostgreSQL) has none.
type notCompactable struct{ store.Store }

// watched wraps the store as the server's health watch does, saying what
// it wraps.
type watched struct{ store.Store }

func (w watched) Unwrap() store.Store { return w.Store }

func compactEnv(t *testing.T, wrap func(*bolt.Store) store.Store, maintenance func(bool)) (ruqiv1.AdminServiceClient, context.Context) {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	svc, err := service.New(context.Background(), wrap(st), service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example", Maintenance: maintenance},
		func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	admin, _, _, _ := auth.NewToken()
	if err := svc.EnsureAdminToken(context.Background(), admin); err != nil {
		t.Fatal(err)
	}
	cc, stop, err := web.InProcess(svc.Register, grpc.ChainUnaryInterceptor(auth.UnaryInterceptor(svc.LookupToken)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+admin)
	return ruqiv1.NewAdminServiceClient(cc), ctx
}

// The server is told to stop serving before the compaction and to serve
// again after it; the answer gives both sizes.
func TestCompactStore_MaintenanceAroundIt(t *testing.T) {
	var states []bool
	// Behind a wrapper, as in the server: the bolt store is found.
	c, ctx := compactEnv(t, func(s *bolt.Store) store.Store { return watched{s} }, func(active bool) { states = append(states, active) })
	resp, err := c.CompactStore(ctx, &ruqiv1.CompactStoreRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || !states[0] || states[1] {
		t.Errorf("maintenance states %v, want [true false]", states)
	}
	if resp.GetBytesBefore() <= 0 || resp.GetBytesAfter() <= 0 || resp.GetTook() == nil || resp.GetPlans() != 0 {
		t.Errorf("answer %v lacks the sizes", resp)
	}
}

// A store that cannot be compacted is refused with FailedPrecondition and
// its reason, and the server never leaves service.
func TestCompactStore_NotCompactable_FailedPrecondition(t *testing.T) {
	var states []bool
	c, ctx := compactEnv(t, func(s *bolt.Store) store.Store { return notCompactable{s} }, func(active bool) { states = append(states, active) })
	_, err := c.CompactStore(ctx, &ruqiv1.CompactStoreRequest{})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("compact on a store without Compact: %v, want FailedPrecondition", err)
	}
	if len(states) != 0 {
		t.Errorf("maintenance states %v, want none", states)
	}
}
