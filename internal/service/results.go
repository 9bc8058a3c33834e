package service

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
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
		ins, err := loadInspection(tx, req.GetInspectionId())
		if err != nil {
			return err
		}
		if err := s.mayManage(tx, ctx, ins); err != nil {
			return err
		}
		switch ins.GetState() {
		case ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED:
			return domain.FailedPreconditionf("INSPECTION_CANCELLED", "检查 %s 已撤销，不能记录结果", ins.GetId())
		case ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED:
			return domain.FailedPreconditionf("INSPECTION_COMPLETED", "检查 %s 已办结，结果不能再修改", ins.GetId())
		}
		if now.Before(ins.GetWindowStart().AsTime().Add(-s.cfg.Limits.ClockLeeway)) {
			return domain.FailedPreconditionf("NOT_STARTED", "检查 %s 尚未开始（%s），不能记录结果", ins.GetId(), domain.FormatTime(ins.GetWindowStart().AsTime()))
		}
		if err := validateItemResults(ins, req.GetItems(), now); err != nil {
			return err
		}
		if err := domain.ValidateText("总体情况", req.GetSummary(), 2000); err != nil {
			return err
		}
		ins.Result = &ruqiv1.InspectionResult{
			InspectionId: ins.GetId(), AgencyId: ins.GetAgencyId(), EnterpriseUscc: ins.GetEnterpriseUscc(),
			Items: req.GetItems(), Summary: strings.TrimSpace(req.GetSummary()),
			RecordedAt: timestamppb.New(now), RecordedBy: principal(ctx).String(),
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED)
		e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), outcomeSummary(req.GetItems())
		if err := tx.AppendEvent(e); err != nil {
			return err
		}
		if req.GetClose() {
			if len(req.GetItems()) != len(ins.GetCheckItemIds()) {
				return domain.Invalidf("RESULT_INCOMPLETE", "办结前须为全部%d个检查事项记录结果，本次只有%d个", len(ins.GetCheckItemIds()), len(req.GetItems()))
			}
			ins.State = ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED
			ins.CompletedAt = timestamppb.New(now)
			e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_COMPLETED)
			e.InspectionId, e.EnterpriseUscc = ins.GetId(), ins.GetEnterpriseUscc()
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
			if err := warnNoFindingStreak(tx, ctx, ins, now); err != nil {
				return err
			}
		}
		resp.Inspection = ins
		return tx.PutInspection(ins)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func validateItemResults(ins *ruqiv1.Inspection, items []*ruqiv1.ItemResult, now time.Time) error {
	if len(items) == 0 {
		return domain.Invalidf("RESULT_EMPTY", "请至少为一个检查事项记录结果")
	}
	for _, it := range items {
		if err := domain.ValidateText("事项备注", it.GetNote(), 1000); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	for _, it := range items {
		if !contains(ins.GetCheckItemIds(), it.GetCheckItemId()) {
			return domain.Invalidf("RESULT_ITEM_UNKNOWN", "检查事项 %s 不在本次报备的事项中：清单之外无检查", it.GetCheckItemId())
		}
		if seen[it.GetCheckItemId()] {
			return domain.Invalidf("RESULT_ITEM_REPEATED", "检查事项 %s 重复记录", it.GetCheckItemId())
		}
		seen[it.GetCheckItemId()] = true
		switch it.GetOutcome() {
		case ruqiv1.ItemOutcome_ITEM_OUTCOME_NO_PROBLEM, ruqiv1.ItemOutcome_ITEM_OUTCOME_FIRST_VIOLATION_NO_PENALTY,
			ruqiv1.ItemOutcome_ITEM_OUTCOME_MINOR_NO_PENALTY, ruqiv1.ItemOutcome_ITEM_OUTCOME_CASE_OPENED:
		case ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED:
			if it.GetRectificationDeadline() == nil || !it.GetRectificationDeadline().AsTime().After(now) {
				return domain.Invalidf("DEADLINE_MISSING", "责令整改须给出晚于今天的整改期限（检查事项 %s）", it.GetCheckItemId())
			}
		default:
			return domain.Invalidf("OUTCOME_MISSING", "请为检查事项 %s 选择结果：未发现问题、首违不罚、轻微免罚、责令整改或立案", it.GetCheckItemId())
		}
	}
	return nil
}

func outcomeSummary(items []*ruqiv1.ItemResult) string {
	var parts []string
	for _, it := range items {
		parts = append(parts, it.GetCheckItemId()+"="+strings.TrimPrefix(it.GetOutcome().String(), "ITEM_OUTCOME_"))
	}
	return strings.Join(parts, " ")
}

// warnNoFindingStreak warns the 司法局 when an officer has found nothing three
// times in a row at one enterprise within a year (domain.NoFindingStreaks).
func warnNoFindingStreak(tx store.Tx, ctx context.Context, ins *ruqiv1.Inspection, now time.Time) error {
	if !domain.NoFinding(ins.GetResult()) {
		return nil
	}
	list, err := tx.InspectionsOfEnterprise(ins.GetEnterpriseUscc())
	if err != nil {
		return err
	}
	for _, st := range domain.NoFindingStreaks(ins, list, now) {
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING)
		e.InspectionId, e.EnterpriseUscc, e.OfficerId = ins.GetId(), ins.GetEnterpriseUscc(), st.OfficerID
		e.Detail = fmt.Sprintf("no_finding_streak count=3 previous=%s,%s", st.Previous[0], st.Previous[1])
		if err := tx.AppendEvent(e); err != nil {
			return err
		}
		ent, err := tx.Enterprise(ins.GetEnterpriseUscc())
		if err != nil {
			return err
		}
		if err := report.Add(tx, report.NoFindingStreaks, now, ent.GetRegionCode(), ins.GetAgencyId(), ins.GetEnterpriseUscc(), 1); err != nil {
			return err
		}
	}
	return nil
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
