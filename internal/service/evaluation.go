package service

import (
	"context"
	"errors"
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// EvaluateInspection records the enterprise's evaluation (评价) of one of its
// completed inspections, once. The evaluation and the agency's counters are
// written together; the agency reads only the counters.
func (es *enterpriseServer) EvaluateInspection(ctx context.Context, req *ruqiv1.EvaluateInspectionRequest) (*ruqiv1.EvaluateInspectionResponse, error) {
	s := es.s
	if req.GetOverall() < 1 || req.GetOverall() > 5 {
		return nil, toStatus(ctx, domain.Invalidf("OVERALL_RANGE", "总体满意度须为1至5分，收到%d", req.GetOverall()))
	}
	if len([]rune(req.GetComment())) > 1000 {
		return nil, toStatus(ctx, domain.Invalidf("COMMENT_TOO_LONG", "评价意见过长（最多1000字）"))
	}
	now := s.now()
	err := s.store.Update(ctx, func(tx store.Tx) error {
		ins, err := loadInspection(tx, req.GetInspectionId())
		if err != nil {
			return err
		}
		if err := s.mayRead(tx, ctx, ins); err != nil {
			return err
		}
		if ins.GetState() != ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED {
			return domain.FailedPreconditionf("NOT_COMPLETED", "检查 %s 尚未办结，办结后才能评价", ins.GetId())
		}
		if _, err := tx.Evaluation(ins.GetId()); err == nil {
			return domain.AlreadyExistsf("ALREADY_EVALUATED", "检查 %s 已评价过，每次检查只能评价一次", ins.GetId())
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		ev := &ruqiv1.Evaluation{
			InspectionId: ins.GetId(), AgencyId: ins.GetAgencyId(), EnterpriseUscc: ins.GetEnterpriseUscc(),
			CertificateShown: req.GetCertificateShown(), RightsExplained: req.GetRightsExplained(), ConductedProperly: req.GetConductedProperly(),
			Overall: req.GetOverall(), Comment: strings.TrimSpace(req.GetComment()), At: timestamppb.New(now),
		}
		if err := tx.PutEvaluation(ev); err != nil {
			return err
		}
		agency := ins.GetAgencyId()
		ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
		if err != nil {
			return err
		}
		for m, n := range map[report.Metric]int64{
			report.EvalCount: 1, report.EvalOverall: int64(req.GetOverall()), report.EvalCertificate: b2i(req.GetCertificateShown()),
			report.EvalRights: b2i(req.GetRightsExplained()), report.EvalProper: b2i(req.GetConductedProperly()),
		} {
			if err := report.Add(tx, m, now, ent.GetRegionCode(), agency, "", n); err != nil {
				return err
			}
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_EVALUATED)
		e.InspectionId, e.EnterpriseUscc = ins.GetId(), ins.GetEnterpriseUscc()
		return tx.AppendEvent(e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.EvaluateInspectionResponse{}, nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Complain files the enterprise's complaint about an inspection, or about a
// visit that had no registered inspection at all; it becomes a lead.
func (es *enterpriseServer) Complain(ctx context.Context, req *ruqiv1.ComplainRequest) (*ruqiv1.ComplainResponse, error) {
	s := es.s
	if err := requireText(req.GetDescription(), "DESCRIPTION_MISSING", "投诉内容（发生了什么）"); err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := errors.Join(domain.ValidateText("投诉内容", req.GetDescription(), 2000), domain.ValidateText("执法人员", req.GetOfficerClaimed(), 100)); err != nil {
		return nil, toStatus(ctx, domain.Invalidf("TEXT_TOO_LONG", "%v", err))
	}
	now := s.now()
	if at := req.GetOccurredAt(); at != nil && at.AsTime().After(now.Add(s.cfg.Limits.ClockLeeway)) {
		return nil, toStatus(ctx, domain.Invalidf("OCCURRED_IN_FUTURE", "发生时间不能晚于现在"))
	}
	uscc := principal(ctx).Subject
	resp := &ruqiv1.ComplainResponse{}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		lead := &ruqiv1.Lead{Kind: ruqiv1.LeadKind_LEAD_KIND_COMPLAINT, EnterpriseUscc: uscc, OfficerClaimed: strings.TrimSpace(req.GetOfficerClaimed()),
			Description: strings.TrimSpace(req.GetDescription()), OccurredAt: req.GetOccurredAt()}
		if lead.OccurredAt == nil {
			// Without a time given, the complaint is about now: a lead
			// without any time cannot be placed in a report or a month.
			lead.OccurredAt = timestamppb.New(now)
		}
		if req.GetInspectionId() != "" {
			ins, err := loadInspection(tx, req.GetInspectionId())
			if err != nil {
				return err
			}
			if err := s.mayRead(tx, ctx, ins); err != nil {
				return err
			}
			lead.InspectionId, lead.AgencyId = ins.GetId(), ins.GetAgencyId()
		}
		ent, err := tx.Enterprise(uscc)
		if err != nil {
			return err
		}
		if err := report.Add(tx, report.Complaints, now, ent.GetRegionCode(), lead.GetAgencyId(), uscc, 1); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_COMPLAINED)
		e.InspectionId, e.EnterpriseUscc, e.Detail = lead.GetInspectionId(), uscc, lead.GetDescription()
		if err := tx.AppendEvent(e); err != nil {
			return err
		}
		l, err := openLead(tx, ctx, now, "", lead)
		if err != nil {
			return err
		}
		resp.LeadId = l.GetId()
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
