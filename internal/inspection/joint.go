package inspection

import (
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// countedJoined says whether a stored plan is counted as a visit avoided
// (it joined another agency's visit) rather than as a visit of its own. The
// per-plan mark (report.MarkPlan) says so; plans written before the mark
// existed say it in their stored joint_inspection_id, which is read here and
// nowhere else. No version writes that field any more: joint membership is
// joint_of's, filled into the field only in what is returned.
func countedJoined(r store.Reader, ins *ruqiv1.Inspection) (bool, error) {
	return report.PlanJoined(r, ins.GetId(), ins.GetJointInspectionId() != "")
}

// VersionKey is the counter holding the newest coordinator decision the
// store has applied for an enterprise.
func VersionKey(uscc string) string { return "coord_version|" + uscc }

// ApplyDecision writes what a decision says about joint membership, keeping
// only what the newest version says: decisions for one enterprise may commit
// in any order, and an older one must not undo a newer one.
//
// registered is the plan this decision registers ("" if none). A plan
// registered alone gets no joint_of entry: alone is the default (84% of plans
// in the simulation), and no decision older than the one that registered a
// plan can name it, so there is no older decision for an entry's version to
// stop. Once a plan has been in a joint inspection, leaving it is written
// with its version as before.
func ApplyDecision(tx store.Tx, uscc string, d coord.Decision, registered string) (*ruqiv1.JointInspection, error) {
	for _, id := range append(append([]string{}, d.Members...), d.Regrouped...) {
		_, v, err := tx.JointOf(id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if id == registered && d.JointID == "" && errors.Is(err, store.ErrNotFound) {
			continue
		}
		if d.Version > v {
			if err := tx.PutJointOf(id, d.JointID, d.Version); err != nil {
				return nil, err
			}
		}
	}
	if v, err := tx.Count(VersionKey(uscc)); err != nil {
		return nil, err
	} else if d.Version > v {
		if err := tx.AddCount(VersionKey(uscc), d.Version-v); err != nil {
			return nil, err
		}
	}
	if d.JointID == "" {
		return nil, nil
	}
	j, err := tx.JointInspection(d.JointID)
	if errors.Is(err, store.ErrNotFound) {
		j, err = &ruqiv1.JointInspection{Id: d.JointID, EnterpriseUscc: uscc}, nil
	}
	if err != nil {
		return nil, err
	}
	// The newest decision says who is in it: the coordinator keeps every
	// plan, ended or not, until its counts lapse. Cancelled plans it
	// withdrew are no longer members.
	if d.Version > j.GetVersion() {
		j.Version = d.Version
		j.LeadAgencyId = d.LeadAgency
		j.InspectionIds = append([]string(nil), d.Members...)
		j.CommonStart, j.CommonEnd = timestamppb.New(d.CommonStart), timestamppb.New(d.CommonEnd)
	}
	return j, tx.PutJointInspection(j)
}

// HandOver writes what a withdrawal decided (d, zero if the coordinator held
// nothing): joint membership, and heir, the plan that holds the visit now,
// counted as a visit of its own from now on instead of a visit avoided.
func HandOver(tx store.Tx, uscc string, d coord.Decision, heir string) (*ruqiv1.JointInspection, error) {
	var j *ruqiv1.JointInspection
	if d.Version > 0 {
		var err error
		if j, err = ApplyDecision(tx, uscc, d, ""); err != nil {
			return nil, err
		}
	}
	if heir == "" {
		return j, nil
	}
	holder, err := tx.Inspection(heir)
	if errors.Is(err, store.ErrNotFound) {
		return j, nil // decided, never written
	}
	if err != nil {
		return nil, err
	}
	joined, err := countedJoined(tx, holder)
	if err != nil || !joined {
		return j, err
	}
	ent, err := tx.Enterprise(uscc)
	if err != nil {
		return nil, err
	}
	// The hand-over has no event of its own: the withdrawal or the dropped
	// reservation that caused it is the step.
	region, err := PlanRegion(tx, holder, ent)
	if err != nil {
		return nil, err
	}
	counts, err := unmatch(tx, holder, region)
	if err != nil {
		return nil, err
	}
	counts = append(counts, Count{report.Joined, holder.GetWindowStart().AsTime(), region, holder.GetAgencyId(), uscc, -1})
	if err := NewJournal(tx, "", time.Time{}).Count(counts...); err != nil {
		return nil, err
	}
	return j, report.MarkHoldsVisit(tx, heir)
}

// storedHeir is the plan that holds a joint visit once plan id, which held
// it, is cancelled: the earliest registered plan of the joint inspection
// still standing ("" if none). It is what the coordinator decides, read from
// the store, for when the coordinator held nothing for the enterprise.
func storedHeir(r store.Reader, joint, id string) (string, error) {
	j, err := r.JointInspection(joint)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var heir *ruqiv1.Inspection
	for _, m := range j.GetInspectionIds() {
		if m == id {
			continue
		}
		ins, err := r.Inspection(m)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", err
		}
		if owner, _, err := r.JointOf(m); err != nil || owner != joint || ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			continue
		}
		if heir == nil || ins.GetRegisteredAt().AsTime().Before(heir.GetRegisteredAt().AsTime()) {
			heir = ins
		}
	}
	if heir == nil {
		return "", nil
	}
	return heir.GetId(), nil
}

