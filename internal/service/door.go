package service

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/poster"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type doorServer struct {
	ruqiv1.UnimplementedDoorServiceServer
	s *Service
}

// signEnterpriseCode signs an enterprise code with the ring's active key.
// It has no expiry, so it raises no key's verify_until: the server, which
// keeps every key it ever had in the ring, is its only verifier, and it
// also compares the code with the stored one.
func (s *Service) signEnterpriseCode(uscc string, gen uint64, now time.Time) (*store.EnterpriseCode, error) {
	tokenID := make([]byte, 16)
	if _, err := rand.Read(tokenID); err != nil {
		return nil, err
	}
	key := s.ring.Load().Active()
	msg, err := code.SignEnterprise(key, code.EnterpriseClaims{TokenID: tokenID, Issuer: s.cfg.Issuer, IssuedAt: now, EnterpriseUSCC: uscc, Generation: gen})
	if err != nil {
		return nil, err
	}
	return &store.EnterpriseCode{USCC: uscc, Generation: gen, TokenID: tokenID, KeyID: key.ID, Token: code.EncodeToken(msg), IssuedAt: now.UTC().Truncate(time.Second)}, nil
}

// enterpriseURL is the enterprise code's QR text.
func (s *Service) enterpriseURL(token string) string {
	return strings.ToUpper(strings.TrimRight(s.cfg.PublicURL, "/")) + "/E/" + token
}

func (s *Service) enterpriseCodeProto(r store.Reader, c *store.EnterpriseCode) (*ruqiv1.EnterpriseCode, error) {
	out := &ruqiv1.EnterpriseCode{EnterpriseUscc: c.USCC, Generation: c.Generation, Token: c.Token, Url: s.enterpriseURL(c.Token), IssuedAt: timestamppb.New(c.IssuedAt)}
	if ent, err := r.Enterprise(c.USCC); err == nil {
		out.EnterpriseName = ent.GetName()
	}
	png, err := code.QRPNG(out.GetUrl(), 480)
	if err != nil {
		return nil, err
	}
	out.QrPng = png
	return out, nil
}

// GetEnterpriseCode returns the calling enterprise's code, issuing the first.
func (ds *doorServer) GetEnterpriseCode(ctx context.Context, req *ruqiv1.GetEnterpriseCodeRequest) (*ruqiv1.GetEnterpriseCodeResponse, error) {
	s := ds.s
	format := req.GetPoster()
	if _, ok := ruqiv1.PosterFormat_name[int32(format)]; !ok {
		return nil, toStatus(ctx, domain.Invalidf("POSTER_FORMAT_UNKNOWN", "海报格式未知（应为 PNG 或 PDF）"))
	}
	now := s.now()
	resp := &ruqiv1.GetEnterpriseCodeResponse{}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		c, err := inspection.EnterpriseCode(tx, principal(ctx), now, principal(ctx).Subject, s.signEnterpriseCode)
		if err != nil {
			return err
		}
		resp.Code, err = s.enterpriseCodeProto(tx, c)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if format != ruqiv1.PosterFormat_POSTER_FORMAT_UNSPECIFIED {
		if resp.Poster, err = posterOf(resp.GetCode(), format); err != nil {
			return nil, toStatus(ctx, err)
		}
	}
	return resp, nil
}

// posterOf draws the printable poster of an enterprise code.
func posterOf(c *ruqiv1.EnterpriseCode, format ruqiv1.PosterFormat) ([]byte, error) {
	p := poster.Poster{EnterpriseName: c.GetEnterpriseName(), USCC: c.GetEnterpriseUscc(), URL: c.GetUrl(), Generation: c.GetGeneration(),
		IssuedOn: c.GetIssuedAt().AsTime().In(domain.Shanghai).Format("2006-01-02")}
	if format == ruqiv1.PosterFormat_POSTER_FORMAT_PDF {
		return p.PDF()
	}
	return p.PNG()
}

