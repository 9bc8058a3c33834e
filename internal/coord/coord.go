// Package coord decides, atomically per enterprise, what a new inspection plan
// becomes: joined to the joint inspection (综合查一次) whose common time it
// overlaps, refused as a same-agency duplicate, refused by a frequency cap
// (无事不扰), or accepted alone as a visit of its own, with warnings (see
// State for the rule). Redis does it for
// several replicas (coord/redis); the embedded default does it in process
// (coord/local). Both pass coordtest, the one conformance suite.
//
// The coordinator is an index derived from the store, never the record: an
// enterprise whose state is missing (a new process, a Redis restart, a
// FLUSHALL) is seeded from the store before its next decision.
package coord

import (
	"context"
	"errors"
	"time"
)

// ErrUnavailable means the coordinator cannot be reached; registration must
// wait, scanning does not need it.
var ErrUnavailable = errors.New("coord: unavailable")

// ErrOutcomeUnknown marks a failed Decide whose request may have reached
// the coordinator although no answer came back (the client's read timed
// out, or the caller gave up): the plan may be reserved all the same, and
// counted until its hold is up. The caller takes it back as after a failed
// write (Release) once the coordinator answers.
var ErrOutcomeUnknown = errors.New("coord: the decision may have been made")

// ErrAnotherStore means the coordinator's Redis follows the event log of
// another store (another deployment's, or a test's, configured with the
// same Redis): deciding there would count this store's plans against the
// other's and drop each other's states. Registration must wait until an
// operator gives each store a Redis of its own.
var ErrAnotherStore = errors.New("coord: the Redis coordinates another store")

// Plan is one agency's registered plan for one enterprise.
type Plan struct {
	InspectionID string
	AgencyID     string
	USCC         string
	Start, End   time.Time // half-open [Start, End): touching windows do not overlap
	// Exempt plans (个案: complaint, referral, accident) are not capped
	// (有事必到) but still merge and count towards warnings.
	Exempt bool
	// Late marks a record made after the visit (深圳: inspected first in an
	// emergency, registered within domain.Limits.LateDays): it happened, so
	// no cap refuses it, but it counts towards every cap and warning of its
	// own period as a plan registered ahead would, and is a duplicate of its
	// agency's plan it overlaps even when that plan's window is over.
	Late bool
	// NotInspection marks a visit that is not an inspection (日常巡查, 政策宣传,
	// 走访调研, 服务): it never joins a joint inspection nor is joined (nobody
	// inspects under it, and an inspection must not hide in it), and it
	// counts only towards the caps and warnings on all entries together
	// (Policy.EntriesPerYear, WarnEntriesPer*), never the inspections'.
	NotInspection bool
	// Closed marks an inspection its agency closed (办结): its visit is over
	// whatever its window says, so nothing joins it (a plan of another
	// agency is a visit of its own) and it is no duplicate of its agency's
	// next plan (a 复查 or a 个案 after the visit, 有事必到); it still
	// counts towards every cap and warning, as any visit that took place.
	// The store says it (service.planOf): closing an inspection raises the
	// enterprise's fence and the coordinator is seeded again.
	Closed bool
	// JointID is the joint inspection the plan belongs to ("" if alone).
	JointID string
	// Grade is the enterprise's credit grade ("A".."D"), for grade caps.
	Grade string
	// NewVisit is true for the plan that made the enterprise's visit; a plan
	// that joined another's visit is a visit avoided.
	NewVisit bool
	// ConfirmBy, if set, holds the decision pending: the caller confirms it
	// once the store write commits. A plan still pending after ConfirmBy is
	// checked against the store at the enterprise's next decision and
	// dropped if the store does not hold it, so a decision whose write never
	// committed (an error, a lost reply, a crash) leaves no reservation.
	ConfirmBy time.Time
}

// Outcome is what a decision did.
type Outcome int

const (
	Accepted  Outcome = iota + 1 // alone: a new visit
	Joined                       // merged into a joint inspection: no new visit
	Duplicate                    // same agency, overlapping its own open plan (not closed, window not over): refused
	Capped                       // over a frequency cap: refused
)

func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Joined:
		return "joined"
	case Duplicate:
		return "duplicate"
	case Capped:
		return "capped"
	}
	return "unknown"
}

// Decision is the answer to Decide.
type Decision struct {
	Outcome Outcome
	// JointID names the joint inspection for Joined, and for plans that
	// others joined earlier (they keep it).
	JointID string
	// LeadAgency is the lead agency of the joint inspection: its earliest plan.
	LeadAgency string
	// Members are all plans of the joint inspection after this decision,
	// this one included, in the order they joined.
	Members []string
	// CommonStart and CommonEnd are the common time of the visit: the
	// intersection of its plans' windows, the window the enterprise is shown.
	CommonStart, CommonEnd time.Time
	// Regrouped lists other plans whose joint inspection changed: a plan
	// alone that this one joined, or the last plan left when a withdrawal
	// ended a joint inspection (then alone, JointID "").
	Regrouped []string
	// NewVisit: for Decide, the plan makes a visit of its own; for
	// Withdraw, the withdrawn plan held its visit.
	NewVisit bool
	// Heir is, for Withdraw, the plan that holds the visit now that its
	// holder withdrew.
	Heir string
	// Dropped are, for Decide, the withdrawals of pending plans whose
	// confirm-by time had passed and which the store did not hold: plans
	// written meanwhile that had joined one of them may hold its visit now,
	// which the caller writes to the store.
	Dropped []Decision
	// Existing is the overlapping plan of the same agency, for Duplicate.
	Existing string
	// Cap names the rule that refused a Capped plan.
	Cap *Breach
	// Warnings are thresholds this plan passes; it is registered anyway.
	Warnings []Breach
	// Version orders decisions for one enterprise: the store keeps what the
	// highest version says, whatever order the writes arrive in.
	Version int64
	// Fence is the enterprise's fence (围栏) the state that decided was
	// built under (Seed.Fence). The registration's write commits only while
	// the store's fence is still this one; see Seeder.
	Fence int64
}

