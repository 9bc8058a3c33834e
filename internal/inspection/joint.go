package inspection

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
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

// FenceKey is the counter holding the enterprise's fence (围栏): raised by
// each seed or check of pending plans of a coordinator that can lose its
// state while writes are in flight (coord.Seeder), compared by every
// registration (Register).
func FenceKey(uscc string) string { return "coord_fence|" + uscc }

// ErrFenced means the coordinator's state the registration was decided
// under has been rebuilt from the store since (coord.Seeder): the plan may
// not be counted there, so it is not written; the caller decides it again.
var ErrFenced = errors.New("inspection: decided under a coordinator state since rebuilt")

// RaiseFence raises the enterprise's fence and answers the new one.
func RaiseFence(tx store.Tx, uscc string) (int64, error) {
	if err := tx.AddCount(FenceKey(uscc), 1); err != nil {
		return 0, err
	}
	return tx.Count(FenceKey(uscc))
}

// CheckFence refuses a decision made under a fence the store has raised
// past (ErrFenced).
func CheckFence(r store.Reader, uscc string, decided int64) error {
	n, err := r.Count(FenceKey(uscc))
	if err != nil {
		return err
	}
	// Ahead of the store's too: the store was restored from a backup made
	// before the raise the state stands on. The service then rebuilds the
	// state from the store (it is fenced on one fence three times).
	if decided != n {
		return ErrFenced
	}
	return nil
}

// CheckStillOpen refuses (ErrFenced) a decision that took inspection id for
// open, as a visit to join or a plan to be a duplicate of, where the store
// says it is closed (MarkClosed): the coordinator's state was not told yet
// (the close's Forget still to come, or failed), and the caller decides
// again, rebuilding the state if it stays behind. Not found is no
// refusal: the plan may be a reservation still being written.
func CheckStillOpen(r store.Reader, id string) error {
	ins, err := r.Inspection(id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED {
		return ErrFenced
	}
	return nil
}

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
		if err := leaveOutCancelled(tx, j); err != nil {
			return nil, err
		}
	}
	// A newer decision may have taken the plan this one registers out of
	// the joint inspection before it was written (the plan it joined was
	// cancelled meanwhile): it is not in it, and a record of what is left,
	// one plan, would be a joint inspection of one.
	in := true
	if registered != "" {
		owner, _, err := tx.JointOf(registered)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		in = owner == d.JointID
	}
	if !in && len(j.GetInspectionIds()) < 2 {
		return nil, nil
	}
	if err := tx.PutJointInspection(j); err != nil || !in {
		return nil, err
	}
	return j, nil
}

// leaveOutCancelled drops from a joint inspection record the plans the
// store holds as cancelled. A decision made before a member's cancellation
// can commit after it (a registration still being written while another
// plan is cancelled); the coordinator has withdrawn that member since, and
// the record must not list it again, nor keep its agency as the lead (a
// read-only review, 2026-12-04). Without a cancelled member the record is
// the decision's; with one, the lead is the agency of the first member left
// and the common time that of the members left, when all are written.
func leaveOutCancelled(r store.Reader, j *ruqiv1.JointInspection) error {
	var kept []*ruqiv1.Inspection
	ids := j.InspectionIds[:0]
	dropped, unwritten := false, false
	for _, id := range j.InspectionIds {
		ins, err := r.Inspection(id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			unwritten = true // being written (the plan this decision registers)
			ids = append(ids, id)
			continue
		case err != nil:
			return err
		case ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
			dropped = true
			continue
		}
		ids = append(ids, id)
		kept = append(kept, ins)
	}
	j.InspectionIds = ids
	if !dropped || len(ids) == 0 {
		return nil
	}
	// The first member left leads, as the coordinator has it; one not
	// written yet has no agency here, and the first written member's
	// stands in for it rather than the cancelled one's.
	if len(kept) > 0 {
		j.LeadAgencyId = kept[0].GetAgencyId()
	}
	if unwritten || len(kept) == 0 {
		return nil
	}
	j.CommonStart, j.CommonEnd = commonWindow(kept)
	return nil
}

