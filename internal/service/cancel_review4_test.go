package service_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// TestCancel_HolderCancelledBeforeTheJoinerIsWritten: AG-02's plan is
// decided into AG-01's visit, and AG-01's plan is cancelled in full before
// AG-02's registration commits: the coordinator made AG-02's plan the heir
// while the store did not hold it, and its registration then counted it as
// joined (1 inspection, 0 visits). The hand-over leaves a note the
// registration reads. This and the next two: a fourth read-only review,
// 2026-12-04.
func TestCancel_HolderCancelledBeforeTheJoinerIsWritten(t *testing.T) {
	w := newHandOverStore(t, nil)
	w.holder = w.registerRoutine(t, w.e.registrar(t, "AG-01")).GetInspection().GetId()
	a2 := w.e.registrar(t, "AG-02")
	cancel := func() {
		if err := w.cancel(); err != nil {
			t.Error(err)
		}
	}
	w.st.before.Store(&cancel) // runs before AG-02's registration's Update
	resp := w.registerRoutine(t, a2)
	w.joined = resp.GetInspection().GetId()
	err := w.st.View(context.Background(), func(r store.Reader) error {
		jo, v, _ := r.JointOf(w.joined)
		t.Logf("AG-02's plan: response joint %q; joint_of %q v%d", resp.GetJointInspection().GetId(), jo, v)
		if j, err := r.JointInspection(coord.JointIDFor(w.holder)); err == nil {
			t.Logf("joint record %s: members %v lead %s", j.GetId(), j.GetInspectionIds(), j.GetLeadAgencyId())
			if len(j.GetInspectionIds()) < 2 {
				t.Errorf("joint record %s has %d member(s) %v: a joint inspection of one plan", j.GetId(), len(j.GetInspectionIds()), j.GetInspectionIds())
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if joined, _ := w.counted(t); joined {
		t.Errorf("AG-02's plan, alone in the coordinator, is counted as a visit avoided")
	}
	if i, v, j := w.totals(t); i != 1 || v != 1 || j != 0 {
		t.Errorf("AG-02's plan alone: %d inspections, %d visits, %d joined; want 1 1 0", i, v, j)
	}
}

// TestCancel_SplitByReseed_CountsTheSplitOffPlanAsAVisit: a joint
// inspection stored by the older, transitive rule (A 0–2h, B 1–3h, C
// 2h30–4h) is split by a reseed into {A, B} and {C}; C's plan makes a visit
// of its own in the coordinator, and the store kept counting it as joined.
// The reseed now corrects the store's count where the two differ.
func TestCancel_SplitByReseed_CountsTheSplitOffPlanAsAVisit(t *testing.T) {
	var hc *hookedDecide
	w := newHandOverStore(t, func(c coord.Coordinator) coord.Coordinator { hc = &hookedDecide{Coordinator: c}; return hc })
	a1, a2, a3 := w.e.registrar(t, "AG-01"), w.e.registrar(t, "AG-02"), w.e.registrar(t, "AG-03")
	w.holder = w.registerRoutine(t, a1).GetInspection().GetId()
	b := w.registerRoutine(t, a2)
	c := w.registerRoutine(t, a3)
	w.joined = b.GetInspection().GetId()
	joint := b.GetJointInspection().GetId()
	if joint == "" || c.GetJointInspection().GetId() != joint {
		t.Fatal("B and C did not join A's visit")
	}
	if i, v, j := w.totals(t); i != 3 || v != 1 || j != 2 {
		t.Fatalf("before: %d %d %d", i, v, j)
	}
	// Make it what the older rule stored: windows A 0–2h, B 1–3h, C 2h30–4h
	// (a chain), the joined plans' joint id in their record, no P| marks.
	uscc := w.e.dir.GetEnterprises()[1].GetUscc()
	err := w.st.Update(context.Background(), func(tx store.Tx) error {
		for id, win := range map[string][2]time.Duration{
			w.holder:                  {0, 2 * time.Hour},
			b.GetInspection().GetId(): {time.Hour, 3 * time.Hour},
			c.GetInspection().GetId(): {150 * time.Minute, 4 * time.Hour},
		} {
			ins, err := tx.Inspection(id)
			if err != nil {
				return err
			}
			base := ins.GetWindowStart().AsTime()
			ins.WindowStart, ins.WindowEnd = timestamppb.New(base.Add(win[0])), timestamppb.New(base.Add(win[1]))
			if id != w.holder {
				ins.JointInspectionId = joint
			}
			if err := tx.PutInspection(ins); err != nil {
				return err
			}
			if n, err := tx.Count("P|" + id); err != nil {
				return err
			} else if n != 0 {
				if err := tx.AddCount("P|"+id, -n); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := hc.Forget(context.Background(), uscc); err != nil {
		t.Fatal(err)
	}
	// The coordinator seeds on a decision: a short AG-04 plan, cancelled.
	a4 := w.e.registrar(t, "AG-04")
	p4, err := a4.register(uscc, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	ins := ruqiv1.NewInspectionServiceClient(w.e.cc)
	if _, err := ins.CancelInspection(w.e.as(a4.tok), &ruqiv1.CancelInspectionRequest{InspectionId: p4.GetInspection().GetId(), Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	_ = w.st.View(context.Background(), func(r store.Reader) error {
		jc, _, _ := r.JointOf(c.GetInspection().GetId())
		t.Logf("after the reseed: C's joint_of %q", jc)
		return nil
	})
	i, v, j := w.totals(t)
	t.Logf("after the reseed split {A,B}+{C} (2 visits in the coordinator): %d inspections, %d visits, %d joined", i, v, j)
	if v != 2 {
		t.Errorf("after the split: report %d visits, coordinator 2", v)
	}
	if err := w.cancel(); err != nil {
		t.Fatal(err)
	}
	if _, err := ins.CancelInspection(w.e.as(a2.tok), &ruqiv1.CancelInspectionRequest{InspectionId: b.GetInspection().GetId(), Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if i, v, j := w.totals(t); i != 1 || v != 1 || j != 0 {
		t.Errorf("C's plan alone: %d inspections, %d visits, %d joined; want 1 1 0", i, v, j)
	}
}

// TestCancel_HeirUnwrittenAndDecisionLost_HealsAtReseed: AG-02's and
// AG-03's plans join AG-01's visit, both still being written when AG-01's
// plan is cancelled, its second write failing: the coordinator's decision
// (AG-02's plan inherits) is lost, and no plan the store holds can be
// named. The joint record no longer keeps the cancelled agency as lead.
// The counts (2 inspections, 0 visits) are wrong until the enterprise is
// next reseeded, which counts one of them as holding the visit.
func TestCancel_HeirUnwrittenAndDecisionLost_HealsAtReseed(t *testing.T) {
	var c coord.Coordinator
	w := newHandOverStore(t, func(x coord.Coordinator) coord.Coordinator { c = x; return x })
	w.holder = w.registerRoutine(t, w.e.registrar(t, "AG-01")).GetInspection().GetId()
	a2, a3 := w.e.registrar(t, "AG-02"), w.e.registrar(t, "AG-03")
	var third string
	cancel := func() {
		w.st.failIn.Store(2)
		if err := w.cancel(); err == nil {
			t.Error("the first cancellation's second write did not fail")
		}
		if err := w.cancel(); err != nil {
			t.Error(err)
		}
	}
	registerThird := func() {
		w.st.before.Store(&cancel) // before AG-03's Update
		third = w.registerRoutine(t, a3).GetInspection().GetId()
	}
	w.st.before.Store(&registerThird) // before AG-02's Update
	w.joined = w.registerRoutine(t, a2).GetInspection().GetId()
	err := w.st.View(context.Background(), func(r store.Reader) error {
		jo, _, _ := r.JointOf(third)
		j, err := r.JointInspection(jo)
		if err != nil {
			return err
		}
		t.Logf("joint record %s: members %v lead %s (AG-01's plan %s cancelled)", j.GetId(), j.GetInspectionIds(), j.GetLeadAgencyId(), w.holder)
		if j.GetLeadAgencyId() == "AG-01" {
			t.Errorf("joint record %s led by AG-01, whose plan is cancelled", j.GetId())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A reseed (a restart, an eviction, Redis emptied) heals the counts.
	uscc := w.e.dir.GetEnterprises()[1].GetUscc()
	if err := c.Forget(context.Background(), uscc); err != nil {
		t.Fatal(err)
	}
	a4 := w.e.registrar(t, "AG-04") // the coordinator seeds on a decision
	p4, err := a4.register(uscc, time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ruqiv1.NewInspectionServiceClient(w.e.cc).CancelInspection(w.e.as(a4.tok), &ruqiv1.CancelInspectionRequest{InspectionId: p4.GetInspection().GetId(), Reason: "x"}); err != nil {
		t.Fatal(err)
	}
	if i, v, j := w.totals(t); i != 2 || v != 1 || j != 1 {
		t.Errorf("after the reseed, AG-02's and AG-03's plans in one visit: %d inspections, %d visits, %d joined; want 2 1 1", i, v, j)
	}
}
