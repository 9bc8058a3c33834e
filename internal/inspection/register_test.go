package inspection_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A late registration that joins a visit writes, in one transaction, its
// events in order, its counts in the month of its visit, a lead, the joint
// membership and one code per officer; a failure while issuing a code
// leaves none of it.
func TestRegister_LateJoined_AllTogether_OrNothing(t *testing.T) {
	now := time.Now()
	st := fixture(t, now)
	officer := auth.Principal{Role: ruqiv1.Role_ROLE_OFFICER, Subject: "O-1"}
	start, end := now.Add(-48*time.Hour), now.Add(-47*time.Hour)
	if err := st.Update(context.Background(), func(tx store.Tx) error {
		return tx.PutCheckItem(&ruqiv1.CheckItem{Id: "IT-1", AgencyId: "AG-1", Name: "样例事项"})
	}); err != nil {
		t.Fatal(err)
	}
	req := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: uscc, CheckItemIds: []string{"IT-1"}, OfficerIds: []string{"O-1"},
		WindowStart: timestamppb.New(start), WindowEnd: timestamppb.New(end), RequestId: "req-1", LateReason: "系统故障"}
	ins := &ruqiv1.Inspection{Id: "INS-2", AgencyId: "AG-1", EnterpriseUscc: uscc, CheckItemIds: req.CheckItemIds, OfficerIds: req.OfficerIds,
		WindowStart: req.WindowStart, WindowEnd: req.WindowEnd, Late: true, LateReason: "系统故障", State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED}
	d := coord.Decision{Outcome: coord.Joined, JointID: "JNT-INS-1", LeadAgency: "AG-9", Members: []string{"INS-1", "INS-2"}, Version: 2,
		CommonStart: start, CommonEnd: end}
	register := func(issue func(store.Tx, *ruqiv1.Inspection, *ruqiv1.Officer, time.Time) (*ruqiv1.InspectionCode, error)) (inspection.Registered, error) {
		var out inspection.Registered
		err := st.Update(context.Background(), func(tx store.Tx) error {
			var err error
			out, err = inspection.Register(tx, officer, now, inspection.Registration{Request: req, Inspection: ins, Decision: d, Issue: issue})
			return err
		})
		return out, err
	}
	errSign := errors.New("signing failed")
	if _, err := register(func(store.Tx, *ruqiv1.Inspection, *ruqiv1.Officer, time.Time) (*ruqiv1.InspectionCode, error) {
		return nil, errSign
	}); !errors.Is(err, errSign) {
		t.Fatalf("register: %v", err)
	}
	if es := events(t, st); len(es) != 0 {
		t.Fatalf("a failed registration left events: %s", types(es))
	}
	if c := counts(t, st, "R|"); len(c) != 0 {
		t.Fatalf("a failed registration left counters: %v", c)
	}

	ins.JointInspectionId = ""
	r, err := register(func(tx store.Tx, ins *ruqiv1.Inspection, o *ruqiv1.Officer, _ time.Time) (*ruqiv1.InspectionCode, error) {
		c := &ruqiv1.InspectionCode{InspectionId: ins.GetId(), OfficerId: o.GetId(), KeyId: "K1"}
		return c, tx.PutCode(c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := types(events(t, st)); got != "REGISTERED MERGED LATE_REGISTERED LEAD_OPENED CODE_ISSUED" {
		t.Errorf("events %q", got)
	}
	if r.Joint.GetId() != "JNT-INS-1" || len(r.Codes) != 1 || r.Inspection.GetJointInspectionId() != "JNT-INS-1" {
		t.Errorf("registered %+v", r)
	}
	month := report.Month(start)
	c := counts(t, st, "R|")
	for _, m := range []report.Metric{report.Inspections, report.Joined, report.Late} {
		if n := c["R|"+string(m)+"|"+month+"|"+region+"|AG-1"]; n != 1 {
			t.Errorf("%s counted %d, want 1 in the visit's month: %v", m, n, c)
		}
	}
	err = st.View(context.Background(), func(r store.Reader) error {
		stored, err := r.Inspection("INS-2")
		if err != nil {
			return err
		}
		if stored.GetJointInspectionId() != "" {
			t.Errorf("stored joint_inspection_id %q: membership is joint_of's", stored.GetJointInspectionId())
		}
		joint, v, err := r.JointOf("INS-2")
		if err != nil || joint != "JNT-INS-1" || v != 2 {
			t.Errorf("joint_of = %q v%d, %v", joint, v, err)
		}
		id, err := r.InspectionForRequest(inspection.RequestKey("AG-1", "req-1"))
		if err != nil || id != "INS-2" {
			t.Errorf("request entry = %q, %v", id, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The same derived id again is not written over.
	if _, err := register(func(store.Tx, *ruqiv1.Inspection, *ruqiv1.Officer, time.Time) (*ruqiv1.InspectionCode, error) {
		return &ruqiv1.InspectionCode{}, nil
	}); domain.KindOf(err) != domain.KindFailedPrecondition {
		t.Errorf("id taken: %v, want FailedPrecondition", err)
	}
}

// A plan registered alone leaves no joint_of entry (alone is the default);
// once it joins, an older decision that commits late does not undo it.
func TestApplyDecision_RegisteredAlone_NoJointOfEntry(t *testing.T) {
	st := fixture(t, time.Now())
	apply := func(d coord.Decision, registered string) {
		t.Helper()
		if err := st.Update(context.Background(), func(tx store.Tx) error {
			_, err := inspection.ApplyDecision(tx, uscc, d, registered)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	jointOf := func(id string) (string, int64, error) {
		var j string
		var v int64
		err := st.View(context.Background(), func(r store.Reader) error {
			var err error
			j, v, err = r.JointOf(id)
			return err
		})
		return j, v, err
	}
	apply(coord.Decision{Outcome: coord.Accepted, Members: []string{"INS-1"}, Version: 1}, "INS-1")
	if j, v, err := jointOf("INS-1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a plan registered alone has joint_of %q v%d (%v)", j, v, err)
	}
	apply(coord.Decision{Outcome: coord.Joined, JointID: "JNT-INS-1", Members: []string{"INS-1", "INS-2"}, Version: 3}, "INS-2")
	apply(coord.Decision{Outcome: coord.Accepted, Members: []string{"INS-1"}, Version: 2}, "")
	if j, v, err := jointOf("INS-1"); err != nil || j != "JNT-INS-1" || v != 3 {
		t.Fatalf("joint_of INS-1 = %q v%d (%v), want JNT-INS-1 v3", j, v, err)
	}
}
