package service

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"time"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// ListOwnLeads lists the leads the calling enterprise's own steps opened
// (domain.EnterpriseFollows), newest first, as the enterprise may read
// them (inspection.OwnLeadView). It was given each lead's number and told
// to ask the 司法局 with it, and could not see what became of it (stop 45's
// list). An account's, not a front-desk device's: complaints are written in
// the enterprise's name, and a device may not make them either.
func (es *enterpriseServer) ListOwnLeads(ctx context.Context, req *ruqiv1.ListOwnLeadsRequest) (*ruqiv1.ListOwnLeadsResponse, error) {
	if err := notFromDevice(ctx, "查看问题线索"); err != nil {
		return nil, toStatus(ctx, err)
	}
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	uscc := principal(ctx).Subject
	now := es.s.now()
	resp := &ruqiv1.ListOwnLeadsResponse{}
	err = es.s.store.View(ctx, func(r store.Reader) error {
		resp.Reset()
		ids, err := inspection.OwnLeadIDs(r, uscc)
		if err != nil {
			return err
		}
		start := 0
		if pg.after != "" {
			i := slices.Index(ids, pg.after)
			if i < 0 {
				return domain.Invalidf("PAGE_TOKEN_MALFORMED", "翻页标记无效，请从第一页重新查询")
			}
			start = i + 1
		}
		end := min(start+pg.size, len(ids))
		for _, id := range ids[start:end] {
			l, err := r.Lead(id)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if l.GetEnterpriseUscc() != uscc {
				continue // a mark is the enterprise's by its key; read as if not
			}
			shown, err := es.s.leadInspectionShown(r, l, now)
			if err != nil {
				return err
			}
			v := inspection.OwnLeadView(l, shown)
			nameLead(r, v)
			resp.Leads = append(resp.Leads, v)
		}
		if end < len(ids) {
			resp.NextPageToken = pageToken(ids[end-1])
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// leadInspectionShown says whether what a lead names of an inspection (its
// id, agency and officer) is the lead's enterprise's to read now: its own
// inspection, announced (检查预告). Another enterprise's code scanned here
// names that visit; the scan told the enterprise none of it.
func (s *Service) leadInspectionShown(r store.Reader, l *ruqiv1.Lead, now time.Time) (bool, error) {
	if l.GetInspectionId() == "" {
		// A code whose signature failed names no inspection, nor an
		// agency or officer; a lead that named one without its
		// inspection would have it hidden, as it could not be checked.
		return l.GetAgencyId() == "" && l.GetOfficerId() == "", nil
	}
	ins, err := r.Inspection(l.GetInspectionId())
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return ins.GetEnterpriseUscc() == l.GetEnterpriseUscc() && inspection.Shown(r, ins, now, s.policies), nil
}

// MarkOwnLeads indexes under their enterprises the leads opened before
// ListOwnLeads existed, or by a version rolled back to
// (inspection.MarkOwnLeads); once a start, on the replica that sequences.
func (s *Service) MarkOwnLeads(ctx context.Context) error {
	n, err := inspection.MarkOwnLeads(
		func(fn func(store.Reader) error) error { return s.store.View(ctx, fn) },
		func(fn func(store.Tx) error) error { return s.store.Update(ctx, fn) })
	if n > 0 {
		slog.Info("indexed the leads under the enterprises that opened them", "leads", n)
	}
	return err
}
