package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	cc, stop, err := web.InProcess(svc.Register, grpc.ChainUnaryInterceptor(auth.UnaryInterceptor(svc.LookupToken)),
		grpc.ChainStreamInterceptor(auth.StreamInterceptor(svc.LookupToken)))
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

// heldCompact holds its Compact until released.
type heldCompact struct {
	*bolt.Store
	entered, release chan struct{}
	once             *sync.Once
}

func (h heldCompact) Compact(ctx context.Context) (store.CompactReport, error) {
	h.once.Do(func() { close(h.entered) })
	<-h.release
	return h.Store.Compact(ctx)
}

// A second compaction while one runs (an administrator trying again after
// the CLI gave up waiting) is refused: it used to wait behind the first,
// whose end reported SERVING while the second still ran. (Found by a
// read-only review, 2026-12-03.)
func TestCompactStore_OneAtATime(t *testing.T) {
	h := heldCompact{entered: make(chan struct{}), release: make(chan struct{}), once: &sync.Once{}}
	var states []bool
	admin, ctx := compactEnv(t, func(st *bolt.Store) store.Store { h.Store = st; return h }, func(active bool) { states = append(states, active) })
	done := make(chan error, 1)
	go func() {
		_, err := admin.CompactStore(ctx, &ruqiv1.CompactStoreRequest{})
		done <- err
	}()
	<-h.entered
	// Bounded: before the fix the second call waited for the first, held.
	ctx2, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, err := admin.CompactStore(ctx2, &ruqiv1.CompactStoreRequest{})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "正在进行") {
		t.Fatalf("a second compaction meanwhile: %v, want FAILED_PRECONDITION COMPACT_IN_PROGRESS", err)
	}
	close(h.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(states) != "[true false]" {
		t.Fatalf("maintenance %v, want [true false]: one compaction, NOT_SERVING once", states)
	}
	if _, err := admin.CompactStore(ctx, &ruqiv1.CompactStoreRequest{}); err != nil {
		t.Fatalf("a compaction after the first: %v", err)
	}
}
