package service

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/identity"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// sessionServer signs people in with the province's identity provider and
// manages enterprises' staff devices. Whatever signs in ends as a token of
// our own, with an expiry, so every later call goes through the same
// interceptor and role table as a token issued by an administrator.
type sessionServer struct {
	ruqiv1.UnimplementedSessionServiceServer
	s *Service
}

func (ss *sessionServer) GetSignInConfig(context.Context, *ruqiv1.GetSignInConfigRequest) (*ruqiv1.GetSignInConfigResponse, error) {
	idp := ss.s.cfg.Identity
	if idp == nil {
		return &ruqiv1.GetSignInConfigResponse{}, nil
	}
	return &ruqiv1.GetSignInConfigResponse{Issuer: idp.Config.Issuer, CliClientId: idp.Config.CLIClientID, Scopes: idp.Config.Scopes}, nil
}

// roleTitles name roles in refusals.
var roleTitles = map[ruqiv1.Role]string{
	ruqiv1.Role_ROLE_OFFICER:      "执法人员",
	ruqiv1.Role_ROLE_AGENCY_ADMIN: "执法部门管理员",
	ruqiv1.Role_ROLE_AGENCY_HEAD:  "执法部门负责人",
	ruqiv1.Role_ROLE_ENTERPRISE:   "企业",
	ruqiv1.Role_ROLE_SUPERVISOR:   "司法局监督人员",
	ruqiv1.Role_ROLE_ADMIN:        "系统管理员",
}

// SignIn verifies the provider's ID token, maps its claims to one principal
// that exists in the directory, and issues a session token. A refusal
// records nothing.
func (ss *sessionServer) SignIn(ctx context.Context, req *ruqiv1.SignInRequest) (*ruqiv1.SignInResponse, error) {
	idp := ss.s.cfg.Identity
	if idp == nil {
		return nil, toStatus(ctx, domain.FailedPreconditionf("IDP_NOT_CONFIGURED", "本系统未启用政务服务账号登录：请使用管理员签发的访问令牌"))
	}
	id, err := idp.Verify(ctx, req.GetIdToken(), req.GetNonce())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	// A sign-in refused for what the account is spends its ID token all
	// the same: a copy of the request (a proxy's log) sent again without
	// the role asked for got a session (a trial of sign-in, 2026-12-05).
	// The spent sign-in is a record, not an event: refusals write none.
	refuse := func(err error) (*ruqiv1.SignInResponse, error) {
		switch domain.KindOf(err) {
		case domain.KindPermissionDenied, domain.KindInvalid, domain.KindNotFound, domain.KindFailedPrecondition:
			spent := ss.s.store.Update(ctx, func(tx store.Tx) error {
				return spendSignIn(tx, id, req.GetNonce(), identity.Candidate{}, "", ss.s.now())
			})
			if spent != nil && domain.ReasonOf(spent) != "ID_TOKEN_SPENT" {
				slog.WarnContext(ctx, "record a refused sign-in as spent", "err", spent)
			}
		}
		return nil, toStatus(ctx, err)
	}
	cands := idp.Config.Claims.Map(id.Claims)
	cand, err := choosePrincipal(cands, req.GetRole())
	if err != nil {
		return refuse(err)
	}
	if cand.Role == ruqiv1.Role_ROLE_OFFICER && idp.Config.Claims.OfficerCertificate != "" && cand.Certificate == "" {
		// The certificate number is how the directory knows the person:
		// leaving the claim out turned the check off (a trial of sign-in,
		// 2026-12-05).
		return refuse(domain.PermissionDeniedf("ACCOUNT_CERTIFICATE_MISSING", "登录被拒绝：此政务服务账号没有登记执法证号，无法核对执法人员 %s 的身份，请联系管理员", truncate(cand.Subject, 40)))
	}
	token, tokID, hash, err := auth.NewToken()
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := ss.s.now()
	expires := now.Add(ss.s.cfg.Lifetimes.Session)
	account := idp.Config.Claims.DisplayName(id.Claims)
	if account == "" {
		account = id.Subject
	}
	// The label goes into every check-in the session makes and onto the
	// pages: no control characters (domain.ControlIn), which a name claim
	// an account holder can edit carried (a trial of sign-in, 2026-12-05).
	account = truncate(strings.Join(strings.Fields(strings.Map(func(r rune) rune {
		if domain.IsControl(r) {
			return -1
		}
		return r
	}, account)), " "), 50)
	if account == "" {
		account = truncate(id.Subject, 50)
	}
	resp := &ruqiv1.SignInResponse{}
	err = ss.s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		name, err := checkSignInSubject(tx, cand, now)
		if err != nil {
			return err
		}
		if err := rolesApart(tx, cands); err != nil {
			return err
		}
		if err := spendSignIn(tx, id, req.GetNonce(), cand, account, now); err != nil {
			return err
		}
		tok := &store.AccessToken{ID: tokID, Hash: hash, Role: cand.Role, Subject: cand.Subject, Kind: store.TokenSession, Label: account,
			Description: truncate(signInDescription(id), 200), CreatedAt: now, ExpiresAt: expires}
		if err := tx.PutAccessToken(tok); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED)
		e.Actor = roleWord(cand.Role) + ":" + cand.Subject
		e.Detail = "session " + roleWord(cand.Role) + ":" + cand.Subject + " " + tokID + " sub " + truncate(id.Subject, 100)
		if cand.Role == ruqiv1.Role_ROLE_ENTERPRISE {
			e.EnterpriseUscc = cand.Subject
		}
		resp.Token, resp.TokenId, resp.ExpiresAt = token, tokID, timestamppb.New(expires)
		resp.Role, resp.Subject, resp.DisplayName = cand.Role, cand.Subject, name
		return record(tx, e)
	})
	if err != nil {
		return refuse(err)
	}
	return resp, nil
}

