package service

import (
	"context"
	"errors"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// planServer holds the inspection plans (检查计划); every rule is in
// internal/inspection/plan.go and internal/domain/plan.go.
type planServer struct {
	ruqiv1.UnimplementedPlanServiceServer
	s *Service
}

// planStep runs one step on a plan in a transaction and answers the plan
// as the caller sees it (overdue marked at the step's time).
func (ps *planServer) planStep(ctx context.Context, step func(store.Tx) (*ruqiv1.Plan, error)) (*ruqiv1.Plan, error) {
	var out *ruqiv1.Plan
	err := ps.s.store.Update(ctx, func(tx store.Tx) error {
		pl, err := step(tx)
		out = pl
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	out.Overdue = domain.Overdue(out, ps.s.now())
	return out, nil
}

func (ps *planServer) FilePlan(ctx context.Context, req *ruqiv1.FilePlanRequest) (*ruqiv1.FilePlanResponse, error) {
	now := ps.s.now()
	pl, err := ps.planStep(ctx, func(tx store.Tx) (*ruqiv1.Plan, error) {
		return inspection.FilePlan(tx, principal(ctx), now, req, ps.s.barredFromProactive(now))
	})
	if err != nil {
		return nil, err
	}
	return &ruqiv1.FilePlanResponse{Plan: pl}, nil
}

func (ps *planServer) AmendPlan(ctx context.Context, req *ruqiv1.AmendPlanRequest) (*ruqiv1.AmendPlanResponse, error) {
	now := ps.s.now()
	pl, err := ps.planStep(ctx, func(tx store.Tx) (*ruqiv1.Plan, error) {
		return inspection.AmendPlan(tx, principal(ctx), now, req, ps.s.barredFromProactive(now))
	})
	if err != nil {
		return nil, err
	}
	return &ruqiv1.AmendPlanResponse{Plan: pl}, nil
}

func (ps *planServer) ApprovePlan(ctx context.Context, req *ruqiv1.ApprovePlanRequest) (*ruqiv1.ApprovePlanResponse, error) {
	now := ps.s.now()
	days := func(region string) int { return ps.s.policies.For(region).PlanPublishDays }
	var already bool
	pl, err := ps.planStep(ctx, func(tx store.Tx) (*ruqiv1.Plan, error) {
		var pl *ruqiv1.Plan
		var err error
		pl, already, err = inspection.ApprovePlan(tx, principal(ctx), now, req, days)
		return pl, err
	})
	if err != nil {
		return nil, err
	}
	return &ruqiv1.ApprovePlanResponse{Plan: pl, AlreadyApproved: already}, nil
}

func (ps *planServer) PublishPlan(ctx context.Context, req *ruqiv1.PublishPlanRequest) (*ruqiv1.PublishPlanResponse, error) {
	now := ps.s.now()
	var already bool
	pl, err := ps.planStep(ctx, func(tx store.Tx) (*ruqiv1.Plan, error) {
		var pl *ruqiv1.Plan
		var err error
		pl, already, err = inspection.PublishPlan(tx, principal(ctx), now, req)
		return pl, err
	})
	if err != nil {
		return nil, err
	}
	return &ruqiv1.PublishPlanResponse{Plan: pl, AlreadyPublished: already}, nil
}

func (ps *planServer) GetPlan(ctx context.Context, req *ruqiv1.GetPlanRequest) (*ruqiv1.GetPlanResponse, error) {
	var pl *ruqiv1.Plan
	err := ps.s.store.View(ctx, func(r store.Reader) error {
		var err error
		if pl, err = inspection.LoadPlan(r, req.GetPlanId()); err != nil {
			return err
		}
		if err := inspection.MayReadPlan(r, principal(ctx), pl); err != nil {
			return err
		}
		pl = forSupervisor(r, principal(ctx), pl)
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	pl.Overdue = domain.Overdue(pl, ps.s.now())
	return &ruqiv1.GetPlanResponse{Plan: pl}, nil
}

// forSupervisor is a plan as principal p reads it: cut to p's region when p
// is a supervisor of a region the plan is not of (domain.ForRegion).
func forSupervisor(r store.Reader, p auth.Principal, pl *ruqiv1.Plan) *ruqiv1.Plan {
	if !p.Is(ruqiv1.Role_ROLE_SUPERVISOR) {
		return pl
	}
	return domain.ForRegion(pl, p.Subject, func(u string) string { return inspection.RegionOf(r, u) })
}

// ListPlans lists an agency's own plans to its officers, administrator and
// head; the plans of the region's agencies to a supervisor; any to an
// administrator.
func (ps *planServer) ListPlans(ctx context.Context, req *ruqiv1.ListPlansRequest) (*ruqiv1.ListPlansResponse, error) {
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := ps.s.now()
	p := principal(ctx)
	resp := &ruqiv1.ListPlansResponse{}
	err = ps.s.store.View(ctx, func(r store.Reader) error {
		if err := agencyFilter(r, req.GetAgencyId()); err != nil {
			return err
		}
		agency := req.GetAgencyId()
		if !p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && !p.Is(ruqiv1.Role_ROLE_ADMIN) {
			ag, err := inspection.PlanAgency(r, p, agency)
			if err != nil {
				return err
			}
			agency = ag.GetId()
		}
		read := func(pg store.Page) ([]*ruqiv1.Plan, error) { return r.Plans(agency, pg) }
		var err error
		resp.Plans, resp.NextPageToken, err = fillPage(pg, read, (*ruqiv1.Plan).GetId, func(pl *ruqiv1.Plan) (bool, error) {
			if inspection.MayReadPlan(r, p, pl) != nil {
				return false, nil
			}
			pl.Overdue = domain.Overdue(pl, now)
			return !req.GetOverdueOnly() || pl.GetOverdue(), nil
		})
		for i, pl := range resp.Plans {
			resp.Plans[i] = forSupervisor(r, p, pl)
		}
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// ListPublishedPlans is the public list (检查计划公示): published versions
// only, no sign-in.
// planNames reads the agencies and the items that plans name, once each.
// A name that is gone from the directory is left out: the page shows its id.
func planNames(r store.Reader, plans []*ruqiv1.Plan) ([]*ruqiv1.Agency, []*ruqiv1.CheckItem, error) {
	var agencies []*ruqiv1.Agency
	var items []*ruqiv1.CheckItem
	seen := map[string]bool{}
	for _, pl := range plans {
		if id := pl.GetAgencyId(); !seen["agency|"+id] {
			seen["agency|"+id] = true
			ag, err := r.Agency(id)
			switch {
			case err == nil:
				agencies = append(agencies, ag)
			case !errors.Is(err, store.ErrNotFound):
				return nil, nil, err
			}
		}
		for _, v := range pl.GetVersions() {
			for _, id := range v.GetCheckItemIds() {
				if seen["item|"+id] {
					continue
				}
				seen["item|"+id] = true
				it, err := r.CheckItem(id)
				switch {
				case err == nil:
					items = append(items, it)
				case !errors.Is(err, store.ErrNotFound):
					return nil, nil, err
				}
			}
		}
	}
	return agencies, items, nil
}

func (ps *planServer) ListPublishedPlans(ctx context.Context, req *ruqiv1.ListPublishedPlansRequest) (*ruqiv1.ListPublishedPlansResponse, error) {
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if rc := req.GetRegionCode(); rc != "" {
		if err := domain.ValidateRegion(rc); err != nil {
			return nil, toStatus(ctx, err)
		}
	}
	resp := &ruqiv1.ListPublishedPlansResponse{}
	err = ps.s.store.View(ctx, func(r store.Reader) error {
		read := func(pg store.Page) ([]*ruqiv1.Plan, error) {
			all, err := r.Plans("", pg)
			for i, pl := range all {
				// Keep the id for paging even when nothing is published.
				if pub := domain.Published(pl); pub != nil {
					all[i] = pub
				} else {
					all[i] = &ruqiv1.Plan{Id: pl.GetId()}
				}
			}
			return all, err
		}
		var err error
		resp.Plans, resp.NextPageToken, err = fillPage(pg, read, (*ruqiv1.Plan).GetId, func(pl *ruqiv1.Plan) (bool, error) {
			if len(pl.GetVersions()) == 0 {
				return false, nil
			}
			// A region's plans: its agencies' and those covering its
			// enterprises, as its supervisor sees them.
			return req.GetRegionCode() == "" || domain.PlanConcernsRegion(pl, req.GetRegionCode(), func(u string) string { return inspection.RegionOf(r, u) }), nil
		})
		if err != nil {
			return err
		}
		resp.Agencies, resp.CheckItems, err = planNames(r, resp.GetPlans())
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
