package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// heirAuthority is who withdraws an heir the caps refuse: the rule, acting
// as the system's administrator (the events name it).
var heirAuthority = auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "frequency-policy"}

// holdHeirToCaps holds the plan that inherited a visit (a cancellation, or a
// dropped reservation, handed it over; or the 个案 beside it, for which it
// was kept, left) to the caps on visits and entries,
// which it was not held to when it joined the visit, adding none. Its
// agency's and the grade's caps counted it at registration already. A plan
// over them is withdrawn, with the rule as its reason, and its own
// withdrawal hands the visit on in turn. Found by a trial of caps across
// replicas (2026-12-06): a routine plan, refused alone once the year's
// visits were spent, joined a 个案 visit and held a second proactive visit
// when the 个案 was cancelled; a plan of 1 January that joined a visit
// counted in December was charged to January, whose visits were spent.
//
// A visit that an exempt plan (个案) still in it makes anyway is not
// withdrawn from: it takes place whoever holds it, and the enterprise's
// count is the same (a review, 2026-12-06).
//
// Between the hand-over and this withdrawal the enterprise counts one
// visit too many, so a registration deciding meanwhile may be refused: the
// cap errs towards fewer visits. A process that dies in between leaves the
// heir standing over the cap, which the 司法局's report then shows.
func (s *Service) holdHeirToCaps(ctx context.Context, heir string) {
	ctx = context.WithoutCancel(ctx) // the caller's client may have gone: the rule holds all the same
	var reason string
	err := s.store.View(ctx, func(r store.Reader) error {
		ins, err := r.Inspection(heir)
		if errors.Is(err, store.ErrNotFound) {
			return nil // still being written: its registration holds it to the caps (decideAndWrite)
		}
		if err != nil {
			return err
		}
		ent, err := r.Enterprise(ins.GetEnterpriseUscc())
		if err != nil {
			return err
		}
		plan := planOf(ins, ent)
		if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED || plan.Exempt || plan.Late || plan.NotInspection {
			return nil // 有事必到; a late record has happened; never merged
		}
		if joined, err := report.PlanJoined(r, heir, false); err != nil || joined {
			return err // it holds no visit of its own: nothing to hold
		}
		pol := s.policies.For(ent.GetRegionCode())
		year := plan.Start.In(pol.Zone).Year()
		if exempt, err := exemptBeside(r, ins, ent, func(t time.Time) bool { return t.In(pol.Zone).Year() == year }); err != nil || exempt {
			return err
		}
		st, ok, err := s.standing(r, ins.GetEnterpriseUscc(), year)
		if err != nil || !ok {
			return err
		}
		// st counts the heir's visit: it holds it now.
		reason = overCapReason(pol, st.Counts, year)
		return nil
	})
	if err != nil {
		slog.ErrorContext(ctx, "hold the plan that inherited a visit to the caps", "inspection", heir, "err", err)
		return
	}
	if reason == "" {
		return
	}
	is := &inspectionServer{s: s}
	_, err = is.CancelInspection(auth.WithPrincipal(ctx, heirAuthority), &ruqiv1.CancelInspectionRequest{InspectionId: heir, Reason: reason})
	if status.Code(err) == codes.FailedPrecondition {
		return // cancelled meanwhile, or its visit began: nothing to withdraw
	}
	if err != nil {
		slog.ErrorContext(ctx, "withdraw a plan that inherited a visit over the caps", "inspection", heir, "err", err)
		return
	}
	slog.InfoContext(ctx, "withdrew a plan that inherited a visit over the caps", "inspection", heir)
}

// exemptBeside reports whether an exempt plan (个案) still standing, whose
// window starts in the heir's year (inYear), is in the joint visit ins is
// in. One of the year before would have counted the visit in that year: a
// plan of 1 January beside a 个案 of 31 December holds a visit of the new
// year, whose cap may be spent (a review, 2026-12-06).
func exemptBeside(r store.Reader, ins *ruqiv1.Inspection, ent *ruqiv1.Enterprise, inYear func(time.Time) bool) (bool, error) {
	joint, _, err := r.JointOf(ins.GetId())
	if errors.Is(err, store.ErrNotFound) || joint == "" {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	j, err := r.JointInspection(joint)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, id := range j.GetInspectionIds() {
		if id == ins.GetId() {
			continue
		}
		m, err := r.Inspection(id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return false, err
		}
		if m.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED && planOf(m, ent).Exempt && inYear(m.GetWindowStart().AsTime()) {
			return true, nil
		}
	}
	return false, nil
}

// overCapReason says, as the withdrawn plan's reason, which cap the year's
// counts c are over, or "" if none.
func overCapReason(pol coord.Policy, c coord.YearCounts, year int) string {
	what, n, limit := "", 0, 0
	switch {
	case pol.VisitsPerYear != nil && c.Visits > *pol.VisitsPerYear:
		what, n, limit = "入企检查", c.Visits, *pol.VisitsPerYear
	case pol.EntriesPerYear != nil && c.Entries > *pol.EntriesPerYear:
		what, n, limit = "入企", c.Entries, *pol.EntriesPerYear
	default:
		return ""
	}
	return fmt.Sprintf("频次上限（无事不扰）：同次入企的其他检查撤销或未能报备后，这次入企改由本检查计入，企业%d年的%s次数将达%d次，超过上限%d次，由系统撤销",
		year, what, n, limit)
}
