package service_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/ruqi/ruqi/internal/coord"
	coordredis "github.com/ruqi/ruqi/internal/coord/redis"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// totals are the report's inspections, visits and joined plans over the
// world's month, as the 司法局 reads them.
func (w *handOverWorld) totals(t *testing.T) (ins, visits, joined int64) {
	t.Helper()
	sup := w.e.token(t, ruqiv1.Role_ROLE_SUPERVISOR, "510100")
	month := time.Now().Add(48 * time.Hour).In(shanghai(t)).Format("2006-01")
	rep, err := ruqiv1.NewReportServiceClient(w.e.cc).GetFrequencyReport(w.e.as(sup), &ruqiv1.GetFrequencyReportRequest{
		FromMonth: month, ToMonth: month, GroupBy: ruqiv1.GroupBy_GROUP_BY_REGION})
	if err != nil {
		t.Fatal(err)
	}
	tt := rep.GetTotals()
	return tt.GetInspections(), tt.GetVisits(), tt.GetJoinedPlans()
}

// TestCancel_HeirCancelledBeforeItsOwnWithdrawal: AG-02's cancellation has
// written its first step, not yet asked the coordinator, when AG-01's plan,
// which holds the visit, is cancelled: the coordinator names AG-02's plan
// heir. The store handed the visit to a cancelled plan and took its joined
// count back a second time (0 inspections, 1 visit, −1 joined). This and
// the next five: a third read-only review, 2026-12-04.
func TestCancel_HeirCancelledBeforeItsOwnWithdrawal(t *testing.T) {
	heirCancelledBeforeItsOwnWithdrawal(t, newHandOverWorld(t))
}

