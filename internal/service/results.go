package service

import (
	"context"
	"errors"
	"log/slog"
	"sort"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// RecordResult records what the officers found, per item of their plan, and
// closes the inspection when asked; the enterprise sees it at once.
func (is *inspectionServer) RecordResult(ctx context.Context, req *ruqiv1.RecordResultRequest) (*ruqiv1.RecordResultResponse, error) {
	s := is.s
	now := s.now()
	resp := &ruqiv1.RecordResultResponse{}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		ins, err := inspection.RecordResult(tx, principal(ctx), now, s.cfg.Limits.ClockLeeway, inspection.ResultInput{
			InspectionID: req.GetInspectionId(), Items: req.GetItems(), Summary: req.GetSummary(), Close: req.GetClose()})
		if err != nil {
			return err
		}
		resp.Inspection = ins
		// Its joint visit, as every other answer about the plan names it
		// (a walk through a joint visit, 2026-12-07: the answer to the
		// result alone left 联合检查 out).
		if err := fillJoint(tx, ins); err != nil {
			return err
		}
		if err := inspection.WarnAtResult(tx, principal(ctx), now, ins, s.policies); err != nil {
			return err
		}
		if !req.GetClose() {
			return nil
		}
		resp.StreakHeldOfficerIds, err = inspection.StreakHeldOfficers(tx, ins.GetEnterpriseUscc(), ins.GetOfficerIds())
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if req.GetClose() {
		// The visit is over (coord.Plan.Closed). If the coordinator cannot
		// be told, a registration decided as joining the visit or a
		// duplicate of it is decided again, and the state rebuilt if it
		// stays behind (inspection.CheckStillOpen).
		closed := coord.Plan{InspectionID: resp.GetInspection().GetId(), USCC: resp.GetInspection().GetEnterpriseUscc()}
		if err := s.coord.ClosePlan(context.WithoutCancel(ctx), closed, now); err != nil {
			slog.ErrorContext(ctx, "tell the coordinator a visit closed", "inspection", resp.GetInspection().GetId(), "err", err)
		}
	}
	return resp, nil
}

// ListPriorResults shows an enterprise's earlier results, of every agency,
// to whom inspection.MayReadPriorResults admits.
func (is *inspectionServer) ListPriorResults(ctx context.Context, req *ruqiv1.ListPriorResultsRequest) (*ruqiv1.ListPriorResultsResponse, error) {
	if err := domain.ValidateUSCC(req.GetEnterpriseUscc()); err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.ListPriorResultsResponse{}
	err := is.s.store.View(ctx, func(r store.Reader) error {
		ent, err := r.Enterprise(req.GetEnterpriseUscc())
		if errors.Is(err, store.ErrNotFound) {
			return inspection.UnknownEnterprise(req.GetEnterpriseUscc())
		}
		if err != nil {
			return err
		}
		if err := inspection.MayReadPriorResults(r, principal(ctx), ent); err != nil {
			return err
		}
		list, err := r.InspectionsOfEnterprise(req.GetEnterpriseUscc(), store.Page{})
		if err != nil {
			return err
		}
		for _, ins := range list {
			if ins.GetResult() != nil {
				resp.Results = append(resp.Results, ins.GetResult())
			}
		}
		sort.Slice(resp.Results, func(i, j int) bool {
			return resp.Results[i].GetRecordedAt().AsTime().After(resp.Results[j].GetRecordedAt().AsTime())
		})
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// GetEvaluationSummary is inspection.EvaluationSummary for the caller.
func (is *inspectionServer) GetEvaluationSummary(ctx context.Context, req *ruqiv1.GetEvaluationSummaryRequest) (*ruqiv1.GetEvaluationSummaryResponse, error) {
	resp := &ruqiv1.GetEvaluationSummaryResponse{}
	now := is.s.now()
	err := is.s.store.View(ctx, func(r store.Reader) error {
		if err := agencyFilter(r, req.GetAgencyId()); err != nil {
			return err
		}
		var err error
		resp.Summary, err = inspection.EvaluationSummary(r, principal(ctx), now, req.GetAgencyId())
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
