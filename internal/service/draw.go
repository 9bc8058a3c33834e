package service

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// drawServer publishes 双随机 draws (internal/draw, inspection.CommitDraw).
type drawServer struct {
	ruqiv1.UnimplementedDrawServiceServer
	s *Service
}

func (ds *drawServer) CommitDraw(ctx context.Context, req *ruqiv1.CommitDrawRequest) (*ruqiv1.CommitDrawResponse, error) {
	now := ds.s.now()
	resp := &ruqiv1.CommitDrawResponse{}
	if err := domain.DrawOfficerCount(req.GetOfficerCount(), ds.s.cfg.Limits); err != nil {
		return nil, toStatus(ctx, err)
	}
	// A population named by a filter is listed from the directory first,
	// in a read, not inside the one writer.
	var left, capped int
	err := ds.s.store.View(ctx, func(r store.Reader) error {
		var err error
		req, left, err = inspection.DrawPopulation(r, principal(ctx), req, ds.s.barredFromProactive(now))
		if err != nil {
			return err
		}
		retry, err := inspection.DrawRequested(r, principal(ctx), req)
		if err != nil || retry {
			// A retry is answered with the draw its first attempt
			// committed (inspection.CommitDraw): what it left out then
			// is not counted again.
			return err
		}
		req, capped, err = ds.s.leaveOutCapReached(r, principal(ctx), now, req, left)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	err = ds.s.store.Update(ctx, func(tx store.Tx) error {
		d, err := inspection.CommitDraw(tx, principal(ctx), now, req)
		resp.Draw, resp.EnterprisesLeftOut, resp.EnterprisesCapReached = d, int32(left), int32(capped)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// barredFromProactive says whether the region's policy lets no proactive
// inspection by an agency reach an enterprise in now's year, counting
// nothing yet: the caps the coordinator holds registrations to
// (coord.Policy.YearCap), so that a draw does not pick what it could never
// register.
func (s *Service) barredFromProactive(now time.Time) inspection.Barred {
	year := now.In(domain.Shanghai).Year()
	return func(agency string, e *ruqiv1.Enterprise) bool {
		pol := s.policies.For(e.GetRegionCode())
		return pol.YearCap(coord.YearCounts{}, agency, gradeLetter(e.GetCreditGrade()), false, true, year) != nil
	}
}

// leaveOutCapReached takes out of a draw's list the enterprises where one
// more proactive inspection by the agency would break a year cap of their
// region's policy, counting the inspections registered now (yearCounts, as
// the coordinator counts them): the agency's own cap (by default 2 a year)
// or a grade's cap on all agencies. A pick of one was refused
// FREQUENCY_CAP until the year ended, a pick wasted, as a grade A pick was
// before barredFromProactive. The visits cap is not applied here: a plan
// that joins another agency's visit escapes it. left is what
// barredFromProactive already left out, for the message when nothing
// remains. An enterprise not in the directory stays for CommitDraw to name.
//
// Reading every listed enterprise's inspections made a draw of 20,000 on
// PostgreSQL take a second, a round trip each (docs/BENCHMARKS.md). The
// report's per-enterprise counters, a range read a month over the
// agency's territory, say first which enterprises have as many inspections
// this year as their smallest cap; only those are read. The agency's own
// plans are all counted under its territory; other agencies' plans at an
// enterprise that moved in from outside it are counted under the region it
// left, and a grade's cap may then be missed: the pick is refused at
// registration, as before.
func (s *Service) leaveOutCapReached(r store.Reader, p auth.Principal, now time.Time, req *ruqiv1.CommitDrawRequest, left int) (*ruqiv1.CommitDrawRequest, int, error) {
	pop := req.GetEnterprisePopulation()
	if len(pop) == 0 {
		return req, 0, nil // CommitDraw refuses it
	}
	agency, err := inspection.AgencyOf(r, p, req.GetAgencyId())
	if err != nil {
		return nil, 0, err
	}
	ag, err := r.Agency(agency)
	if err != nil {
		return nil, 0, err
	}
	year := now.In(domain.Shanghai).Year()
	inspected, err := report.EnterpriseInspections(r, ag.GetRegionCode(), year)
	if err != nil {
		return nil, 0, err
	}
	var suspects []string
	for _, u := range pop {
		if inspected[u] > 0 {
			suspects = append(suspects, u)
		}
	}
	if len(suspects) == 0 {
		return req, 0, nil
	}
	listed, err := r.EnterprisesOf(suspects)
	if err != nil {
		return nil, 0, err
	}
	reached := map[string]bool{}
	for _, e := range listed {
		pol, grade := s.policies.For(e.GetRegionCode()), gradeLetter(e.GetCreditGrade())
		least, capped := pol.ProactivePerYearByGrade[grade]
		if pol.AgencyPerYear != nil && (!capped || *pol.AgencyPerYear < least) {
			least, capped = *pol.AgencyPerYear, true
		}
		if !capped || inspected[e.GetUscc()] < int64(least) {
			continue
		}
		c, err := yearCounts(r, e, pol, year, false)
		if err != nil {
			return nil, 0, err
		}
		if pol.YearCap(c, agency, grade, false, false, year) != nil {
			reached[e.GetUscc()] = true
		}
	}
	if len(reached) == 0 {
		return req, 0, nil
	}
	kept := proto.CloneOf(req)
	kept.EnterprisePopulation = slices.DeleteFunc(slices.Clone(pop), func(u string) bool { return reached[u] })
	if len(kept.EnterprisePopulation) == 0 {
		return nil, 0, domain.FailedPreconditionf("DRAW_POPULATION_EMPTY",
			"可抽取的企业为零：%d 家企业本年度的主动检查已达上限（本部门的，或按信用等级对所有部门的，按本地区无事不扰的规定），另有 %d 家本年度不得主动检查，无从抽取", len(reached), left)
	}
	return kept, len(reached), nil
}

// openCheckpoint checks a checkpoint with the server's own log key: the
// randomness is only what the log signed.
func (s *Service) openCheckpoint(note []byte) (uint64, []byte, error) {
	if s.logVerifier == nil {
		return 0, nil, domain.Unavailablef("LOG_NOT_CONFIGURED", "服务器未配置默克尔日志，无法产生抽取的随机数")
	}
	cp, err := s.logVerifier.Checkpoint(note)
	if err != nil {
		return 0, nil, err
	}
	return cp.Size, cp.Hash, nil
}

func (ds *drawServer) RevealDraw(ctx context.Context, req *ruqiv1.RevealDrawRequest) (*ruqiv1.RevealDrawResponse, error) {
	now := ds.s.now()
	resp := &ruqiv1.RevealDrawResponse{}
	err := ds.s.store.Update(ctx, func(tx store.Tx) error {
		d, err := inspection.RevealDraw(tx, principal(ctx), now, req.GetDrawId(), ds.s.openCheckpoint)
		resp.Draw = d
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// GetDraw is public: the draw and, once revealed, the receipt of its
// commitment under the randomness checkpoint, all that `ruqi draw verify`
// needs beside the log's key.
func (ds *drawServer) GetDraw(ctx context.Context, req *ruqiv1.GetDrawRequest) (*ruqiv1.GetDrawResponse, error) {
	resp, err := ds.s.GetDraw(ctx, req.GetDrawId())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// GetDraw reads a published draw with its commitment receipt (also for the
// public page).
func (s *Service) GetDraw(ctx context.Context, id string) (*ruqiv1.GetDrawResponse, error) {
	resp := &ruqiv1.GetDrawResponse{}
	err := s.store.View(ctx, func(r store.Reader) error {
		resp.Reset()
		d, err := inspection.LoadDraw(r, id)
		if err != nil {
			return err
		}
		resp.Draw = d
		if len(d.GetRandomness()) == 0 {
			return nil
		}
		if resp.CommitmentReceipt, err = tlog.NewReceiptAt(r, d.GetCommitSeq(), d.GetRandomnessSize()); err != nil {
			return err
		}
		// The reveal's own event, once a checkpoint holds it.
		seq, err := inspection.RevealSeq(r, d)
		if err != nil || seq == 0 {
			return err
		}
		resp.RevealReceipt, err = tlog.NewReceipt(r, seq)
		if errors.Is(err, tlog.ErrNotIntegrated) {
			resp.RevealReceipt, err = nil, nil
		}
		return err
	})
	return resp, err
}

func (ds *drawServer) ListDraws(ctx context.Context, req *ruqiv1.ListDrawsRequest) (*ruqiv1.ListDrawsResponse, error) {
	pg, err := parsePage(req.GetPageSize(), req.GetPageToken())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.ListDrawsResponse{}
	err = ds.s.store.View(ctx, func(r store.Reader) error {
		var err error
		resp.Draws, resp.NextPageToken, err = fillPage(pg, r.Draws, (*ruqiv1.Draw).GetId, func(d *ruqiv1.Draw) (bool, error) {
			d.EnterprisePopulation, d.OfficerPopulation = nil, nil
			return true, nil
		})
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}
