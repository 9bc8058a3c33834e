package service

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type supervisionServer struct {
	ruqiv1.UnimplementedSupervisionServiceServer
	s *Service
}

// mayOversee is the supervisor's scope: their region; administrators all.
func mayOversee(ctx context.Context, region string) bool {
	return inspection.MayOversee(principal(ctx), region)
}

// regionInScope refuses a supervisor a region that narrows a report or a
// list beyond their own: the lead list answered "none" for a district
// whose report beside it was refused (a 司法局 trial, 2026-12-06).
func regionInScope(ctx context.Context, region string) error {
	if p := principal(ctx); p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && !domain.RegionCovers(p.Subject, region) {
		return domain.PermissionDeniedf("OTHER_REGION", "行政区划 %s 不在您监督的范围（%s）内", region, p.Subject)
	}
	return nil
}

func (ss *supervisionServer) ListLeads(ctx context.Context, req *ruqiv1.ListLeadsRequest) (*ruqiv1.ListLeadsResponse, error) {
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if rg := req.GetRegionCode(); rg != "" {
		if err := domain.ValidateRegion(rg); err != nil {
			return nil, toStatus(ctx, err)
		}
		if err := regionInScope(ctx, rg); err != nil {
			return nil, toStatus(ctx, err)
		}
	}
	resp := &ruqiv1.ListLeadsResponse{}
	err = ss.s.store.View(ctx, func(r store.Reader) error {
		if err := agencyFilter(r, req.GetAgencyId()); err != nil {
			return err
		}
		var err error
		resp.Leads, resp.NextPageToken, err = fillPage(pg, r.Leads, (*ruqiv1.Lead).GetId, func(l *ruqiv1.Lead) (bool, error) {
			region := inspection.LeadRegion(r, l)
			if !mayOversee(ctx, region) {
				return false, nil
			}
			if rg := req.GetRegionCode(); rg != "" && !domain.RegionCovers(rg, region) {
				return false, nil
			}
			if a := req.GetAgencyId(); a != "" && l.GetAgencyId() != a {
				return false, nil
			}
			return req.GetStatus() == ruqiv1.LeadStatus_LEAD_STATUS_UNSPECIFIED || l.GetStatus() == req.GetStatus(), nil
		})
		for _, l := range resp.Leads {
			nameLead(r, l)
		}
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// nameLead gives a lead read for the supervisor the directory's names of
// its enterprise, agency and officer. A name that cannot be read is left
// empty: the ids are still there, and a lead must list even if its
// enterprise has left the directory.
func nameLead(r store.Reader, l *ruqiv1.Lead) {
	l.EnterpriseName = enterpriseName(r, l.GetEnterpriseUscc())
	l.AgencyName = agencyName(r, l.GetAgencyId())
	l.OfficerName = officerName(r, l.GetOfficerId())
}

// UpdateLead moves a lead along its lifecycle (inspection.UpdateLead).
func (ss *supervisionServer) UpdateLead(ctx context.Context, req *ruqiv1.UpdateLeadRequest) (*ruqiv1.UpdateLeadResponse, error) {
	now := ss.s.now()
	resp := &ruqiv1.UpdateLeadResponse{}
	err := ss.s.store.Update(ctx, func(tx store.Tx) error {
		l, err := inspection.UpdateLead(tx, principal(ctx), now, inspection.LeadUpdate{LeadID: req.GetLeadId(), Status: req.GetStatus(), Note: req.GetNote(), Reply: req.GetReply()})
		if err != nil {
			return err
		}
		// A copy: the names are the answer's, not the record's.
		resp.Lead = proto.CloneOf(l)
		nameLead(tx, resp.Lead)
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// ListEvaluations shows supervisors who evaluated: the 司法局 may know, the
// agency may not.
func (ss *supervisionServer) ListEvaluations(ctx context.Context, req *ruqiv1.ListEvaluationsRequest) (*ruqiv1.ListEvaluationsResponse, error) {
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.ListEvaluationsResponse{}
	err = ss.s.store.View(ctx, func(r store.Reader) error {
		if err := agencyFilter(r, req.GetAgencyId()); err != nil {
			return err
		}
		read := func(p store.Page) ([]*ruqiv1.Evaluation, error) { return r.Evaluations(req.GetAgencyId(), p) }
		var err error
		resp.Evaluations, resp.NextPageToken, err = fillPage(pg, read, (*ruqiv1.Evaluation).GetInspectionId, func(e *ruqiv1.Evaluation) (bool, error) {
			return mayOversee(ctx, regionOf(r, e.GetEnterpriseUscc())), nil
		})
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// AttachSupervisor attaches a supervisor of the region to an inspection
// (伴随式执法监督).
func (ss *supervisionServer) AttachSupervisor(ctx context.Context, req *ruqiv1.AttachSupervisorRequest) (*ruqiv1.AttachSupervisorResponse, error) {
	now := ss.s.now()
	resp := &ruqiv1.AttachSupervisorResponse{}
	err := ss.s.store.Update(ctx, func(tx store.Tx) error {
		a, err := inspection.AttachSupervisor(tx, principal(ctx), now, req.GetInspectionId(), req.GetSupervisorName())
		resp.Accompaniment = a
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// RecordAccompaniment records the accompanying supervisor's checklist once.
func (ss *supervisionServer) RecordAccompaniment(ctx context.Context, req *ruqiv1.RecordAccompanimentRequest) (*ruqiv1.RecordAccompanimentResponse, error) {
	now := ss.s.now()
	resp := &ruqiv1.RecordAccompanimentResponse{}
	err := ss.s.store.Update(ctx, func(tx store.Tx) error {
		a, l, err := inspection.RecordAccompaniment(tx, principal(ctx), now, req)
		resp.Accompaniment, resp.Lead = a, l
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// ListAccompaniments shows an inspection's accompaniments to the 司法局 and,
// read-only, to the inspecting agency.
func (ss *supervisionServer) ListAccompaniments(ctx context.Context, req *ruqiv1.ListAccompanimentsRequest) (*ruqiv1.ListAccompanimentsResponse, error) {
	resp := &ruqiv1.ListAccompanimentsResponse{}
	err := ss.s.store.View(ctx, func(r store.Reader) error {
		var err error
		resp.Accompaniments, err = inspection.ListAccompaniments(r, principal(ctx), req.GetInspectionId())
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
