package service

import (
	"context"
	"errors"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
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
	var left int
	err := ds.s.store.View(ctx, func(r store.Reader) error {
		var err error
		req, left, err = inspection.DrawPopulation(r, principal(ctx), req, ds.s.barredFromProactive(now))
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	err = ds.s.store.Update(ctx, func(tx store.Tx) error {
		d, err := inspection.CommitDraw(tx, principal(ctx), now, req)
		resp.Draw, resp.EnterprisesLeftOut = d, int32(left)
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
