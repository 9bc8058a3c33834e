package service

import (
	"context"

	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// EvaluateInspection records the enterprise's evaluation (评价) of one of its
// completed inspections, once (inspection.Evaluate).
func (es *enterpriseServer) EvaluateInspection(ctx context.Context, req *ruqiv1.EvaluateInspectionRequest) (*ruqiv1.EvaluateInspectionResponse, error) {
	s := es.s
	now := s.now()
	if err := notFromDevice(ctx, "评价检查"); err != nil {
		return nil, toStatus(ctx, err)
	}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		_, err := inspection.Evaluate(tx, principal(ctx), now, inspection.EvaluationInput{
			InspectionID: req.GetInspectionId(), CertificateShown: req.GetCertificateShown(), RightsExplained: req.GetRightsExplained(),
			ConductedProperly: req.GetConductedProperly(), Overall: req.GetOverall(), Comment: req.GetComment(),
			Policies: s.policies,
		})
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.EvaluateInspectionResponse{}, nil
}

// Complain files the enterprise's complaint about an inspection, or about a
// visit that had no registered inspection at all; it becomes a lead
// (inspection.Complain).
func (es *enterpriseServer) Complain(ctx context.Context, req *ruqiv1.ComplainRequest) (*ruqiv1.ComplainResponse, error) {
	s := es.s
	now := s.now()
	if err := notFromDevice(ctx, "以企业名义投诉"); err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.ComplainResponse{}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		l, again, err := inspection.Complain(tx, principal(ctx), now, s.cfg.Limits.ClockLeeway, inspection.Complaint{
			InspectionID: req.GetInspectionId(), OfficerClaimed: req.GetOfficerClaimed(), Description: req.GetDescription(), OccurredAt: req.GetOccurredAt(),
			RequestID: req.GetRequestId(), Policies: s.policies})
		if err != nil {
			return err
		}
		resp.LeadId, resp.AlreadyRecorded = l.GetId(), again
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
