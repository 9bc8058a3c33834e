package service

import (
	"context"
	"strings"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

type adminServer struct {
	ruqiv1.UnimplementedAdminServiceServer
	s *Service
}

// IssueAccessToken checks that the subject exists for its role, keeps only
// the token's hash, and returns the token once.
func (a *adminServer) IssueAccessToken(ctx context.Context, req *ruqiv1.IssueAccessTokenRequest) (*ruqiv1.IssueAccessTokenResponse, error) {
	subject := strings.TrimSpace(req.GetSubject())
	if subject == "" {
		return nil, toStatus(ctx, domain.Invalidf("SUBJECT_MISSING", "请填写令牌持有者：执法人员编号、企业统一社会信用代码、行政区划代码或管理员姓名"))
	}
	if err := domain.ValidateText("说明", req.GetDescription(), 200); err != nil {
		return nil, toStatus(ctx, err)
	}
	if err := domain.ValidateText("持有者", subject, 100); err != nil {
		return nil, toStatus(ctx, err)
	}
	token, id, hash, err := auth.NewToken()
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := a.s.now()
	err = a.s.store.Update(ctx, func(tx store.Tx) error {
		switch req.GetRole() {
		case ruqiv1.Role_ROLE_OFFICER:
			if _, err := tx.Officer(subject); err != nil {
				return notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", subject)
			}
		case ruqiv1.Role_ROLE_ENTERPRISE:
			if err := domain.ValidateUSCC(subject); err != nil {
				return err
			}
			if _, err := tx.Enterprise(subject); err != nil {
				return notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在名录中", subject)
			}
		case ruqiv1.Role_ROLE_SUPERVISOR:
			if len(subject) != 6 || strings.Trim(subject, "0123456789") != "" {
				return domain.Invalidf("REGION_MALFORMED", "监督人员的令牌须填写6位行政区划代码，收到 %q", subject)
			}
		case ruqiv1.Role_ROLE_AGENCY_ADMIN:
			if _, err := tx.Agency(subject); err != nil {
				return notFound(err, "AGENCY_UNKNOWN", "执法部门 %s 不存在", subject)
			}
		case ruqiv1.Role_ROLE_ADMIN:
		default:
			return domain.Invalidf("ROLE_MISSING", "请选择角色：officer、agency-admin、enterprise、supervisor 或 admin")
		}
		if err := tx.PutAccessToken(&store.AccessToken{ID: id, Hash: hash, Role: req.GetRole(), Subject: subject, Description: req.GetDescription(), CreatedAt: now}); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED)
		e.Detail = strings.ToLower(strings.TrimPrefix(req.GetRole().String(), "ROLE_")) + ":" + subject + " " + id
		return tx.AppendEvent(e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.IssueAccessTokenResponse{Token: token, TokenId: id}, nil
}

const maxEventsPerCall = 1000

func (a *adminServer) ListEvents(ctx context.Context, req *ruqiv1.ListEventsRequest) (*ruqiv1.ListEventsResponse, error) {
	limit := int(req.GetLimit())
	if limit <= 0 || limit > maxEventsPerCall {
		limit = maxEventsPerCall
	}
	p := principal(ctx)
	resp := &ruqiv1.ListEventsResponse{}
	err := a.s.store.View(ctx, func(r store.Reader) error {
		return r.Events(req.GetAfterSeq(), func(e *ruqiv1.Event) error {
			if req.GetInspectionId() != "" && e.GetInspectionId() != req.GetInspectionId() {
				return nil
			}
			if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && (e.GetEnterpriseUscc() == "" || !domain.RegionCovers(p.Subject, regionOf(r, e.GetEnterpriseUscc()))) {
				return nil
			}
			resp.Events = append(resp.Events, e)
			if len(resp.Events) >= limit {
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func (a *adminServer) VerifyEventLog(ctx context.Context, _ *ruqiv1.VerifyEventLogRequest) (*ruqiv1.VerifyEventLogResponse, error) {
	var rep store.ChainReport
	var cp checkpointCheck
	err := a.s.store.View(ctx, func(r store.Reader) error {
		var err error
		rep, err = store.VerifyChain(r)
		if err != nil {
			return err
		}
		cp, err = a.s.checkCheckpoint(r)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.VerifyEventLogResponse{Events: rep.Events, Intact: rep.Intact, FirstBrokenSeq: rep.FirstBrokenSeq, HeadHash: rep.HeadHash,
		CheckpointSize: cp.size, CheckpointMatches: cp.problem == "", CheckpointProblem: cp.problem}, nil
}

// RevokeAccessToken revokes a token by id. The interceptor reads the token
// on every call, so the next call fails.
func (a *adminServer) RevokeAccessToken(ctx context.Context, req *ruqiv1.RevokeAccessTokenRequest) (*ruqiv1.RevokeAccessTokenResponse, error) {
	now := a.s.now()
	err := a.s.store.Update(ctx, func(tx store.Tx) error {
		tok, err := tx.AccessTokenByID(req.GetTokenId())
		if err != nil {
			return notFound(err, "TOKEN_UNKNOWN", "访问令牌 %s 不存在", req.GetTokenId())
		}
		if !tok.RevokedAt.IsZero() {
			return domain.FailedPreconditionf("TOKEN_REVOKED", "访问令牌 %s 已于 %s 吊销", tok.ID, domain.FormatTime(tok.RevokedAt))
		}
		tok.RevokedAt = now
		if err := tx.PutAccessToken(tok); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED)
		e.Detail = tok.ID + " " + strings.ToLower(strings.TrimPrefix(tok.Role.String(), "ROLE_")) + ":" + tok.Subject
		return tx.AppendEvent(e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.RevokeAccessTokenResponse{}, nil
}
