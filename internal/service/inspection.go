package service

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type inspectionServer struct {
	ruqiv1.UnimplementedInspectionServiceServer
	s *Service
}

// RegisterInspection is 报备: it checks the request against the directory and
// writes the inspection, one signed code per officer and their events in one
// transaction, so that either all of it exists or none of it.
func (is *inspectionServer) RegisterInspection(ctx context.Context, req *ruqiv1.RegisterInspectionRequest) (*ruqiv1.RegisterInspectionResponse, error) {
	s := is.s
	now := s.now()
	if err := domain.ValidateRequestShape(req, now, s.cfg.Limits); err != nil {
		return nil, toStatus(ctx, err)
	}
	if len(req.GetRequestId()) > 128 {
		return nil, toStatus(ctx, domain.Invalidf("REQUEST_ID_TOO_LONG", "请求编号过长（最多128个字符）"))
	}
	var (
		resp   *ruqiv1.RegisterInspectionResponse
		signed []signedCode
	)
	err := s.store.Update(ctx, func(tx store.Tx) error {
		resp, signed = nil, nil
		if id := req.GetRequestId(); id != "" {
			existing, err := tx.InspectionForRequest(id)
			if err == nil {
				return is.replay(tx, ctx, existing, &resp)
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		agencyID, err := agencyOf(tx, ctx, req.GetAgencyId())
		if err != nil {
			return err
		}
		if _, err := tx.Enterprise(req.GetEnterpriseUscc()); err != nil {
			return notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在企业名录中，请核对统一社会信用代码", req.GetEnterpriseUscc())
		}
		items := make([]*ruqiv1.CheckItem, 0, len(req.GetCheckItemIds()))
		for _, id := range req.GetCheckItemIds() {
			it, err := tx.CheckItem(id)
			if err != nil {
				return notFound(err, "ITEM_UNKNOWN", "检查事项 %s 不存在，请从本部门检查事项清单中选择", id)
			}
			items = append(items, it)
		}
		if err := domain.CheckItemsForAgency(agencyID, items); err != nil {
			return err
		}
		officers := make([]*ruqiv1.Officer, 0, len(req.GetOfficerIds()))
		for _, id := range req.GetOfficerIds() {
			o, err := tx.Officer(id)
			if err != nil {
				return notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", id)
			}
			officers = append(officers, o)
		}
		if err := domain.CheckOfficersForAgency(agencyID, officers, req.GetWindowEnd().AsTime()); err != nil {
			return err
		}

		n, err := tx.NextSeq("inspection")
		if err != nil {
			return err
		}
		ins := &ruqiv1.Inspection{
			Id:               domain.InspectionID(now, n),
			AgencyId:         agencyID,
			EnterpriseUscc:   req.GetEnterpriseUscc(),
			CheckItemIds:     req.GetCheckItemIds(),
			OfficerIds:       req.GetOfficerIds(),
			WindowStart:      req.GetWindowStart(),
			WindowEnd:        req.GetWindowEnd(),
			Type:             req.GetType(),
			Reason:           strings.TrimSpace(req.GetReason()),
			TriggerReference: strings.TrimSpace(req.GetTriggerReference()),
			State:            ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED,
			RegisteredAt:     timestamppb.New(now),
			RegisteredBy:     principal(ctx).String(),
		}
		if err := tx.PutInspection(ins); err != nil {
			return err
		}
		if id := req.GetRequestId(); id != "" {
			if err := tx.PutRequest(id, ins.GetId()); err != nil {
				return err
			}
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_REGISTERED)
		e.InspectionId, e.EnterpriseUscc = ins.GetId(), ins.GetEnterpriseUscc()
		e.Detail = ins.GetType().String()
		if err := tx.AppendEvent(e); err != nil {
			return err
		}
		resp = &ruqiv1.RegisterInspectionResponse{Inspection: ins}
		for _, o := range officers {
			c, err := s.issueCode(tx, ctx, ins, o, now)
			if err != nil {
				return err
			}
			signed = append(signed, c)
			resp.Codes = append(resp.Codes, c.code)
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	// The store already holds each key's VerifyUntil; the ring in memory
	// learns it only now, after the commit, so a rolled-back attempt never
	// keeps a key published.
	for _, c := range signed {
		s.ring.Load().NoteSigned(c.kid, c.code.GetExpiresAt().AsTime())
	}
	return resp, nil
}

// replay answers a retried registration with what the first one wrote.
func (is *inspectionServer) replay(r store.Reader, ctx context.Context, id string, out **ruqiv1.RegisterInspectionResponse) error {
	ins, err := r.Inspection(id)
	if err != nil {
		return err
	}
	if err := is.s.mayManage(r, ctx, ins); err != nil {
		return err
	}
	codes, err := r.Codes(id)
	if err != nil {
		return err
	}
	*out = &ruqiv1.RegisterInspectionResponse{Inspection: ins, Codes: codes}
	return nil
}

type signedCode struct {
	kid  string
	code *ruqiv1.InspectionCode
}

// issueCode signs one officer's code, valid for the inspection's window,
// stores it with its event, and raises the signing key's VerifyUntil.
func (s *Service) issueCode(tx store.Tx, ctx context.Context, ins *ruqiv1.Inspection, o *ruqiv1.Officer, now time.Time) (signedCode, error) {
	tokenID := make([]byte, 16)
	if _, err := rand.Read(tokenID); err != nil {
		return signedCode{}, err
	}
	key := s.ring.Load().Active()
	claims := code.Claims{
		TokenID:           tokenID,
		Issuer:            s.cfg.Issuer,
		IssuedAt:          now,
		NotBefore:         ins.GetWindowStart().AsTime(),
		Expiry:            ins.GetWindowEnd().AsTime(),
		InspectionID:      ins.GetId(),
		OfficerID:         o.GetId(),
		CertificateNumber: o.GetCertificateNumber(),
		EnterpriseUSCC:    ins.GetEnterpriseUscc(),
	}
	msg, err := code.Sign(key, claims)
	if err != nil {
		return signedCode{}, err
	}
	token := code.EncodeToken(msg)
	c := &ruqiv1.InspectionCode{
		InspectionId: ins.GetId(),
		OfficerId:    o.GetId(),
		KeyId:        key.ID,
		Token:        token,
		Url:          s.codeURL(token),
		NotBefore:    timestamppb.New(claims.NotBefore.Truncate(time.Second)),
		ExpiresAt:    timestamppb.New(claims.Expiry.Truncate(time.Second)),
	}
	if err := tx.PutCode(c); err != nil {
		return signedCode{}, err
	}
	if err := noteSigned(tx, key.ID, claims.Expiry); err != nil {
		return signedCode{}, err
	}
	e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED)
	e.InspectionId, e.EnterpriseUscc, e.OfficerId = ins.GetId(), ins.GetEnterpriseUscc(), o.GetId()
	e.Detail = "key " + key.ID
	return signedCode{kid: key.ID, code: c}, tx.AppendEvent(e)
}

// codeURL is the QR text: the verify page's URL in upper case, so that the
// whole QR stays in alphanumeric mode (fewer modules, easier to scan).
func (s *Service) codeURL(token string) string {
	return strings.ToUpper(strings.TrimRight(s.cfg.PublicURL, "/")) + "/V/" + token
}

// mayManage is the object-level check for an agency's own inspections: an
// officer acts only for their agency; an administrator for any.
func (s *Service) mayManage(r store.Reader, ctx context.Context, ins *ruqiv1.Inspection) error {
	p := principal(ctx)
	switch {
	case p.Is(ruqiv1.Role_ROLE_ADMIN):
		return nil
	case p.Is(ruqiv1.Role_ROLE_OFFICER):
		o, err := r.Officer(p.Subject)
		if err != nil {
			return notFound(err, "OFFICER_UNKNOWN", "令牌对应的执法人员 %s 不存在", p.Subject)
		}
		if o.GetAgencyId() == ins.GetAgencyId() {
			return nil
		}
	}
	return domain.PermissionDeniedf("OTHER_AGENCY", "检查 %s 不属于您的部门，无权操作", ins.GetId())
}

// mayRead extends mayManage to the enterprise inspected and the supervisor
// of its region. Foreign enterprises get NotFound, so that an enterprise
// cannot learn which inspections exist elsewhere.
func (s *Service) mayRead(r store.Reader, ctx context.Context, ins *ruqiv1.Inspection) error {
	p := principal(ctx)
	switch {
	case p.Is(ruqiv1.Role_ROLE_ENTERPRISE):
		if p.Subject == ins.GetEnterpriseUscc() {
			return nil
		}
		return domain.NotFoundf("INSPECTION_UNKNOWN", "未找到本企业的检查 %s", ins.GetId())
	case p.Is(ruqiv1.Role_ROLE_SUPERVISOR):
		if domain.RegionCovers(p.Subject, domain.USCCRegion(ins.GetEnterpriseUscc())) {
			return nil
		}
		return domain.PermissionDeniedf("OTHER_REGION", "检查 %s 的企业不在您监督的行政区划（%s）内", ins.GetId(), p.Subject)
	}
	return s.mayManage(r, ctx, ins)
}

func loadInspection(r store.Reader, id string) (*ruqiv1.Inspection, error) {
	if strings.TrimSpace(id) == "" {
		return nil, domain.Invalidf("INSPECTION_ID_MISSING", "请填写检查编号")
	}
	ins, err := r.Inspection(id)
	if err != nil {
		return nil, notFound(err, "INSPECTION_UNKNOWN", "检查 %s 不存在，请核对检查编号", id)
	}
	return ins, nil
}

func (is *inspectionServer) CancelInspection(ctx context.Context, req *ruqiv1.CancelInspectionRequest) (*ruqiv1.CancelInspectionResponse, error) {
	if err := requireText(req.GetReason(), "REASON_MISSING", "撤销原因"); err != nil {
		return nil, toStatus(ctx, err)
	}
	now := is.s.now()
	resp := &ruqiv1.CancelInspectionResponse{}
	err := is.s.store.Update(ctx, func(tx store.Tx) error {
		ins, err := loadInspection(tx, req.GetInspectionId())
		if err != nil {
			return err
		}
		if err := is.s.mayManage(tx, ctx, ins); err != nil {
			return err
		}
		if ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			return domain.FailedPreconditionf("ALREADY_CANCELLED", "检查 %s 已于 %s 撤销", ins.GetId(), domain.FormatTime(ins.GetCancelledAt().AsTime()))
		}
		ins.State = ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED
		ins.CancelledAt = timestamppb.New(now)
		ins.CancelReason = strings.TrimSpace(req.GetReason())
		if err := tx.PutInspection(ins); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_CANCELLED)
		e.InspectionId, e.EnterpriseUscc, e.Detail = ins.GetId(), ins.GetEnterpriseUscc(), ins.GetCancelReason()
		resp.Inspection = ins
		return tx.AppendEvent(e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func (is *inspectionServer) GetInspection(ctx context.Context, req *ruqiv1.GetInspectionRequest) (*ruqiv1.GetInspectionResponse, error) {
	resp := &ruqiv1.GetInspectionResponse{}
	err := is.s.store.View(ctx, func(r store.Reader) error {
		ins, err := loadInspection(r, req.GetInspectionId())
		if err != nil {
			return err
		}
		resp.Inspection = ins
		return is.s.mayRead(r, ctx, ins)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func (is *inspectionServer) GetInspectionCodes(ctx context.Context, req *ruqiv1.GetInspectionCodesRequest) (*ruqiv1.GetInspectionCodesResponse, error) {
	resp := &ruqiv1.GetInspectionCodesResponse{}
	err := is.s.store.View(ctx, func(r store.Reader) error {
		ins, err := loadInspection(r, req.GetInspectionId())
		if err != nil {
			return err
		}
		if err := is.s.mayManage(r, ctx, ins); err != nil {
			return err
		}
		codes, err := r.Codes(ins.GetId())
		if err != nil {
			return err
		}
		for _, c := range codes {
			if req.GetOfficerId() == "" || c.GetOfficerId() == req.GetOfficerId() {
				resp.Codes = append(resp.Codes, c)
			}
		}
		if len(resp.Codes) == 0 {
			return domain.NotFoundf("CODE_UNKNOWN", "检查 %s 没有执法人员 %s 的入企码", ins.GetId(), req.GetOfficerId())
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if req.GetIncludeQrPng() {
		for _, c := range resp.Codes {
			png, err := code.QRPNG(c.GetUrl(), 512)
			if err != nil {
				return nil, toStatus(ctx, err)
			}
			c.QrPng = png
		}
	}
	return resp, nil
}