// commonWindow is the time all of plans' windows share (plans not empty).
func commonWindow(plans []*ruqiv1.Inspection) (start, end *timestamppb.Timestamp) {
	s, e := plans[0].GetWindowStart().AsTime(), plans[0].GetWindowEnd().AsTime()
	for _, p := range plans[1:] {
		if t := p.GetWindowStart().AsTime(); t.After(s) {
			s = t
		}
		if t := p.GetWindowEnd().AsTime(); t.Before(e) {
			e = t
		}
	}
	return timestamppb.New(s), timestamppb.New(e)
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
		// Decided, not written yet: its registration, when it commits
		// with the decision that joined it, counts it as holding its
		// visit instead (HeirNoted). Never written, the note is moot.
		return j, noteHeir(tx, heir, d.Version)
	}
	if err != nil {
		return nil, err
	}
	if holder.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		// Cancelled too, before the coordinator heard of it: its counts
		// are taken back already, and its own withdrawal hands the visit
		// on (a read-only review, 2026-12-04).
		return j, nil
	}
	// The hand-over has no event of its own: the withdrawal or the dropped
	// reservation that caused it is the step.
	return j, recount(tx, uscc, holder, true)
}

// Recount makes the store count plan id as the coordinator does: as
// holding its visit (holds) or as joining another's. A reseed calls it
// where the two disagree: a stored joint inspection it splits, whose plans
// that joined now make a visit of their own, or a hand-over whose decision
// was lost. A cancelled plan's counts are gone already and stay so.
func Recount(tx store.Tx, uscc, id string, holds bool) error {
	ins, err := tx.Inspection(id)
	if err != nil {
		return err
	}
	if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		return nil
	}
	return recount(tx, uscc, ins, holds)
}

func recount(tx store.Tx, uscc string, ins *ruqiv1.Inspection, holds bool) error {
	joined, err := countedJoined(tx, ins)
	if err != nil || joined != holds {
		return err // counted as it should be
	}
	ent, err := tx.Enterprise(uscc)
	if err != nil {
		return err
	}
	region, err := PlanRegion(tx, ins, ent)
	if err != nil {
		return err
	}
	at := ins.GetWindowStart().AsTime()
	if !holds {
		if err := NewJournal(tx, "", time.Time{}).Count(Count{report.Joined, at, region, ins.GetAgencyId(), uscc, 1}); err != nil {
			return err
		}
		return report.MarkPlan(tx, ins.GetId(), true)
	}
	counts, err := unmatch(tx, ins, region)
	if err != nil {
		return err
	}
	counts = append(counts, Count{report.Joined, at, region, ins.GetAgencyId(), uscc, -1})
	if err := NewJournal(tx, "", time.Time{}).Count(counts...); err != nil {
		return err
	}
	return report.MarkHoldsVisit(tx, ins.GetId())
}

// heirNote marks a plan that became the heir of a visit before its own
// registration was written (a read-only review, 2026-12-04).
func heirNote(id string) string { return "heir_pending|" + id }

// noteHeir notes that plan id inherited a visit by the decision of version
// v: the note holds the newest such version.
func noteHeir(tx store.Tx, id string, v int64) error {
	n, err := tx.Count(heirNote(id))
	if err != nil || max(v, 1) <= n {
		return err
	}
	return tx.AddCount(heirNote(id), max(v, 1)-n)
}

// HeirNoted says whether plan id, being registered as joining another's
// visit by the decision of version decided, inherited that visit before
// this write, and clears the note: it is then counted as holding its own
// visit. A note older than the decision is moot: the plan was decided again
// since (its first decision fenced, a third review found, 2026-12-04), and
// the visit it joins now is another. Notes written before versions were
// kept hold 1, and are taken as older than any decision.
func HeirNoted(tx store.Tx, id string, decided int64) (bool, error) {
	n, err := tx.Count(heirNote(id))
	if err != nil || n == 0 {
		return false, err
	}
	return n > decided, tx.AddCount(heirNote(id), -n)
}