// spendSignIn records an ID token's sign-in as spent, in the transaction
// that issues its session, or refuses it if it was spent before: whoever
// holds a copy of an ID token (a log, a proxy, the browser's history) gets
// no session of their own with it. The sign-in is named by its issuer,
// subject and nonce, not by the token's text, which has more than one
// spelling of the same signature (base64url's unused bits).
func spendSignIn(tx store.Tx, id *identity.Identity, nonce string, cand identity.Candidate, account string, now time.Time) error {
	sum := sha256.Sum256([]byte("ruqi.sign-in.v1\x00" + id.Issuer + "\x00" + id.Subject + "\x00" + nonce))
	spentID := fmt.Sprintf("sin-%x", sum[:12])
	if _, err := tx.AccessTokenByID(spentID); err == nil {
		return domain.Unauthenticatedf("ID_TOKEN_SPENT", "登录被拒绝：此身份令牌已经用于登录，不能再次使用（可能是重放的令牌），请重新登录")
	} else if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	// It expires with the ID token, after which the provider's own expiry
	// refuses the token; it is revoked, so that it is never a credential.
	// Its record is deleted a week after that (auth.Prunable), when the
	// provider refuses the ID token for its expiry.
	return tx.PutAccessToken(&store.AccessToken{ID: spentID, Hash: sum[:], Role: cand.Role, Subject: cand.Subject, Kind: store.TokenSpentSignIn,
		Label: account, Description: truncate("已用于登录的身份令牌："+id.Issuer+"，账号 "+id.Subject, 200), CreatedAt: now, RevokedAt: now, ExpiresAt: id.Expiry})
}

