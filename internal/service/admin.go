package service

import (
	"context"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
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
	ttl, err := a.s.tokenTTL(req.GetTtl())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	token, id, hash, err := auth.NewToken()
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := a.s.now()
	err = a.s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := checkSubject(tx, req.GetRole(), subject); err != nil {
			return err
		}
		if err := tx.PutAccessToken(&store.AccessToken{ID: id, Hash: hash, Role: req.GetRole(), Subject: subject, Description: req.GetDescription(), CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED)
		e.Detail = roleWord(req.GetRole()) + ":" + subject + " " + id
		return record(tx, e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.IssueAccessTokenResponse{Token: token, TokenId: id, ExpiresAt: timestamppb.New(now.Add(ttl))}, nil
}

// checkSubject checks that a principal's subject exists for its role and
// returns its name for pages: an administrator's token and a sign-in are
// held to the same directory.
func checkSubject(r store.Reader, role ruqiv1.Role, subject string) (string, error) {
	switch role {
	case ruqiv1.Role_ROLE_OFFICER:
		o, err := r.Officer(subject)
		if err != nil {
			return "", notFound(err, "OFFICER_UNKNOWN", "执法人员 %s 不存在", subject)
		}
		return o.GetName(), nil
	case ruqiv1.Role_ROLE_ENTERPRISE:
		if err := domain.ValidateUSCC(subject); err != nil {
			return "", err
		}
		e, err := r.Enterprise(subject)
		if err != nil {
			return "", notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在名录中", subject)
		}
		return e.GetName(), nil
	case ruqiv1.Role_ROLE_SUPERVISOR:
		if err := domain.ValidateRegion(subject); err != nil {
			// ValidateRegion's own reason (an unknown province, a county
			// without its city), after what the subject is for.
			return "", domain.Invalidf("REGION_MALFORMED", "监督人员的令牌须填写其监督的行政区划代码：%v", err)
		}
		return "司法局（" + subject + "）", nil
	case ruqiv1.Role_ROLE_AGENCY_ADMIN, ruqiv1.Role_ROLE_AGENCY_HEAD:
		ag, err := r.Agency(subject)
		if err != nil {
			return "", notFound(err, "AGENCY_UNKNOWN", "执法部门 %s 不存在", subject)
		}
		return ag.GetName(), nil
	case ruqiv1.Role_ROLE_ADMIN:
		return subject, nil
	}
	return "", domain.Invalidf("ROLE_MISSING", "请选择角色：officer、agency-admin、agency-head、enterprise、supervisor 或 admin")
}

// roleWord is a role as events write it, e.g. "agency_admin".
func roleWord(r ruqiv1.Role) string {
	return strings.ToLower(strings.TrimPrefix(r.String(), "ROLE_"))
}

// RotateAccessToken replaces an administrator-issued token by a new one for
// the same role and subject, revoking the old one in the same transaction,
// so that there is never a moment with both or neither. The web sessions
// started from the old token end with it (a token is rotated because it
// may have leaked, and a session its finder started would otherwise act
// for its 12 hours); the devices enrolled through it, each a deliberate
// act listed on its own, stay (a review, 2026-12-06).
func (a *adminServer) RotateAccessToken(ctx context.Context, req *ruqiv1.RotateAccessTokenRequest) (*ruqiv1.RotateAccessTokenResponse, error) {
	if err := tokenIDGiven(req.GetTokenId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	ttl, err := a.s.tokenTTL(req.GetTtl())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	token, id, hash, err := auth.NewToken()
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := a.s.now()
	var ended, left []string
	err = a.s.store.Update(ctx, func(tx store.Tx) error {
		old, err := tx.AccessTokenByID(req.GetTokenId())
		if err != nil {
			return notFound(err, "TOKEN_UNKNOWN", "访问令牌 %s 不存在", req.GetTokenId())
		}
		switch {
		case !old.RevokedAt.IsZero():
			return domain.FailedPreconditionf("TOKEN_REVOKED", "访问令牌 %s 已于 %s 吊销，不能轮换；请签发新令牌", old.ID, domain.FormatTime(old.RevokedAt))
		case old.Kind != store.TokenIssued:
			return domain.FailedPreconditionf("TOKEN_NOT_ISSUED", "访问令牌 %s 是登录会话或设备令牌，不能轮换：请重新登录或重新绑定设备", old.ID)
		case old.ExpiresAt.IsZero() && old.Role == ruqiv1.Role_ROLE_ADMIN && old.Subject == "bootstrap":
			return domain.FailedPreconditionf("TOKEN_BOOTSTRAP", "数据目录中的管理员令牌不能轮换：请签发有期限的管理员令牌供日常使用")
		}
		if err := tx.PutAccessToken(&store.AccessToken{ID: id, Hash: hash, Role: old.Role, Subject: old.Subject, Description: old.Description, CreatedAt: now, ExpiresAt: now.Add(ttl)}); err != nil {
			return err
		}
		old.RevokedAt = now
		if err := tx.PutAccessToken(old); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED)
		e.Detail = roleWord(old.Role) + ":" + old.Subject + " " + id + " rotates " + old.ID
		if err := record(tx, e); err != nil {
			return err
		}
		e = newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED)
		e.Detail = old.ID + " " + roleWord(old.Role) + ":" + old.Subject + " rotated to " + id
		if err := record(tx, e); err != nil {
			return err
		}
		// Down the line: a session started from such a session outlived
		// the rotation (a review).
		if ended, err = endSessionsFrom(ctx, tx, old, now, ", rotated"); err != nil {
			return err
		}
		left, err = devicesLeft(tx, old, now)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.RotateAccessTokenResponse{Token: token, TokenId: id, ExpiresAt: timestamppb.New(now.Add(ttl)), RevokedTokenId: req.GetTokenId(),
		SessionsEnded: ended, DevicesLeft: left}, nil
}

// devicesLeft lists the devices enrolled through tok, or down its line
// of sessions, that still act: a rotation leaves them (they are the
// enterprise's front desk), and said nothing of them (a trial of sign-in,
// 2026-12-07), so that the administrator knows what to revoke if the old
// token leaked.
func devicesLeft(tx store.Tx, tok *store.AccessToken, now time.Time) ([]string, error) {
	line, err := tokenLine(tx, tok, func(*store.AccessToken) bool { return true })
	if err != nil {
		return nil, err
	}
	var left []string
	for _, m := range line {
		if m.Kind == store.TokenDevice && m.RevokedAt.IsZero() && !auth.Expired(m, now) {
			left = append(left, m.ID)
		}
	}
	return left, nil
}

// maxEventsPerCall bounds the events one ListEvents answers, and
// maxEventsExaminedPerCall those it reads: a filter (an inspection, a
// supervisor's region) that matches few events would otherwise read the
// whole log, millions of events, in one call and one read transaction.
const maxEventsPerCall = 1000

var maxEventsExaminedPerCall uint64 = 50 * maxEventsPerCall // a var for tests of the window

func (a *adminServer) ListEvents(ctx context.Context, req *ruqiv1.ListEventsRequest) (*ruqiv1.ListEventsResponse, error) {
	limit, err := parseLimit(req.GetLimit(), maxEventsPerCall)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if len(req.GetInspectionId()) > code.MaxClaimString {
		// No event names a longer id (a code's claims are bounded so, and
		// registered ids are shorter): such a filter matched nothing, and
		// its answer invited paging through the whole log for nothing (a
		// trial of bad input, 2026-12-06: a 900 KB id).
		return nil, toStatus(ctx, domain.Invalidf("INSPECTION_ID_TOO_LONG", "检查编号过长（%d 字节，最长 %d）：请核对编号", len(req.GetInspectionId()), code.MaxClaimString))
	}
	p := principal(ctx)
	resp := &ruqiv1.ListEventsResponse{}
	// Every event committed before the call is listed, also on a store
	// that sequences events after commit.
	if err := a.s.store.WaitSequenced(ctx); err != nil {
		return nil, toStatus(ctx, err)
	}
	// The types asked, as a set: a list is at most one of each type. A
	// list of a megabyte's repeats (a million entries in one message) was
	// searched again for each of the 50,000 events a call reads, minutes of
	// a core for one call (a review).
	if n := len(req.GetTypes()); n > len(ruqiv1.EventType_name) {
		return nil, toStatus(ctx, domain.Invalidf("EVENT_TYPES_TOO_MANY", "事件类型过多（%d 个，最多 %d 个）", n, len(ruqiv1.EventType_name)))
	}
	types := map[ruqiv1.EventType]bool{}
	for _, t := range req.GetTypes() {
		if _, known := ruqiv1.EventType_name[int32(t)]; !known || t == ruqiv1.EventType_EVENT_TYPE_UNSPECIFIED {
			return nil, toStatus(ctx, domain.Invalidf("EVENT_TYPE_UNKNOWN", "未知的事件类型（%d）", int32(t)))
		}
		types[t] = true
	}
	err = a.s.store.View(ctx, func(r store.Reader) error {
		resp.Events, resp.NextAfterSeq = nil, 0 // a retried transaction starts over
		examined := uint64(0)
		after := req.GetAfterSeq()
		if req.GetLatest() {
			// The log's last events: as many as a call examines, so
			// that it reads them all and the answer says nothing more
			// is to be read after them.
			head, _, err := r.Head()
			if err != nil {
				return err
			}
			after = head - min(head, maxEventsExaminedPerCall)
		}
		return r.Events(after, func(e *ruqiv1.Event) error {
			if examined == maxEventsExaminedPerCall {
				resp.NextAfterSeq = e.GetSeq() - 1
				return store.ErrStop
			}
			examined++
			if req.GetInspectionId() != "" && e.GetInspectionId() != req.GetInspectionId() {
				return nil
			}
			if len(types) > 0 && !types[e.GetType()] {
				return nil
			}
			if p.Is(ruqiv1.Role_ROLE_SUPERVISOR) && (e.GetEnterpriseUscc() == "" || !domain.RegionCovers(p.Subject, regionOf(r, e.GetEnterpriseUscc()))) {
				return nil
			}
			if len(resp.Events) == limit {
				resp.NextAfterSeq = e.GetSeq() - 1
				return store.ErrStop
			}
			resp.Events = append(resp.Events, e)
			return nil
		})
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func (a *adminServer) VerifyEventLog(ctx context.Context, _ *ruqiv1.VerifyEventLogRequest) (*ruqiv1.VerifyEventLogResponse, error) {
	// Everything committed before the call is checked, also on a store
	// that sequences events after commit.
	if err := a.s.store.WaitSequenced(ctx); err != nil {
		return nil, toStatus(ctx, err)
	}
	var rep store.ChainReport
	var cp checkpointCheck
	var records inspection.RecordReport
	err := a.s.store.View(ctx, func(r store.Reader) error {
		var err error
		rep, err = store.VerifyChain(r)
		if err != nil {
			return err
		}
		if cp, err = a.s.checkCheckpoint(r); err != nil {
			return err
		}
		// The records against what the log says was decided: the chain
		// proves the events, not the records derived from them. A
		// supervisor is told of its region's records only, counted and
		// listed, as ListEvents lists its region's events: how many
		// registrations, results and evaluations the province holds is no
		// more a district's than its report is (a review, 2026-12-06). The
		// region is the event's enterprise's, as the log committed to it,
		// not the record's, which is what is being checked.
		var within func(*ruqiv1.Event) bool
		if p := principal(ctx); p.Is(ruqiv1.Role_ROLE_SUPERVISOR) {
			regions := map[string]bool{}
			within = func(e *ruqiv1.Event) bool {
				in, ok := regions[e.GetEnterpriseUscc()]
				if !ok {
					in = e.GetEnterpriseUscc() != "" && domain.RegionCovers(p.Subject, inspection.RegionOf(r, e.GetEnterpriseUscc()))
					regions[e.GetEnterpriseUscc()] = in
				}
				return in
			}
		}
		records, err = inspection.CheckRecords(r, within)
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.VerifyEventLogResponse{Events: rep.Events, Intact: rep.Intact, FirstBrokenSeq: rep.FirstBrokenSeq, HeadHash: rep.HeadHash,
		CheckpointSize: cp.size, CheckpointMatches: cp.size > 0 && cp.problem == "", CheckpointProblem: cp.problem,
		RecordsChecked: records.Checked, LegacyEvents: rep.Legacy, LegacySealedAt: rep.SealedAt,
		LegacyLate: rep.LegacyLate, FirstLegacyLate: rep.FirstLegacyLate}
	for _, d := range records.Differing {
		resp.RecordsDiffering = append(resp.RecordsDiffering, &ruqiv1.RecordDifference{Seq: d.Seq, Type: d.Type, InspectionId: d.InspectionID})
	}
	return resp, nil
}

// ListAccessTokens lists one principal's tokens, never the token itself.
func (a *adminServer) ListAccessTokens(ctx context.Context, req *ruqiv1.ListAccessTokensRequest) (*ruqiv1.ListAccessTokensResponse, error) {
	if req.GetRole() == ruqiv1.Role_ROLE_UNSPECIFIED {
		return nil, toStatus(ctx, domain.Invalidf("ROLE_MISSING", "请指定令牌的角色"))
	}
	if strings.TrimSpace(req.GetSubject()) == "" {
		return nil, toStatus(ctx, domain.Invalidf("SUBJECT_MISSING", "请指定令牌的主体（执法人员编号、统一社会信用代码、区划代码、部门编号，或管理员名称）"))
	}
	resp := &ruqiv1.ListAccessTokensResponse{}
	err := a.s.store.View(ctx, func(r store.Reader) error {
		toks, err := r.AccessTokensOf(req.GetRole(), req.GetSubject())
		if err != nil {
			return err
		}
		resp.Tokens = resp.Tokens[:0] // a retried transaction starts over
		for _, t := range toks {
			info := &ruqiv1.AccessTokenInfo{TokenId: t.ID, Role: t.Role, Subject: t.Subject, Description: t.Description,
				Kind: t.Kind, Label: t.Label, CreatedAt: timestamppb.New(t.CreatedAt)}
			if !t.ExpiresAt.IsZero() {
				info.ExpiresAt = timestamppb.New(t.ExpiresAt)
			}
			if !t.RevokedAt.IsZero() {
				info.RevokedAt = timestamppb.New(t.RevokedAt)
			}
			resp.Tokens = append(resp.Tokens, info)
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	slices.SortStableFunc(resp.Tokens, func(x, y *ruqiv1.AccessTokenInfo) int {
		return x.GetCreatedAt().AsTime().Compare(y.GetCreatedAt().AsTime())
	})
	return resp, nil
}

// RevokeAccessToken revokes a token by id. The interceptor reads the token
// on every call, so the next call fails.
func (a *adminServer) RevokeAccessToken(ctx context.Context, req *ruqiv1.RevokeAccessTokenRequest) (*ruqiv1.RevokeAccessTokenResponse, error) {
	if err := tokenIDGiven(req.GetTokenId()); err != nil {
		return nil, toStatus(ctx, err)
	}
	now := a.s.now()
	resp := &ruqiv1.RevokeAccessTokenResponse{}
	err := a.s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		tok, err := tx.AccessTokenByID(req.GetTokenId())
		if err != nil {
			return notFound(err, "TOKEN_UNKNOWN", "访问令牌 %s 不存在", req.GetTokenId())
		}
		// A token already revoked (a session its enterprise signed out)
		// may still have made devices that act: they are revoked below,
		// and only with nothing left to revoke is the call refused (a
		// review, 2026-12-06: a stolen session, signed out, left its
		// device).
		revokedBefore := tok.RevokedAt
		if revokedBefore.IsZero() {
			tok.RevokedAt = now
			if err := tx.PutAccessToken(tok); err != nil {
				return err
			}
			e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED)
			e.Detail = tok.ID + " " + roleWord(tok.Role) + ":" + tok.Subject
			if err := record(tx, e); err != nil {
				return err
			}
		}
		// What the token made goes with it: the devices its holder enrolled
		// and the codes not yet spent (a privacy and access trial,
		// 2026-12-06: a device enrolled with a leaked account token acted
		// for the enterprise 30 days after the token was revoked). Only on
		// an administrator's revocation: signing out of the session that
		// enrolled the front desk's phone is no reason to stop the phone.
		// And what those made, down the line: a web session started from the
		// token (StartSession) is its child, and a device that session
		// enrolled its grandchild, which revoking the token must end too.
		if resp.AlsoRevoked, err = revokeLine(ctx, tx, tok, now, func(*store.AccessToken) bool { return true }, ""); err != nil {
			return err
		}
		if !revokedBefore.IsZero() && len(resp.AlsoRevoked) == 0 {
			return domain.FailedPreconditionf("TOKEN_REVOKED", "访问令牌 %s 已于 %s 吊销", tok.ID, domain.FormatTime(revokedBefore))
		}
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// tokenIDGiven refuses a call that names no token: it was looked up and
// answered NOT_FOUND "访问令牌  不存在", which names nothing and reads as a
// token that vanished (a trial of bad input, 2026-12-07).
func tokenIDGiven(id string) error {
	if strings.TrimSpace(id) == "" {
		return domain.Invalidf("TOKEN_ID_MISSING", "请填写访问令牌编号（tok-…，ruqi admin token list 可查）")
	}
	return nil
}