// member is a plan of a stored joint inspection that stands (written, not
// cancelled), with where joint_of puts it now: newer decisions may have
// moved it to another joint inspection, or left it alone.
type member struct {
	ins     *ruqiv1.Inspection
	owner   string
	version int64
}

// standingMembers reads the record of joint and its standing members other
// than plan id (nil if there is no record), for storedHeir and
// leaveStoredJoint, which the same withdrawal asks in turn.
func standingMembers(r store.Reader, joint, id string) (*ruqiv1.JointInspection, []member, error) {
	j, err := r.JointInspection(joint)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var out []member
	for _, m := range j.GetInspectionIds() {
		if m == id {
			continue
		}
		ins, err := r.Inspection(m)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			continue
		}
		owner, v, err := r.JointOf(m)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		out = append(out, member{ins, owner, v})
	}
	return j, out, nil
}

// storedHeir is the plan that holds a joint visit once the plan that held
// it is cancelled: the earliest registered of the standing members still in
// joint ("" if none). It is what the coordinator decides, read from the
// store, for when the coordinator held nothing for the plan.
//
// anyJoint takes members that newer decisions moved out of the joint
// inspection too (see Withdraw).
func storedHeir(members []member, joint string, anyJoint bool) string {
	var heir *ruqiv1.Inspection
	for _, m := range members {
		if !anyJoint && m.owner != joint {
			continue
		}
		if heir == nil || m.ins.GetRegisteredAt().AsTime().Before(heir.GetRegisteredAt().AsTime()) {
			heir = m.ins
		}
	}
	return heir.GetId()
}

// leaveStoredJoint writes, from the store alone, the joint inspection j
// that its standing members still in it make once a plan has left: what
// the coordinator's withdrawal would have written, when it has no decision
// (it failed, or held nothing: a second write that failed, finished later).
// Members that newer decisions moved elsewhere are left where they are. One
// member left is alone again; two or more keep the joint inspection, led by
// the earliest registered, over the time common to their windows.
func leaveStoredJoint(tx store.Tx, j *ruqiv1.JointInspection, members []member) (*ruqiv1.JointInspection, error) {
	var rest []member
	for _, m := range members {
		if m.owner == j.GetId() {
			rest = append(rest, m)
		}
	}
	switch len(rest) {
	case 0:
		return nil, nil
	case 1:
		// The version stays: every newer decision has a higher one.
		return nil, tx.PutJointOf(rest[0].ins.GetId(), "", rest[0].version)
	}
	slices.SortFunc(rest, func(a, b member) int {
		return a.ins.GetRegisteredAt().AsTime().Compare(b.ins.GetRegisteredAt().AsTime())
	})
	j.InspectionIds, j.LeadAgencyId = nil, rest[0].ins.GetAgencyId()
	plans := make([]*ruqiv1.Inspection, len(rest))
	for i, m := range rest {
		j.InspectionIds = append(j.InspectionIds, m.ins.GetId())
		plans[i] = m.ins
	}
	j.CommonStart, j.CommonEnd = commonWindow(plans)
	return j, tx.PutJointInspection(j)
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
	// Resumed: an earlier call cancelled the plan and did not write this.
	Resumed bool
}

