package service

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// heirAuthority is who withdraws an heir the visits cap refuses: the rule,
// acting as the system's administrator (the events name it).
var heirAuthority = auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "frequency-policy"}

// holdHeirToCaps holds the plan that inherited a visit (a cancellation
// handed it over) to the visits cap, which it was not held to when it
// joined the visit, adding none. Its agency's and the grade's caps counted it
// at registration already; the visits cap did not. A plan over it is
// withdrawn, with the rule as its reason, and its own withdrawal hands the
// visit on in turn. Found by a trial of caps across replicas (2026-12-06):
// a routine plan, refused alone once the year's visits were spent, joined a
// 个案 visit and held a second proactive visit when the 个案 was cancelled;
// a plan of 1 January that joined a visit counted in December was charged to
// January, whose visits were spent.
//
// Between the hand-over and this withdrawal the enterprise counts one
// visit too many, so a registration deciding meanwhile may be refused: the
// cap errs towards fewer visits. A process that dies in between leaves the
// heir standing (logged by nothing: the 司法局's report shows the year over
// its cap).
func (s *Service) holdHeirToCaps(ctx context.Context, now time.Time, heir string) {
	var (
		ins    *ruqiv1.Inspection
		reason string
	)
	err := s.store.View(ctx, func(r store.Reader) error {
		var err error
		if ins, err = r.Inspection(heir); err != nil {
			return err
		}
		ent, err := r.Enterprise(ins.GetEnterpriseUscc())
		if err != nil {
			return err
		}
		plan := planOf(ins, ent)
		if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED || plan.Exempt || plan.Late || plan.NotInspection {
			return nil // 有事必到; a late record has happened; entries only
		}
		pol := s.policies.For(ent.GetRegionCode())
		year := plan.Start.In(pol.Zone).Year()
		st, ok, err := s.standing(r, ins.GetEnterpriseUscc(), year)
		if err != nil || !ok || pol.VisitsPerYear == nil {
			return err
		}
		// st counts the heir's visit: it holds it now.
		if st.Counts.Visits > *pol.VisitsPerYear {
			reason = fmt.Sprintf("频次上限：与本检查同次入企的检查撤销后，本检查将单独入企，企业%d年的入企次数将达%d次，超过上限%d次（无事不扰），由系统撤销；如确需检查，请另行报备",
				year, st.Counts.Visits, *pol.VisitsPerYear)
		}
		return nil
	})
	if err != nil {
		slog.ErrorContext(ctx, "hold the plan that inherited a visit to the visits cap", "inspection", heir, "err", err)
		return
	}
	if reason == "" {
		return
	}
	is := &inspectionServer{s: s}
	_, err = is.CancelInspection(auth.WithPrincipal(context.WithoutCancel(ctx), heirAuthority), &ruqiv1.CancelInspectionRequest{InspectionId: heir, Reason: reason})
	if status.Code(err) == codes.FailedPrecondition {
		return // cancelled meanwhile, or its visit began: nothing to withdraw
	}
	if err != nil {
		slog.ErrorContext(ctx, "withdraw a plan that inherited a visit over the visits cap", "inspection", heir, "err", err)
		return
	}
	slog.InfoContext(ctx, "withdrew a plan that inherited a visit over the visits cap", "inspection", heir)
}