// choosePrincipal picks the principal an account signs in as: the one of the
// wanted role if the client asked for one, else the only one.
func choosePrincipal(cands []identity.Candidate, want ruqiv1.Role) (identity.Candidate, error) {
	if len(cands) == 0 {
		return identity.Candidate{}, domain.PermissionDeniedf("ACCOUNT_UNMAPPED",
			"登录被拒绝：此政务服务账号在本系统中没有对应的身份（企业、执法人员、司法局监督人员、执法部门管理员或负责人）。如需使用，请联系管理员")
	}
	var names []string
	for _, c := range cands {
		names = append(names, roleTitles[c.Role])
	}
	if want != ruqiv1.Role_ROLE_UNSPECIFIED {
		if roleTitles[want] == "" {
			return identity.Candidate{}, domain.Invalidf("ROLE_UNKNOWN", "未知的登录身份（%d）：应为企业、执法人员、执法部门管理员、执法部门负责人或司法局监督人员", int32(want))
		}
		for _, c := range cands {
			if c.Role == want {
				return c, nil
			}
		}
		return identity.Candidate{}, domain.PermissionDeniedf("ACCOUNT_WRONG_ROLE",
			"登录被拒绝：此政务服务账号的身份是%s，不能以%s身份登录。请使用%s的政务服务账号", strings.Join(names, "、"), roleTitles[want], roleTitles[want])
	}
	if len(cands) > 1 {
		return identity.Candidate{}, domain.Invalidf("ACCOUNT_AMBIGUOUS", "此政务服务账号对应多个身份（%s），请指定以哪种身份登录（网页：从相应入口登录；命令行：ruqi login --as enterprise、officer、agency-admin、agency-head 或 supervisor）", strings.Join(names, "、"))
	}
	return cands[0], nil
}

// checkSignInSubject holds a sign-in to the directory, as an administrator's
// token is held, and says plainly that the account's claim is the problem.
func checkSignInSubject(r store.Reader, c identity.Candidate, now time.Time) (string, error) {
	name, err := checkSubject(r, c.Role, c.Subject)
	if err != nil {
		if k := domain.KindOf(err); k == domain.KindNotFound || k == domain.KindInvalid {
			return "", domain.PermissionDeniedf("ACCOUNT_SUBJECT_UNKNOWN", "登录被拒绝：此政务服务账号登记的%s身份（%s）不在本系统名录中或格式不正确，请联系管理员核对",
				roleTitles[c.Role], truncate(c.Subject, 40))
		}
		return "", err
	}
	if c.Role == ruqiv1.Role_ROLE_OFFICER {
		o, err := r.Officer(c.Subject)
		if err != nil {
			return "", err
		}
		if c.Certificate != "" && o.GetCertificateNumber() != c.Certificate {
			return "", domain.PermissionDeniedf("ACCOUNT_CERTIFICATE_MISMATCH", "登录被拒绝：此政务服务账号登记的执法证号与执法人员 %s 在名录中的执法证号不符", c.Subject)
		}
		// A session its token could not use: "已登录" was printed, and
		// every call then refused (a trial of sign-in, 2026-12-05).
		if err := domain.OfficerMayAct(o, now); err != nil {
			return "", err
		}
	}
	return name, nil
}

// signInDescription is a sign-in session's description in `admin token
// list`: it read "signed in at … as …" in English, and web and command-line
// sessions alike (a trial of sign-in, 2026-12-07).
func signInDescription(id *identity.Identity) string {
	via := "网页登录"
	if id.ByCLI {
		via = "命令行登录（ruqi login）"
	}
	return via + "：" + id.Issuer + "，账号 " + id.Subject
}