// Withdraw writes what the withdrawal of a cancelled plan leaves: who holds
// the visit now (the coordinator's heir, or, when it held nothing, the
// store's) and the joint inspection the rest make, with its WITHDRAWN event.
// It returns the joint inspection and the heir ("" if the visit went to no
// plan).
func Withdraw(tx store.Tx, p auth.Principal, now time.Time, w Withdrawal) (*ruqiv1.JointInspection, string, error) {
	// The cancellation's mark says this is still to be written: of two
	// calls finishing it (the cancellation, a retry, a replica starting),
	// one writes it.
	if pending, _, err := pendingWithdrawal(tx, w.Plan.InspectionID); err != nil || !pending {
		return nil, "", err
	}
	d := w.Decision
	// The joint inspection as it is now: a plan may have joined this one
	// after the caller read it, before the coordinator was asked (a
	// read-only review, 2026-12-04).
	if joint, _, err := tx.JointOf(w.Plan.InspectionID); err == nil && joint != "" {
		w.JointID = joint
	} else if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	if w.JointID == "" && d.JointID == "" && len(d.Regrouped) == 0 {
		// A plan alone, and no plan joined it: nothing to hand over.
		return nil, "", clearWithdrawal(tx, w.Plan.InspectionID)
	}
	heir := d.Heir
	// The coordinator held nothing for the plan (nothing for the
	// enterprise, or an earlier call withdrew it and its second write
	// failed): the store says who holds the visit now. When resuming, the
	// coordinator has gone on deciding since, and may have moved the heir
	// to another joint inspection (a plan that joined it) or left it alone
	// (the last other member cancelled): it is still the heir.
	held := d.Outcome != 0
	var (
		stored  *ruqiv1.JointInspection // the joint record, when the store decides
		members []member
	)
	if !held && w.JointID != "" {
		var err error
		if stored, members, err = standingMembers(tx, w.JointID, w.Plan.InspectionID); err != nil {
			return nil, "", err
		}
		if heir == "" && w.HeldVisit {
			heir = storedHeir(members, w.JointID, w.Resumed)
		}
	}
	joint, err := HandOver(tx, w.Plan.USCC, d, heir)
	if err != nil {
		return nil, "", err
	}
	if stored != nil {
		if joint, err = leaveStoredJoint(tx, stored, members); err != nil {
			return nil, "", err
		}
	}
	if err := clearWithdrawal(tx, w.Plan.InspectionID); err != nil {
		return nil, "", err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_WITHDRAWN)
	e.InspectionId, e.EnterpriseUscc = w.Plan.InspectionID, w.Plan.USCC
	e.Detail = fmt.Sprintf("joint %s lead %s members %d", w.JointID, d.LeadAgency, len(d.Members))
	return joint, heir, j.Record(e)
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

// PolicyKey holds the digest of the policies (无事不扰) the replica started
// last decides on (coord.Policies.Digest).
const PolicyKey = "coord_policy"

// PublishPolicy makes digest the store's policy digest: a replica starting
// publishes its own, and from then on replicas that decide on others
// register nothing (CheckPolicy). It returns the digest it replaced (0 for
// none).
func PublishPolicy(tx store.Tx, digest int64) (int64, error) {
	n, err := tx.Count(PolicyKey)
	if err != nil {
		return 0, err
	}
	return n, tx.AddCount(PolicyKey, digest-n)
}

// StorePolicy is the store's policy digest (0 if none was published).
func StorePolicy(r store.Reader) (int64, error) { return r.Count(PolicyKey) }

// CheckPolicy refuses a decision made on policies other than the store's:
// replicas started with different -policy-file count one enterprise by two
// rules, and the looser one's registrations break the stricter cap (an
// operator's trial, 2026-12-05, had a third plan of one agency in a year
// accepted by a replica whose file allowed five). A store no replica
// published to (0) refuses nothing.
func CheckPolicy(r store.Reader, digest int64) error {
	n, err := r.Count(PolicyKey)
	if err != nil || n == 0 || n == digest {
		return err
	}
	return domain.Unavailablef("POLICY_DIFFERS", "本服务器的频次政策（策略文件）与最近启动的服务器不同，为免突破上限暂停报备：请管理员以同一 -policy-file 重启所有服务器")
}