// Breach says which rule, what count and which period.
type Breach struct {
	Rule   string // e.g. "agency_per_year"
	Limit  int
	Count  int // the count this plan would make (for a cap) or made (for a warning)
	Period string
}

// Seed is an enterprise's record in the store, from which its coordinator
// state is rebuilt: every plan not cancelled whose year has not ended, in the
// order they were registered, the highest decision version written, and the
// enterprise's fence.
type Seed struct {
	Plans   []Plan
	Version int64
	Fence   int64
}

// SplitStored sorts the ids of expired pending plans into those the store
// holds (its seed lists every plan not cancelled) and those it does not.
func SplitStored(seed Seed, ids []string) (stored, missing []string) {
	have := make(map[string]bool, len(seed.Plans))
	for _, p := range seed.Plans {
		have[p.InspectionID] = true
	}
	for _, id := range ids {
		if have[id] {
			stored = append(stored, id)
		} else {
			missing = append(missing, id)
		}
	}
	return stored, missing
}

// Seeder loads an enterprise's seed from the store.
//
// With fence, it first raises the enterprise's fence (围栏) in the store, in
// the transaction that reads the seed. The store serialises the raise
// against a registration's check of the fence (inspection.Register), so a
// registration decided before the raise either committed before the read,
// and is in the seed, or fails its check and is decided again, instead of
// committing a plan the coordinator no longer counts (a cap broken, a
// duplicate). Every coordinator fences its check of pending plans past
// their hold: a plan the store does not hold yet may be a write still
// committing. coord/redis also fences its seeds, since its state can be lost
// while writes are in flight (Redis restarted empty, a Forget); coord/local
// fences a seed only after a Forget: otherwise it loses a state with a plan
// in flight only with its process, whose writes die with it (an eviction
// never drops a pending decision).
type Seeder func(ctx context.Context, uscc string, fence bool) (Seed, error)

// Coordinator is implemented by coord/redis and coord/local.
type Coordinator interface {
	// Decide decides and, unless refused, reserves the plan: it is then an
	// open plan and counted, pending if p.ConfirmBy is set. The caller writes
	// the store next, then calls Confirm, or Release if that write fails.
	// Expired pending plans are checked against the store (the Seeder)
	// first.
	Decide(ctx context.Context, p Plan, pol Policy, now time.Time) (Decision, error)
	// Confirm marks a pending plan as written.
	Confirm(ctx context.Context, p Plan, now time.Time) error
	// Release undoes a pending reservation whose store write failed; it
	// touches no other plan's reservation, and never a confirmed plan. It
	// releases only under the failed attempt's hold, p.ConfirmBy as that
	// attempt decided it: a retry of the same plan that renewed the hold
	// later keeps it (a zero ConfirmBy releases any hold: pass the
	// attempt's own). fence, if not zero, is the store's fence, which the
	// caller raised before releasing: the state takes it, so that a retry
	// still writing under the released reservation fails its check
	// whatever the replicas' clocks say. The decision is Withdraw's (zero
	// if nothing was released): plans written meanwhile that had joined
	// this one may hold the visit now.
	Release(ctx context.Context, p Plan, fence int64, now time.Time) (Decision, error)
	// Withdraw removes a cancelled plan: it no longer merges or counts. A
	// joint inspection goes on for its other members, with a new lead if the
	// lead withdrew. fence, if not zero, is the store's fence, which the
	// cancellation raised as it wrote (so that a seed that read the plan
	// before it is not taken for current): the state takes it
	// (State.TakeFence), or, if another raise came between, is dropped and
	// holds nothing (the caller then takes the visit's heir from the store).
	Withdraw(ctx context.Context, p Plan, fence int64, now time.Time) (Decision, error)
	// ClosePlan marks a plan closed (办结, Plan.Closed) once the store says so:
	// it stays counted, nothing joins its visit, and it is no duplicate of
	// its agency's next plan. A state that does not hold the plan changes
	// nothing (its seed reads the store). A registration decided before the
	// close, or while this failed, is held by the store
	// (inspection.CheckStillOpen) and decided again.
	ClosePlan(ctx context.Context, p Plan, now time.Time) error
	// Forget drops everything held for the enterprise (tests, and operators
	// after a manual repair of the store); the next decision seeds it again.
	Forget(ctx context.Context, uscc string) error
	Close() error
}