// heirCancelledBeforeItsOwnWithdrawal runs the scenario above on w, whose
// holder and joined plans are registered.
func heirCancelledBeforeItsOwnWithdrawal(t *testing.T, w *handOverWorld) {
	t.Helper()
	if i, v, j := w.totals(t); i != 2 || v != 1 || j != 1 {
		t.Fatalf("before: %d inspections %d visits %d joined", i, v, j)
	}
	a2 := w.e.registrar(t, "AG-02")
	cancelHolder := func() {
		if err := w.cancel(); err != nil {
			t.Error(err)
		}
	}
	// AG-02's cancellation: first Update, then fillJointOf's View, then the
	// coordinator: AG-01's cancellation runs at that View.
	arm := func() { w.st.beforeView.Store(&cancelHolder) }
	w.st.before.Store(&arm)
	if _, err := ruqiv1.NewInspectionServiceClient(w.e.cc).CancelInspection(w.e.as(a2.tok), &ruqiv1.CancelInspectionRequest{InspectionId: w.joined, Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	if err := w.e.svc.FinishWithdrawals(context.Background()); err != nil {
		t.Fatal(err)
	}
	if i, v, j := w.totals(t); i != 0 || v != 0 || j != 0 {
		t.Errorf("both plans cancelled: %d inspections, %d visits, %d joined; want all 0", i, v, j)
	}
}

// hookedDecide runs hook, if set, once as the next Decide begins.
type hookedDecide struct {
	coord.Coordinator
	hook atomic.Pointer[func()]
}

func (c *hookedDecide) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	if f := c.hook.Swap(nil); f != nil {
		(*f)()
	}
	return c.Coordinator.Decide(ctx, p, pol, now)
}

// TestCancel_HeirByDecisionOrder_ThenReseed: AG-02's plan is registered
// before AG-03's but decided after it, so the coordinator hands AG-01's
// visit to AG-03's. A reseed gave it back to the earliest registered,
// AG-02's, which the store does not count as holding it; cancelling
// AG-03's then handed nothing on, and AG-02's, alone, stayed a visit
// avoided. The seed now keeps the visit with the plan the store counts.
func TestCancel_HeirByDecisionOrder_ThenReseed(t *testing.T) {
	var hc *hookedDecide
	w := newHandOverStore(t, func(c coord.Coordinator) coord.Coordinator { hc = &hookedDecide{Coordinator: c}; return hc })
	heirByDecisionOrder(t, w, hc, func() {
		if err := hc.Forget(context.Background(), w.e.dir.GetEnterprises()[1].GetUscc()); err != nil {
			t.Fatal(err)
		}
	})
}

// heirByDecisionOrder runs the scenario above; lose makes the coordinator
// lose the enterprise's state.
func heirByDecisionOrder(t *testing.T, w *handOverWorld, hc *hookedDecide, lose func()) {
	t.Helper()
	w.holder = w.registerRoutine(t, w.e.registrar(t, "AG-01")).GetInspection().GetId()
	a3 := w.e.registrar(t, "AG-03")
	var third string
	first := func() { third = w.registerRoutine(t, a3).GetInspection().GetId() }
	hc.hook.Store(&first)
	w.joined = w.registerRoutine(t, w.e.registrar(t, "AG-02")).GetInspection().GetId()
	if err := w.cancel(); err != nil {
		t.Fatal(err)
	}
	if i, v, j := w.totals(t); i != 2 || v != 1 || j != 1 {
		t.Fatalf("after AG-01's cancellation: %d inspections %d visits %d joined", i, v, j)
	}
	lose()
	// The coordinator seeds on a decision, not on a withdrawal: register
	// and cancel a short AG-04 plan first.
	a4 := w.e.registrar(t, "AG-04")
	p4, err := a4.register(w.e.dir.GetEnterprises()[1].GetUscc(), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	if _, err := ins.CancelInspection(w.e.as(a4.tok), &ruqiv1.CancelInspectionRequest{InspectionId: p4.GetInspection().GetId(), Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ins.CancelInspection(w.e.as(a3.tok), &ruqiv1.CancelInspectionRequest{InspectionId: third, Reason: "计划调整"}); err != nil {
		t.Fatal(err)
	}
	if i, v, j := w.totals(t); i != 1 || v != 1 || j != 0 {
		t.Errorf("AG-02's plan left alone: %d inspections, %d visits, %d joined; want 1 1 0", i, v, j)
	}
}

// TestCancel_JoinedAfterTheJointWasRead_CoordinatorFails: AG-02's plan
// joined AG-01's after the cancellation read AG-01's as alone, and the
// coordinator then failed: the second write took the plan as alone. It reads
// the joint inspection in its own transaction now; and since the
// cancellation raises the fence, AG-02's plan is decided again on a state
// rebuilt from the store, and joins nothing.
func TestCancel_JoinedAfterTheJointWasRead_CoordinatorFails(t *testing.T) {
	var hw *failingWithdraw
	w := newHandOverStore(t, func(c coord.Coordinator) coord.Coordinator { hw = &failingWithdraw{Coordinator: c}; return hw })
	w.holder = w.registerRoutine(t, w.e.registrar(t, "AG-01")).GetInspection().GetId()
	a2 := w.e.registrar(t, "AG-02")
	join := func() {
		resp := w.registerRoutine(t, a2)
		if j := resp.GetJointInspection().GetId(); j != "" {
			t.Errorf("AG-02's plan joined %s, the visit of a plan cancelled", j)
		}
		w.joined = resp.GetInspection().GetId()
		hw.fail.Store(true)
	}
	hw.hook.Store(&join)
	if err := w.cancel(); err != nil {
		t.Fatal(err)
	}
	if err := w.e.svc.FinishWithdrawals(context.Background()); err != nil {
		t.Fatal(err)
	}
	if i, v, j := w.totals(t); i != 1 || v != 1 || j != 0 {
		t.Errorf("AG-02's plan left: %d inspections, %d visits, %d joined; want 1 1 0", i, v, j)
	}
}

// TestCancel_ALateDecisionListsNoCancelledPlan: AG-03's registration,
// decided into the visit, commits after AG-01's cancellation (retried after
// a failed second write, or not): its decision, made earlier, listed
// AG-01's plan and agency as lead. The record leaves out cancelled plans.
func TestCancel_ALateDecisionListsNoCancelledPlan(t *testing.T) {
	for _, fail := range []bool{false, true} {
		w := newHandOverWorld(t)
		a3 := w.e.registrar(t, "AG-03")
		cancel := func() {
			if fail {
				w.st.failIn.Store(2)
				wantCode(t, "the cancellation whose second write failed", w.cancel(), codes.Unavailable)
			}
			if err := w.cancel(); err != nil {
				t.Error(err)
			}
		}
		// AG-03's registration: View, Decide, then Update: the
		// cancellation runs before that Update.
		w.st.before.Store(&cancel)
		third := w.registerRoutine(t, a3).GetInspection().GetId()
		var members []string
		var lead, joint2, joint3 string
		err := w.st.View(context.Background(), func(r store.Reader) error {
			joint2, _, _ = r.JointOf(w.joined)
			joint3, _, _ = r.JointOf(third)
			if j, err := r.JointInspection(joint3); err == nil {
				members, lead = j.GetInspectionIds(), j.GetLeadAgencyId()
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("second write failed=%v: AG-02 in %q, AG-03 in %q: members %v lead %s", fail, joint2, joint3, members, lead)
		if slices.Contains(members, w.holder) || lead != "AG-02" {
			t.Errorf("second write failed=%v: joint inspection %v led by %s; want AG-02's and AG-03's plans, AG-02 leading", fail, members, lead)
		}
		if i, v, j := w.totals(t); i != 2 || v != 1 || j != 1 {
			t.Errorf("second write failed=%v: %d inspections, %d visits, %d joined; want 2 1 1", fail, i, v, j)
		}
	}
}

// newHandOverPGRedis is newHandOverStore on PostgreSQL and a real Redis.
func newHandOverPGRedis(t *testing.T, wrap func(coord.Coordinator) coord.Coordinator) (*handOverWorld, *redistest.Server) {
	t.Helper()
	url := pgtest.Start(t).NewDatabase(t)
	pg, err := postgres.Open(context.Background(), url, postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	rs := redistest.Start(t)
	w := newHandOverOn(t, pg, func(seed coord.Seeder) (coord.Coordinator, error) {
		c, err := coordredis.Dial(rs.Addr(), seed)
		if err != nil || wrap == nil {
			return c, err
		}
		return wrap(c), nil
	})
	return w, rs
}

// TestCancel_PGRedis_HeirCancelledBeforeItsOwnWithdrawal: the first, on
// the replicas' configuration (PostgreSQL and Redis).
func TestCancel_PGRedis_HeirCancelledBeforeItsOwnWithdrawal(t *testing.T) {
	w, _ := newHandOverPGRedis(t, nil)
	w.holder = w.registerRoutine(t, w.e.registrar(t, "AG-01")).GetInspection().GetId()
	w.joined = w.registerRoutine(t, w.e.registrar(t, "AG-02")).GetInspection().GetId()
	heirCancelledBeforeItsOwnWithdrawal(t, w)
}

// TestCancel_PGRedis_HeirByDecisionOrder_ThenFlush: the second, with Redis
// emptied instead of the enterprise forgotten.
func TestCancel_PGRedis_HeirByDecisionOrder_ThenFlush(t *testing.T) {
	var hc *hookedDecide
	w, rs := newHandOverPGRedis(t, func(c coord.Coordinator) coord.Coordinator { hc = &hookedDecide{Coordinator: c}; return hc })
	heirByDecisionOrder(t, w, hc, rs.FlushAll)
}