// rolesApart refuses an account whose roles in one agency check each
// other:
//   - its head (部门负责人) and also its administrator or one of its
//     officers: the head approves the 专项 plans the others file, and
//     approval is not to be given by whoever filed (inspection.ApprovePlan
//     compares principals). One account with both claims signed in as the
//     one, filed, signed in as the other and approved (a trial of sign-in,
//     2026-12-05);
//   - its administrator and one of its officers: the administrator
//     suspends and restores the officers' certificates, and such an
//     account, suspended by the system administrator, signed in as the
//     agency's administrator and restored its own certificate (a trial of
//     sign-in, 2026-12-07).
func rolesApart(r store.Reader, cands []identity.Candidate) error {
	heads, admins := map[string]bool{}, map[string]bool{}
	for _, c := range cands {
		switch c.Role {
		case ruqiv1.Role_ROLE_AGENCY_HEAD:
			heads[c.Subject] = true
		case ruqiv1.Role_ROLE_AGENCY_ADMIN:
			admins[c.Subject] = true
		}
	}
	if len(heads) == 0 && len(admins) == 0 {
		return nil
	}
	for _, c := range cands {
		agency := ""
		switch c.Role {
		case ruqiv1.Role_ROLE_AGENCY_ADMIN:
			agency = c.Subject
		case ruqiv1.Role_ROLE_OFFICER:
			if o, err := r.Officer(c.Subject); err == nil {
				agency = o.GetAgencyId()
			}
		}
		if heads[agency] {
			return domain.PermissionDeniedf("ACCOUNT_HEAD_AND_FILER", "登录被拒绝：此政务服务账号既是执法部门 %s 的负责人，又是其%s：检查计划由负责人批准、不能由提交人自己批准，请联系管理员把两种身份分到不同账号", agency, roleTitles[c.Role])
		}
		if c.Role == ruqiv1.Role_ROLE_OFFICER && admins[agency] {
			return domain.PermissionDeniedf("ACCOUNT_ADMIN_AND_OFFICER", "登录被拒绝：此政务服务账号既是执法部门 %s 的管理员，又是其执法人员 %s：执法证由部门管理员暂扣和恢复，不能管理自己的执法证，请联系管理员把两种身份分到不同账号", agency, c.Subject)
		}
	}
	return nil
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// SignOut revokes the caller's own session or device token. A token issued
// by an administrator is not the caller's to end: only its holder's copy
// is dropped (by the client).
func (ss *sessionServer) SignOut(ctx context.Context, _ *ruqiv1.SignOutRequest) (*ruqiv1.SignOutResponse, error) {
	p := principal(ctx)
	if p.Kind != store.TokenSession && p.Kind != store.TokenDevice {
		return &ruqiv1.SignOutResponse{}, nil
	}
	err := ss.s.revokeToken(ctx, p.TokenID, func(*store.AccessToken) error { return nil })
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.SignOutResponse{Ended: true}, nil
}

// StartSession exchanges the caller's token for a session token of the
// same principal that expires as a sign-in's session does, or with the
// caller's token if sooner. The web pages keep this in their cookie instead
// of the token pasted into them: the administrator's <data-dir>/admin.token
// never expires, and a 90-day token kept in a 12-hour cookie made a leaked
// cookie a credential for months (a trial, 2026-12-06). The session names
// the caller's token as its parent, so that an administrator revoking that
// token ends the sessions made from it (RevokeAccessToken).
func (ss *sessionServer) StartSession(ctx context.Context, _ *ruqiv1.StartSessionRequest) (*ruqiv1.StartSessionResponse, error) {
	p := principal(ctx)
	if p.Kind == store.TokenDevice {
		// A session is the account's: a front-desk phone's token turned
		// into one would manage devices and evaluate (notFromDevice).
		return nil, toStatus(ctx, domain.PermissionDeniedf("DEVICE_NOT_ACCOUNT", "前台设备的令牌不能用于登录网页：请用企业的政务服务账号或管理员签发的企业令牌登录"))
	}
	token, tokID, hash, err := auth.NewToken()
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := ss.s.now()
	resp := &ruqiv1.StartSessionResponse{}
	err = ss.s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		// Read in this transaction, not from the cache: a revocation that
		// committed a moment ago must not be outlived by a new session.
		parent, err := tx.AccessTokenByID(p.TokenID)
		if err != nil {
			return notFound(err, "TOKEN_UNKNOWN", "访问令牌 %s 不存在", p.TokenID)
		}
		if !parent.RevokedAt.IsZero() || auth.Expired(parent, now) {
			return domain.Unauthenticatedf("TOKEN_ENDED", "访问令牌已吊销或已过期，不能用于登录，请向管理员重新申请")
		}
		expires := now.Add(ss.s.cfg.Lifetimes.Session)
		if !parent.ExpiresAt.IsZero() && parent.ExpiresAt.Before(expires) {
			expires = parent.ExpiresAt
		}
		tok := &store.AccessToken{ID: tokID, Hash: hash, Role: parent.Role, Subject: parent.Subject, Kind: store.TokenSession, Label: parent.Label,
			Description: truncate("网页会话，源自 "+parent.ID, 200), CreatedAt: now, ExpiresAt: expires, Parent: parent.ID}
		if err := tx.PutAccessToken(tok); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED)
		e.Detail = "session " + roleWord(tok.Role) + ":" + tok.Subject + " " + tokID + " from " + parent.ID
		if tok.Role == ruqiv1.Role_ROLE_ENTERPRISE {
			e.EnterpriseUscc = tok.Subject
		}
		resp.Token, resp.TokenId, resp.ExpiresAt = token, tokID, timestamppb.New(expires)
		return record(tx, e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// revokeToken revokes a token by id after check approves it, with an event.
func (s *Service) revokeToken(ctx context.Context, id string, check func(*store.AccessToken) error) error {
	now := s.now()
	return s.store.Update(ctx, func(tx store.Tx) error {
		tok, err := tx.AccessTokenByID(id)
		if err != nil {
			return notFound(err, "TOKEN_UNKNOWN", "访问令牌 %s 不存在", id)
		}
		if err := check(tok); err != nil {
			return err
		}
		if !tok.RevokedAt.IsZero() {
			return domain.FailedPreconditionf("TOKEN_REVOKED", "%s 已于 %s 吊销", tok.ID, domain.FormatTime(tok.RevokedAt))
		}
		tok.RevokedAt = now
		if err := tx.PutAccessToken(tok); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED)
		e.Detail = tok.ID + " " + roleWord(tok.Role) + ":" + tok.Subject
		if tok.Kind != store.TokenIssued {
			e.Detail += " " + tok.Kind
		}
		if err := record(tx, e); err != nil {
			return err
		}
		// A session started from this one (StartSession) ends with it: a
		// copy of a cookie started one that outlived the sign-out.
		_, err = endSessionsFrom(ctx, tx, tok, now, "")
		return err
	})
}

// endSessionsFrom revokes the web sessions started from tok, and those
// started from them, down the line (not devices: each was enrolled as a
// deliberate act, and is ended on its own or by an administrator's
// revocation). It returns their ids.
func endSessionsFrom(ctx context.Context, tx store.Tx, tok *store.AccessToken, now time.Time, why string) ([]string, error) {
	return revokeLine(ctx, tx, tok, now, func(m *store.AccessToken) bool { return m.Kind == store.TokenSession }, why)
}

// revokeLine revokes the tokens tok made that follow (each whose Parent is
// tok, or one of those, down the line), with an event each naming its
// maker and why, and returns their ids. One already revoked (a session
// signed out) is passed over, but what it made still goes.
func revokeLine(ctx context.Context, tx store.Tx, tok *store.AccessToken, now time.Time, follow func(*store.AccessToken) bool, why string) ([]string, error) {
	line, err := tokenLine(tx, tok, follow)
	if err != nil {
		return nil, err
	}
	var ended []string
	for _, m := range line {
		if !m.RevokedAt.IsZero() {
			continue // signed out, but what it started still goes
		}
		m.RevokedAt = now
		if err := tx.PutAccessToken(m); err != nil {
			return nil, err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED)
		e.Detail = m.ID + " " + roleWord(m.Role) + ":" + m.Subject + " " + m.Kind + " made by " + m.Parent + why
		if err := record(tx, e); err != nil {
			return nil, err
		}
		ended = append(ended, m.ID)
	}
	return ended, nil
}

// tokenLine lists the tokens tok made that follow accepts (each whose
// Parent is tok, or one of those, down the line), in the order found.
func tokenLine(tx store.Tx, tok *store.AccessToken, follow func(*store.AccessToken) bool) ([]*store.AccessToken, error) {
	made, err := tx.AccessTokensOf(tok.Role, tok.Subject)
	if err != nil {
		return nil, err
	}
	var out []*store.AccessToken
	in := map[string]bool{tok.ID: true}
	for grew := true; grew; {
		grew = false
		for _, m := range made {
			if in[m.ID] || !follow(m) || !in[m.Parent] {
				continue
			}
			in[m.ID], grew = true, true
			out = append(out, m)
		}
	}
	return out, nil
}

// enterpriseAccount is the enterprise calling, refused if the call comes
// from one of its staff devices: a front-desk phone scans, it does not
// manage devices.
func enterpriseAccount(ctx context.Context) (string, error) {
	p := principal(ctx)
	if p.Kind == store.TokenDevice {
		return "", domain.PermissionDeniedf("DEVICE_NOT_ACCOUNT", "前台设备不能管理设备：请用企业账号（政务服务账号登录，或管理员签发的企业令牌）操作")
	}
	return p.Subject, nil
}

// notFromDevice refuses a step that is the enterprise's own say, not the
// front desk's: evaluating an inspection (once per inspection, anonymous,
// so a device's would take the account's place) and complaining in the
// enterprise's name. A device scans and refuses at the door (a privacy and
// access trial, 2026-12-06: a front-desk phone evaluated the agency with
// 1 point, and the account's own evaluation was then refused).
func notFromDevice(ctx context.Context, what string) error {
	if principal(ctx).Kind == store.TokenDevice {
		// Not "只能扫码核验和拒绝检查": a device reads the enterprise's
		// visits, results and current 企业码 too (a security review,
		// 2026-12-07, held the message against what a device may do).
		return domain.PermissionDeniedf("DEVICE_NOT_ACCOUNT", "前台设备可以扫码核验、拒绝检查和查看本企业的检查记录，但不能%s：请用企业账号（政务服务账号登录，或管理员签发的企业令牌）操作", what)
	}
	return nil
}

const maxDeviceLabel = 30

// CreateDeviceEnrolment stores a single-use enrolment code (only its hash)
// that expires in minutes; the QR holds <PublicURL>/enrol/<code>.
func (ss *sessionServer) CreateDeviceEnrolment(ctx context.Context, req *ruqiv1.CreateDeviceEnrolmentRequest) (*ruqiv1.CreateDeviceEnrolmentResponse, error) {
	uscc, err := enterpriseAccount(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	label := strings.TrimSpace(req.GetLabel())
	if label == "" {
		label = "前台设备"
	}
	if err := domain.ValidateText("设备名称", label, maxDeviceLabel); err != nil {
		return nil, toStatus(ctx, err)
	}
	secret, id, hash, err := auth.NewToken()
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := ss.s.now()
	expires := now.Add(ss.s.cfg.Lifetimes.Enrolment)
	err = ss.s.store.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Enterprise(uscc); err != nil {
			return notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在名录中", uscc)
		}
		if err := tx.PutAccessToken(&store.AccessToken{ID: id, Hash: hash, Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: uscc, Kind: store.TokenEnrolment,
			Label: label, Description: "前台设备绑定码", CreatedAt: now, ExpiresAt: expires, Parent: principal(ctx).TokenID}); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED)
		e.EnterpriseUscc, e.Detail = uscc, "enrolment enterprise:"+uscc+" "+id
		return record(tx, e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	url := strings.TrimSuffix(ss.s.cfg.PublicURL, "/") + "/enrol/" + secret
	png, err := code.QRPNG(url, 384)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.CreateDeviceEnrolmentResponse{Code: secret, Url: url, QrPng: png, ExpiresAt: timestamppb.New(expires)}, nil
}

// enrolment is the unspent, unexpired enrolment code raw and its
// enterprise. A code that is not one answers as a spent one does.
func (ss *sessionServer) enrolment(r store.Reader, raw string, now time.Time) (*store.AccessToken, *ruqiv1.Enterprise, error) {
	enr, err := r.AccessToken(auth.HashToken(raw))
	if err != nil || enr.Kind != store.TokenEnrolment || !enr.RevokedAt.IsZero() || auth.Expired(enr, now) {
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, err
		}
		return nil, nil, domain.Unauthenticatedf("ENROLMENT_INVALID", "绑定失败：绑定二维码无效、已使用或已过期（有效期 %d 分钟）。请企业重新生成绑定二维码", int(ss.s.cfg.Lifetimes.Enrolment.Minutes()))
	}
	// A code ends with the sign-in that made it: one a stolen session made
	// before its holder signed out (or the administrator rotated the token
	// it came from) made a 30-day device in the 10 minutes after (a review,
	// 2026-12-06). Codes made before codes named their maker have no parent;
	// a maker named and not found was deleted, a week after it ended
	// (auth.Prunable).
	if enr.Parent != "" {
		maker, err := r.AccessTokenByID(enr.Parent)
		switch {
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, nil, err
		case err != nil, !maker.RevokedAt.IsZero() || auth.Expired(maker, now):
			return nil, nil, domain.Unauthenticatedf("ENROLMENT_MAKER_ENDED", "绑定失败：生成此绑定二维码的登录已退出、已过期或被吊销，二维码随之失效。请企业重新登录后再生成")
		}
	}
	ent, err := r.Enterprise(enr.Subject)
	if err != nil {
		return nil, nil, notFound(err, "ENTERPRISE_UNKNOWN", "企业 %s 不在名录中", enr.Subject)
	}
	return enr, ent, nil
}

// enrolmentCode is the code of an EnrolDevice or DescribeEnrolment request.
func enrolmentCode(code string) (string, error) {
	raw := strings.TrimSpace(code)
	if raw == "" || len(raw) > 128 {
		return "", domain.Invalidf("ENROLMENT_MALFORMED", "请提供设备绑定二维码中的绑定码")
	}
	return raw, nil
}

// DescribeEnrolment names the enterprise an enrolment code would bind a
// device to, and spends nothing: the enrolment page shows it before the
// person confirms, so that a link sent as a lure shows whose it is. Only
// the holder of a code learns its enterprise, as it would by enrolling.
func (ss *sessionServer) DescribeEnrolment(ctx context.Context, req *ruqiv1.DescribeEnrolmentRequest) (*ruqiv1.DescribeEnrolmentResponse, error) {
	raw, err := enrolmentCode(req.GetCode())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.DescribeEnrolmentResponse{}
	err = ss.s.store.View(ctx, func(r store.Reader) error {
		enr, ent, err := ss.enrolment(r, raw, ss.s.now())
		if err != nil {
			return err
		}
		resp.EnterpriseUscc, resp.EnterpriseName, resp.Label, resp.ExpiresAt = ent.GetUscc(), ent.GetName(), enr.Label, timestamppb.New(enr.ExpiresAt)
		return nil
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// EnrolDevice redeems an enrolment code, once, for a device token bound to
// the enterprise. The code is spent in the same transaction.
func (ss *sessionServer) EnrolDevice(ctx context.Context, req *ruqiv1.EnrolDeviceRequest) (*ruqiv1.EnrolDeviceResponse, error) {
	raw, err := enrolmentCode(req.GetCode())
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	token, id, hash, err := auth.NewToken()
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	now := ss.s.now()
	resp := &ruqiv1.EnrolDeviceResponse{}
	err = ss.s.store.Update(ctx, func(tx store.Tx) error {
		resp.Reset()
		enr, ent, err := ss.enrolment(tx, raw, now)
		if err != nil {
			return err
		}
		enr.RevokedAt = now
		if err := tx.PutAccessToken(enr); err != nil {
			return err
		}
		dev := &store.AccessToken{ID: id, Hash: hash, Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: enr.Subject, Kind: store.TokenDevice, Label: enr.Label,
			Description: "前台设备，绑定码 " + enr.ID, CreatedAt: now, ExpiresAt: now.Add(ss.s.cfg.Lifetimes.Device), Parent: enr.Parent}
		if err := tx.PutAccessToken(dev); err != nil {
			return err
		}
		e := newEvent(ctx, now, ruqiv1.EventType_EVENT_TYPE_TOKEN_ISSUED)
		e.Actor = "enterprise:" + enr.Subject
		e.EnterpriseUscc, e.Detail = enr.Subject, "device enterprise:"+enr.Subject+" "+id+" enrolled with "+enr.ID
		resp.Token, resp.Device, resp.EnterpriseName = token, deviceOf(dev), ent.GetName()
		return record(tx, e)
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

func deviceOf(t *store.AccessToken) *ruqiv1.Device {
	d := &ruqiv1.Device{Id: t.ID, Label: t.Label, EnterpriseUscc: t.Subject, EnrolledAt: timestamppb.New(t.CreatedAt), ExpiresAt: timestamppb.New(t.ExpiresAt)}
	if !t.RevokedAt.IsZero() {
		d.RevokedAt = timestamppb.New(t.RevokedAt)
	}
	return d
}

func (ss *sessionServer) ListDevices(ctx context.Context, _ *ruqiv1.ListDevicesRequest) (*ruqiv1.ListDevicesResponse, error) {
	uscc, err := enterpriseAccount(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	resp := &ruqiv1.ListDevicesResponse{}
	err = ss.s.store.View(ctx, func(r store.Reader) error {
		toks, err := r.AccessTokensOf(ruqiv1.Role_ROLE_ENTERPRISE, uscc)
		for _, t := range toks {
			if t.Kind == store.TokenDevice {
				resp.Devices = append(resp.Devices, deviceOf(t))
			}
		}
		return err
	})
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return resp, nil
}

// RevokeDevice revokes one of the caller's devices; another enterprise's
// device, or any other token, is NotFound (it learns nothing).
func (ss *sessionServer) RevokeDevice(ctx context.Context, req *ruqiv1.RevokeDeviceRequest) (*ruqiv1.RevokeDeviceResponse, error) {
	uscc, err := enterpriseAccount(ctx)
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	if strings.TrimSpace(req.GetDeviceId()) == "" {
		// Looked up, it was answered NOT_FOUND `设备 "" 不存在`.
		return nil, toStatus(ctx, domain.Invalidf("DEVICE_ID_MISSING", "请选择要解除绑定的设备（设备列表中的编号）"))
	}
	err = ss.s.revokeToken(ctx, req.GetDeviceId(), func(t *store.AccessToken) error {
		if t.Kind != store.TokenDevice || t.Role != ruqiv1.Role_ROLE_ENTERPRISE || t.Subject != uscc {
			return domain.NotFoundf("DEVICE_UNKNOWN", "设备 %s 不存在", req.GetDeviceId())
		}
		return nil
	})
	if domain.KindOf(err) == domain.KindNotFound {
		err = domain.NotFoundf("DEVICE_UNKNOWN", "设备 %.40q 不存在", req.GetDeviceId())
	}
	if err != nil {
		return nil, toStatus(ctx, err)
	}
	return &ruqiv1.RevokeDeviceResponse{}, nil
}