// ReissueEnterpriseCode issues the next generation of the calling
// enterprise's code; the old one is refused from then on.
func (ds *doorServer) ReissueEnterpriseCode(ctx context.Context, req *ruqiv1.ReissueEnterpriseCodeRequest) (*ruqiv1.ReissueEnterpriseCodeResponse, error) {
	s := ds.s
	if principal(ctx).Kind == store.TokenDevice {
		// A lost front-desk phone must not void the posted code or take
		// the new one (a trial of sign-in, 2026-12-05): the account does.
		return nil, toStatus(ctx, domain.PermissionDeniedf("DEVICE_NOT_ACCOUNT", "前台设备不能重新生成企业码：请用企业账号（政务服务账号登录，或管理员签发的企业令牌）操作"))
	}
	now := s.now()
	resp := &ruqiv1.ReissueEnterpriseCodeResponse{}
	err := s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		c, err := inspection.ReissueEnterpriseCode(tx, principal(ctx), now, principal(ctx).Subject, strings.TrimSpace(req.GetReason()), s.signEnterpriseCode)
		if err != nil {
			return err
		}
		resp.Code, err = s.enterpriseCodeProto(tx, c)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// arrivalMessages say the state of 两码互核 to the officer.
var arrivalMessages = map[ruqiv1.MutualVerification]string{
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_VERIFIED: "已登记到场；企业已扫描您的入企码，两码互核完成",
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_PENDING:  "已登记到场；请向企业出示入企码，企业扫码后完成两码互核",
	ruqiv1.MutualVerification_MUTUAL_VERIFICATION_APART:    "已登记到场；但企业扫描入企码的时间与到场时间相隔过久，两码互核未通过",
}

// RecordArrival records the calling officer's arrival from the enterprise
// code scanned at the door. A code that is not a genuine enterprise code is
// an invalid argument; every refusal is also recorded as an event.
func (ds *doorServer) RecordArrival(ctx context.Context, req *ruqiv1.RecordArrivalRequest) (*ruqiv1.RecordArrivalResponse, error) {
	s := ds.s
	if err := domain.ValidateText("检查编号", req.GetInspectionId(), 100); err != nil || strings.TrimSpace(req.GetInspectionId()) == "" {
		return nil, toStatus(ctx, domain.Invalidf("INSPECTION_ID_MISSING", "请提供检查编号"))
	}
	if strings.TrimSpace(req.GetCode()) == "" {
		return nil, toStatus(ctx, domain.Invalidf("CODE_MISSING", "请提供扫描到的企业码（二维码中的网址或令牌）"))
	}
	now := s.now()
	refuse := func(why string, err error) (*ruqiv1.RecordArrivalResponse, error) {
		rerr := s.store.Update(context.WithoutCancel(ctx), func(tx store.Tx) error {
			return inspection.RefuseArrival(tx, principal(ctx), now, req.GetInspectionId(), why)
		})
		if rerr != nil {
			return nil, toStatus(ctx, rerr)
		}
		return nil, toStatus(ctx, err)
	}
	var claims code.EnterpriseClaims
	msg, err := decodeEnterpriseScanned(req.GetCode())
	if err == nil {
		_, claims, err = code.VerifyEnterprise(msg, s.ring.Load().Lookup)
		if errors.Is(err, code.ErrUnknownKey) && s.reloadRingForUnknownKey(ctx) {
			_, claims, err = code.VerifyEnterprise(msg, s.ring.Load().Lookup)
		}
	}
	switch {
	case err == nil:
	case errors.Is(err, code.ErrUnknownKey), errors.Is(err, code.ErrBadSignature):
		return refuse("bad signature: "+err.Error(), domain.Invalidf("ENTERPRISE_CODE_BAD_SIGNATURE", "企业码签名无效，可能被伪造或篡改：不能登记到场，请核实企业现场张贴的企业码"))
	default:
		return refuse("malformed: "+err.Error(), domain.Invalidf("ENTERPRISE_CODE_MALFORMED", "扫描的内容不是有效的企业码（可能不完整、被篡改，或扫成了入企码）"))
	}
	resp := &ruqiv1.RecordArrivalResponse{}
	err = s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		a, err := inspection.Arrive(tx, principal(ctx), now, req.GetInspectionId(), claims, s.policies)
		if err != nil {
			return err
		}
		resp.InspectionId, resp.EnterpriseUscc = a.Inspection.GetId(), a.Inspection.GetEnterpriseUscc()
		if ent, err := tx.Enterprise(resp.GetEnterpriseUscc()); err == nil {
			resp.EnterpriseName = ent.GetName()
		}
		resp.ArrivedAt, resp.FirstArrival, resp.Mutual, resp.OutsideWindow = timestamppb.New(a.Arrival.At), a.First, a.Mutual, a.OutsideWindow
		resp.Message = arrivalMessages[a.Mutual]
		if a.OutsideWindow {
			resp.Message += "。到场时间远在报备的检查时段之外，已提示司法局"
		}
		return nil
	})
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) {
			return refuse(de.Reason, err)
		}
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// decodeEnterpriseScanned accepts the enterprise code's bare token or its
// QR's URL.
func decodeEnterpriseScanned(scanned string) ([]byte, error) {
	tok, err := code.ExtractEnterpriseToken(scanned)
	if err != nil {
		return nil, err
	}
	return code.DecodeToken(tok)
}

// noteMutualAtScan is the enterprise's half of 两码互核: the check-in just
// made (or repeated) of an officer's code, against that officer's arrival.
// A first check-in is also checked against the officer's check-ins
// elsewhere.
func (s *Service) noteMutualAtScan(tx store.Tx, ctx context.Context, now time.Time, c code.Claims, sc inspection.Scanned) (ruqiv1.MutualVerification, error) {
	ins, ci := sc.Inspection, sc.CheckIn
	if ins == nil || ci == nil {
		// inspection.Scan sets both for a valid scan of the enterprise's
		// own code; anything else is a fault here, not a verdict.
		return 0, fmt.Errorf("两码互核: a valid scan without its inspection or check-in (%s)", c.InspectionID)
	}
	if sc.FirstCheckIn {
		if err := inspection.WarnAtCheckIn(tx, principal(ctx), now, ins, ci, s.policies); err != nil {
			return 0, err
		}
	}
	a, err := tx.Arrival(c.InspectionID, c.OfficerID)
	if errors.Is(err, store.ErrNotFound) {
		a, err = nil, nil
	}
	if err != nil {
		return 0, err
	}
	return inspection.NoteMutual(tx, principal(ctx), now, ins, c.OfficerID, ci, a, s.policies.For(inspection.RegionOf(tx, ins.GetEnterpriseUscc())))
}
