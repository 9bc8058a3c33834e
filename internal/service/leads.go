package service

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type supervisionServer struct {
	ruqiv1.UnimplementedSupervisionServiceServer
	s *Service
}

// openLead writes a new lead (问题线索) for the 司法局 and its event, in tx.
// id, if given, makes the lead idempotent: the same id is one lead.
func openLead(tx store.Tx, ctx context.Context, now time.Time, id string, l *ruqiv1.Lead) (*ruqiv1.Lead, error) {
	if id == "" {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, err
		}
		id = domain.LeadID(b)
	} else if existing, err := tx.Lead(id); err == nil {
		return existing, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	l.Id = id
	l.Status = ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED
	l.CreatedAt = timestamppb.New(now)
	if l.GetRegionCode() == "" && l.GetEnterpriseUscc() != "" {
		if ent, err := tx.Enterprise(l.GetEnterpriseUscc()); err == nil {
			l.RegionCode = ent.GetRegionCode()
		} else {
			l.RegionCode = domain.USCCRegion(l.GetEnterpriseUscc())
		}
	}
	l.Steps = []*ruqiv1.LeadStep{{Status: ruqiv1.LeadStatus_LEAD_STATUS_RECEIVED, At: l.GetCreatedAt(), By: principal(ctx).String()}}
	if err := tx.PutLead(l); err != nil {
		return nil, err
	}
	e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_LEAD_OPENED)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId = l.GetInspectionId(), l.GetEnterpriseUscc(), l.GetOfficerId()
	e.Detail = l.GetId() + " " + l.GetKind().String()
	if err := tx.AppendEvent(e); err != nil {
		return nil, err
	}
	return l, report.MoveLead(tx, l.GetRegionCode(), "", l.GetStatus().String())
}

// mayOversee is the supervisor's scope: their region; administrators all.
func mayOversee(ctx context.Context, region string) bool {
	p := principal(ctx)
	return p.Is(ruqiv1.Role_ROLE_ADMIN) || (p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && domain.RegionCovers(p.Subject, region))
}

func (ss *supervisionServer) ListLeads(ctx context.Context, req *ruqiv1.ListLeadsRequest) (*ruqiv1.ListLeadsResponse, error) {
	resp := &ruqiv1.ListLeadsResponse{}
	err := ss.s.store.View(ctx, func(r store.Reader) error {
		leads, err := r.Leads()
		if err != nil {
			return err
		}
		for _, l := range leads {
			if !mayOversee(ctx, l.GetRegionCode()) {
				continue
			}
			if req.GetStatus() != ruqiv1.LeadStatus_LEAD_STATUS_UNSPECIFIED && l.GetStatus() != req.GetStatus() {
				continue
			}
			resp.Leads = append(resp.Leads, l)
		}
		return nil
	})
	return resp, toStatus(ctx, err)
}

func (ss *supervisionServer) UpdateLead(ctx context.Context, req *ruqiv1.UpdateLeadRequest) (*ruqiv1.UpdateLeadResponse, error) {
	if err := requireText(req.GetNote(), "NOTE_MISSING", "处理说明"); err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := domain.ValidateText("处理说明", req.GetNote(), 1000); err != nil {
		return nil, toStatus(ctx, err)
	}
	now := ss.s.now()
	resp := &ruqiv1.UpdateLeadResponse{}
	err := ss.s.store.Update(ctx, func(tx store.Tx) error {
		l, err := tx.Lead(req.GetLeadId())
		if err != nil {
			return notFound(err, "LEAD_UNKNOWN", "问题线索 %s 不存在", req.GetLeadId())
		}
		if !mayOversee(ctx, l.GetRegionCode()) {
			return domain.PermissionDeniedf("OTHER_REGION", "问题线索 %s 不在您监督的行政区划内", l.GetId())
		}
		if err := domain.CheckLeadTransition(l.GetId(), l.GetStatus(), req.GetStatus()); err != nil {
			return err
		}
		if err := report.MoveLead(tx, l.GetRegionCode(), l.GetStatus().String(), req.GetStatus().String()); err != nil {
			return err
		}
		l.Status = req.GetStatus()
		l.Steps = append(l.Steps, &ruqiv1.LeadStep{Status: req.GetStatus(), At: timestamppb.New(now), By: principal(ctx).String(), Note: strings.TrimSpace(req.GetNote())})
		if err := tx.PutLead(l); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_LEAD_UPDATED)
		e.InspectionId, e.EnterpriseUscc = l.GetInspectionId(), l.GetEnterpriseUscc()
		e.Detail = l.GetId() + " " + req.GetStatus().String()
		resp.Lead = l
		return tx.AppendEvent(e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// ListEvaluations shows supervisors who evaluated: the 司法局 may know, the
// agency may not.
func (ss *supervisionServer) ListEvaluations(ctx context.Context, req *ruqiv1.ListEvaluationsRequest) (*ruqiv1.ListEvaluationsResponse, error) {
	resp := &ruqiv1.ListEvaluationsResponse{}
	err := ss.s.store.View(ctx, func(r store.Reader) error {
		list, err := r.Evaluations(req.GetAgencyId())
		if err != nil {
			return err
		}
		for _, e := range list {
			if mayOversee(ctx, regionOf(r, e.GetEnterpriseUscc())) {
				resp.Evaluations = append(resp.Evaluations, e)
			}
		}
		return nil
	})
	return resp, toStatus(ctx, err)
}
