package inspection

import (
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Cancelled is what a cancellation wrote.
type Cancelled struct {
	Inspection *ruqiv1.Inspection
	Enterprise *ruqiv1.Enterprise
	// HeldVisit: the plan was counted as a visit of its own, not as one that
	// joined another agency's visit.
	HeldVisit bool
	// Resumed: the plan was cancelled before, by a call whose withdrawal
	// (the second write) was not written; this call wrote nothing and the
	// caller finishes the withdrawal.
	Resumed bool
}

// WithdrawalPendingPrefix begins the counter that marks a cancelled plan
// whose withdrawal is not written yet. A cancellation writes twice: the
// cancellation, then what the coordinator's withdrawal decided (who holds
// the visit now, the WITHDRAWN event), since the coordinator is asked in
// between. The first write sets the mark, the second clears it; a mark left
// by a second write that failed, or a process that died between, is
// finished by a retried cancellation or by the next start
// (service.FinishWithdrawals). Its value is 1 if the plan joined another's
// visit and 2 if it held its own, which decides whether a plan inherits it.
const WithdrawalPendingPrefix = "withdrawal_pending|"

func withdrawalPending(id string) string { return WithdrawalPendingPrefix + id }

// pendingWithdrawal says whether a cancelled plan's withdrawal is still to
// be written, and whether the plan held its visit.
func pendingWithdrawal(r store.Reader, id string) (pending, heldVisit bool, err error) {
	n, err := r.Count(withdrawalPending(id))
	return n > 0, n == 2, err
}

// Unfinished is the cancellation of ins, cancelled already, whose
// withdrawal is still to be written (ok false if there is none), as the
// caller finishes it.
func Unfinished(r store.Reader, ins *ruqiv1.Inspection) (c Cancelled, ok bool, err error) {
	pending, held, err := pendingWithdrawal(r, ins.GetId())
	if err != nil || !pending {
		return Cancelled{}, false, err
	}
	ent, err := r.Enterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return Cancelled{}, false, err
	}
	return Cancelled{Inspection: ins, Enterprise: ent, HeldVisit: held, Resumed: true}, true, nil
}

func clearWithdrawal(tx store.Tx, id string) error {
	n, err := tx.Count(withdrawalPending(id))
	if err != nil || n == 0 {
		return err
	}
	return tx.AddCount(withdrawalPending(id), -n)
}

// Happened reports whether a visit took place: closed, checked in, a
// result recorded, or an officer's arrival recorded (the enterprise code
// posted on its premises, scanned), which is proof of being there too: a
// visit made without letting the enterprise scan must not be cancelled
// away.
func Happened(r store.Reader, ins *ruqiv1.Inspection) (bool, error) {
	if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED || ins.GetFirstCheckedInAt() != nil || ins.GetResult() != nil {
		return true, nil
	}
	for _, o := range ins.GetOfficerIds() {
		_, err := r.Arrival(ins.GetId(), o)
		if err == nil {
			return true, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return false, err
		}
	}
	return false, nil
}

// Cancel is 撤销 by officer p: the plan leaves the counts, as what it was
// counted as, and is marked cancelled. A visit that took place (checked in,
// results recorded, closed, evaluated) cannot be undone: cancelling it would give back
// its quota and hide it from the 司法局. The coordinator is the caller's,
// after this commits.
func Cancel(tx store.Tx, p auth.Principal, now time.Time, inspectionID, reason string) (Cancelled, error) {
	if domain.Blank(reason) {
		return Cancelled{}, domain.Invalidf("REASON_MISSING", "请填写%s", "撤销原因")
	}
	if err := domain.ValidateText("撤销原因", reason, 500); err != nil {
		return Cancelled{}, err
	}
	ins, err := Load(tx, inspectionID)
	if err != nil {
		return Cancelled{}, err
	}
	if err := MayManage(tx, p, ins); err != nil {
		return Cancelled{}, err
	}
	if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
		if c, ok, err := Unfinished(tx, ins); err != nil || ok {
			return c, err
		}
		return Cancelled{}, domain.FailedPreconditionf("ALREADY_CANCELLED", "检查 %s 已于 %s 撤销", ins.GetId(), domain.FormatTime(ins.GetCancelledAt().AsTime()))
	}
	happened, err := Happened(tx, ins)
	if err != nil {
		return Cancelled{}, err
	}
	// No evaluation is read here: an enterprise evaluates an inspection
	// once it is closed (a result) and another visit once checked in
	// (domain.MayEvaluate), both of which the agency sees. A refusal for
	// evaluated visits alone told the agency which enterprise had
	// evaluated it (a privacy and access trial, 2026-12-06).
	if happened {
		return Cancelled{}, domain.FailedPreconditionf("INSPECTION_HAPPENED", "检查 %s 已经实施（已扫码签到、已登记到场或已记录结果），不能撤销", ins.GetId())
	}
	ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return Cancelled{}, err
	}
	if draw := ins.GetDrawId(); draw != "" {
		// The draw's pick of the enterprise may be used again, if this
		// inspection was counted as using it.
		n, err := tx.Count(drawUsedBy(ins.GetId()))
		if err != nil {
			return Cancelled{}, err
		}
		if n > 0 {
			if err := tx.AddCount(drawUsedBy(ins.GetId()), -n); err != nil {
				return Cancelled{}, err
			}
			if err := tx.AddCount(DrawUseKey(draw, ins.GetEnterpriseUscc()), -1); err != nil {
				return Cancelled{}, err
			}
		}
	}
	// The officers' next check is held again until a reason is given
	// (成都): the one this reason was given for never took place.
	if err := giveBackStreakHolds(tx, ins); err != nil {
		return Cancelled{}, err
	}
	start := ins.GetWindowStart().AsTime()
	region, err := PlanRegion(tx, ins, ent)
	if err != nil {
		return Cancelled{}, err
	}
	counts := []Count{{report.PlanMetric(ins.GetVisitKind()), start, region, ins.GetAgencyId(), ins.GetEnterpriseUscc(), -1}}
	joined, err := countedJoined(tx, ins)
	if err != nil {
		return Cancelled{}, err
	}
	if joined {
		counts = append(counts, Count{report.Joined, start, region, ins.GetAgencyId(), ins.GetEnterpriseUscc(), -1})
		c, err := unmatch(tx, ins, region)
		if err != nil {
			return Cancelled{}, err
		}
		counts = append(counts, c...)
	}
	// Every cancellation is marked, not only one of a plan in a joint
	// inspection now: a plan may join this one before the coordinator is
	// asked, and be its heir.
	mark := int64(1)
	if !joined {
		mark = 2
	}
	if err := tx.AddCount(withdrawalPending(ins.GetId()), mark); err != nil {
		return Cancelled{}, err
	}
	ins.State = ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED
	ins.CancelledAt = timestamppb.New(now)
	ins.CancelReason = strings.TrimSpace(reason)
	if err := tx.PutInspection(ins); err != nil {
		return Cancelled{}, err
	}
	j := journal(tx, p, now)
	e := j.Event(ruqiv1.EventType_EVENT_TYPE_CANCELLED)
	e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), ins.GetCancelReason()
	return Cancelled{Inspection: ins, Enterprise: ent, HeldVisit: !joined}, j.Record(e, counts...)
}