// Withdrawal is what the coordinator answered when a cancelled plan was
// withdrawn (Decision, zero if the coordinator held nothing for the
// enterprise).
type Withdrawal struct {
	Plan     coord.Plan
	Decision coord.Decision
	// HeldVisit: the plan was counted as a visit of its own (Cancelled).
	HeldVisit bool
	// JointID is the joint inspection the plan was in ("" if none).
	JointID string
	// Resumed: an earlier call cancelled the plan and did not write this;
	// it is written only if the plan's mark still says so, so that two
	// calls finishing it write it once.
	Resumed bool
}

// Withdraw writes what the withdrawal of a cancelled plan leaves: who holds
// the visit now (the coordinator's heir, or, when it held nothing, the
// store's) and the joint inspection the rest make, with its WITHDRAWN event.
func Withdraw(tx store.Tx, p auth.Principal, now time.Time, w Withdrawal) (*ruqiv1.JointInspection, error) {
	if w.Resumed {
		if pending, _, err := PendingWithdrawal(tx, w.Plan.InspectionID); err != nil || !pending {
			return nil, err
		}
	}
	d := w.Decision
	heir := d.Heir
	// The coordinator held nothing for the plan (nothing for the
	// enterprise, or an earlier call withdrew it and its second write
	// failed): the store says who holds the visit now.
	if heir == "" && d.Outcome == 0 && w.HeldVisit && w.JointID != "" {
		var err error
		if heir, err = storedHeir(tx, w.JointID, w.Plan.InspectionID); err != nil {
			return nil, err
		}
	}
	joint, err := HandOver(tx, w.Plan.USCC, d, heir)
	if err != nil {
		return nil, err
	}
	if err := clearWithdrawal(tx, w.Plan.InspectionID); err != nil {
		return nil, err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_WITHDRAWN)
	e.InspectionId, e.EnterpriseUscc = w.Plan.InspectionID, w.Plan.USCC
	e.Detail = fmt.Sprintf("joint %s lead %s members %d", w.JointID, d.LeadAgency, len(d.Members))
	return joint, j.Record(e)
}

// unmatch takes back a plan's count as a visit avoided by matching, if it
// had one: it is cancelled, or holds its visit now.
func unmatch(tx store.Tx, ins *ruqiv1.Inspection, region string) ([]Count, error) {
	matched, err := report.PlanMatched(tx, ins.GetId())
	if err != nil || !matched {
		return nil, err
	}
	if err := report.UnmarkMatched(tx, ins.GetId()); err != nil {
		return nil, err
	}
	return []Count{{report.Matched, ins.GetWindowStart().AsTime(), region, ins.GetAgencyId(), ins.GetEnterpriseUscc(), -1}}, nil
}
