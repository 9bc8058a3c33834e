package service

import (
	"context"
	"sort"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
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
		resp.Inspection = ins
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// ListPriorResults shows an enterprise's earlier results, of every agency.
func (is *inspectionServer) ListPriorResults(ctx context.Context, req *ruqiv1.ListPriorResultsRequest) (*ruqiv1.ListPriorResultsResponse, error) {
	if err := domain.ValidateUSCC(req.GetEnterpriseUscc()); err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.ListPriorResultsResponse{}
	err := is.s.store.View(ctx, func(r store.Reader) error {
		ent, err := r.Enterprise(req.GetEnterpriseUscc())
		if err != nil {
			return notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在名录中", req.GetEnterpriseUscc())
		}
		p := principal(ctx)
		if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && !domain.RegionCovers(p.Subject, ent.GetRegionCode()) {
			return domain.PermissionDeniedf("OTHER_REGION", "该企业不在您监督的行政区划（%s）内", p.Subject)
		}
		list, err := r.InspectionsOfEnterprise(req.GetEnterpriseUscc())
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

// minEvaluations is the fewest evaluations an agency's summary shows shares
// for: below it, one enterprise's answer could be read off the figures.
const minEvaluations = 3

func (is *inspectionServer) GetEvaluationSummary(ctx context.Context, req *ruqiv1.GetEvaluationSummaryRequest) (*ruqiv1.GetEvaluationSummaryResponse, error) {
	resp := &ruqiv1.GetEvaluationSummaryResponse{}
	now := is.s.now()
	err := is.s.store.View(ctx, func(r store.Reader) error {
		agency := req.GetAgencyId()
		p := principal(ctx)
		agencySide := p.Is(ruqiv1.Role_ROLE_OFFICER) || p.Is(ruqiv1.Role_ROLE_AGENCY_ADMIN)
		if agencySide || agency == "" {
			var err error
			if agency, err = agencyOf(r, ctx, agency); err != nil {
				return err
			}
		}
		// Live sums would let an agency read one enterprise's answers off
		// the difference before and after its visit: the agency sees closed
		// months only, which no longer change. Supervisors see every month.
		before := ""
		if agencySide {
			before = report.Month(now)
		}
		sums, err := report.EvaluationsBefore(r, agency, before)
		if err != nil {
			return err
		}
		n := float64(sums[report.EvalCount])
		sum := &ruqiv1.EvaluationSummary{AgencyId: agency, MinCount: minEvaluations}
		if n >= minEvaluations || !agencySide {
			sum.Evaluations = int32(n)
		}
		if n >= minEvaluations {
			sum.CertificateShownShare = float64(sums[report.EvalCertificate]) / n
			sum.RightsExplainedShare = float64(sums[report.EvalRights]) / n
			sum.ConductedProperlyShare = float64(sums[report.EvalProper]) / n
			sum.OverallAverage = float64(sums[report.EvalOverall]) / n
		}
		resp.Summary = sum
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
