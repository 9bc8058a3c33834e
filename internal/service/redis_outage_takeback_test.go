package service_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// countingStore counts Update calls.
type countingStore struct {
	store.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

func regWithID(r *registrar, uscc string, start time.Time, rid string) (*ruqiv1.RegisterInspectionResponse, error) {
	i := r.n.Add(1)
	return ruqiv1.NewInspectionServiceClient(r.e.cc).RegisterInspection(r.e.as(r.tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: r.items[:1], OfficerIds: r.officers[:2], RequestId: rid,
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(start.Add(time.Minute)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_CASE, TriggerReference: fmt.Sprintf("B-%d", i), Reason: "基准测试",
	})
}

func fenceOf(t *testing.T, st store.Store, uscc string) int64 {
	var n int64
	if err := st.View(context.Background(), func(r store.Reader) error {
		var err error
		n, err = r.Count(inspection.FenceKey(uscc))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

// Registrations that fail while Redis is down (refused connections) or
// stalled (SIGSTOP) take their reservations back once it answers, at no
// cost meanwhile, and without fencing the registrations that come after:
// each failure tried its release in a goroutine of its own that raised the
// enterprise's fence in the store a dozen times over the hold (2,000 store
// writes for 200 failures), and the releases landing together when Redis
// came back refused registrations in flight REGISTRATION_RESEEDED (21 of
// 640; a review, 2026-12-07). Now the failures at one enterprise wait
// together, and are taken back in one store transaction that raises the
// fence once.
func TestRegister_RedisOutage_TakeBacksCostNoStoreWrites(t *testing.T) {
	t.Run("kill", func(t *testing.T) { redisOutage(t, "kill") })
	t.Run("pause", func(t *testing.T) { redisOutage(t, "pause") })
}

func redisOutage(t *testing.T, mode string) {
	rs := redistest.Start(t)
	bst, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	st := &countingStore{Store: bst}
	e := newEnvOn(t, st, rs.Addr())
	r := e.registrar(t, "AG-01")
	uscc := e.dir.GetEnterprises()[1].GetUscc()
	if _, err := regWithID(r, uscc, r.base, "warm"); err != nil {
		t.Fatal(err)
	}
	f0 := fenceOf(t, st, uscc)
	switch mode {
	case "kill":
		rs.Kill()
	case "pause":
		rs.Pause()
	case "save-kill":
		rs.Save()
		rs.Kill()
	}
	g0 := runtime.NumGoroutine()
	const n = 200
	var wg sync.WaitGroup
	var lat atomic.Int64
	u0 := st.updates.Load()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			t0 := time.Now()
			_, err := regWithID(r, uscc, r.base.Add(time.Duration(i+1)*2*time.Minute), fmt.Sprintf("down-%d", i))
			lat.Add(int64(time.Since(t0)))
			if status.Code(err).String() != "Unavailable" {
				t.Errorf("during the outage: %v", err)
			}
		}(i)
	}
	wg.Wait()
	t.Logf("%d failed registrations: mean latency %v, store updates %d, goroutines +%d", n, time.Duration(lat.Load()/n), st.updates.Load()-u0, runtime.NumGoroutine()-g0)
	time.Sleep(10 * time.Second)
	t.Logf("10 s later: store updates %d, fence raised by %d, goroutines +%d", st.updates.Load()-u0, fenceOf(t, st, uscc)-f0, runtime.NumGoroutine()-g0)
	if u := st.updates.Load() - u0; u != 0 {
		t.Errorf("%d store writes while Redis did not answer, for %d failed registrations; want none", u, n)
	}
	if g := runtime.NumGoroutine() - g0; g > 50 {
		t.Errorf("%d more goroutines for %d failed registrations", g, n)
	}

	// Redis back (empty, as after a crash without persistence).
	if mode == "pause" {
		rs.Resume()
	} else {
		rs.Restart()
	}
	codes := map[string]int{}
	var worst time.Duration
	var mu sync.Mutex
	var wg2 sync.WaitGroup
	for w := 0; w < 16; w++ {
		wg2.Add(1)
		go func(w int) {
			defer wg2.Done()
			for i := 0; i < 40; i++ {
				t0 := time.Now()
				_, err := regWithID(r, uscc, r.base.Add(time.Duration(1000+w*100+i)*2*time.Minute), fmt.Sprintf("conc-%d-%d", w, i))
				d := time.Since(t0)
				mu.Lock()
				worst = max(worst, d)
				if err != nil {
					codes["conc:"+status.Convert(err).Message()]++
				} else {
					codes["conc:ok"]++
				}
				mu.Unlock()
				time.Sleep(50 * time.Millisecond)
			}
		}(w)
	}
	wg2.Wait()
	for i := 0; i < 40; i++ {
		t0 := time.Now()
		_, err := regWithID(r, uscc, r.base.Add(time.Duration(n+i+1)*2*time.Minute), fmt.Sprintf("back-%d", i))
		d := time.Since(t0)
		worst = max(worst, d)
		if err != nil {
			t.Logf("back-%d after %v: %v", i, d, err)
			codes[status.Convert(err).Message()]++
		} else {
			codes["ok"]++
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("after Redis came back: %v, worst latency %v, fence raised by %d in all, goroutines +%d", codes, worst, fenceOf(t, st, uscc)-f0, runtime.NumGoroutine()-g0)
	for k, n := range codes {
		if strings.Contains(k, "重建") {
			t.Errorf("REGISTRATION_RESEEDED %d times after Redis came back: the take-backs' fence raises fenced the registrations in flight", n)
		}
	}
	if raised := fenceOf(t, st, uscc) - f0; raised > 5 {
		t.Errorf("the enterprise's fence raised %d times to take back %d reservations", raised, n)
	}
	// (Registrations right after Redis is back may still answer
	// UNAVAILABLE in this environment: go-redis waits before it dials
	// again; the server's client is replaced at once, serve.reconnect.)
}
