package auth

import (
	"context"
	"errors"
	"strings"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store"
)

// TokenLookup finds a stored token by its hash; store.ErrNotFound when none,
// or a gRPC status error, answered as it is, when the token is genuine but
// its holder may not act.
type TokenLookup func(ctx context.Context, hash []byte) (*store.AccessToken, error)

// TokenCheckUnavailable is the reason of a call refused because its token
// could not be checked (the database unreachable): refused before any
// handler, it did nothing, and the server that answered is up. Without it
// the CLI told an officer the registration might have taken effect, and
// anyone to check that the server was started (an operator's trial,
// 2026-12-06).
const TokenCheckUnavailable = "TOKEN_CHECK_UNAVAILABLE"

func tokenCheckUnavailable(msg string) error {
	st := status.New(codes.Unavailable, msg)
	if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: TokenCheckUnavailable, Domain: "ruqi.v1"}); err == nil {
		st = d
	}
	return st.Err()
}

// Authenticate resolves the bearer token of an incoming call.
func Authenticate(ctx context.Context, lookup TokenLookup) (Principal, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return Principal{}, status.Error(codes.Unauthenticated, "未提供访问令牌：请求须带 authorization: Bearer <令牌>（令牌由管理员签发，或登录取得）")
	}
	raw, ok := strings.CutPrefix(vals[0], "Bearer ")
	raw = strings.TrimSpace(raw)
	// A blank token is refused before any lookup, whatever the store
	// holds: no stored hash may ever make "Bearer  " a caller.
	if !ok || raw == "" {
		return Principal{}, status.Error(codes.Unauthenticated, "访问令牌格式错误：应为 “Bearer <令牌>”")
	}
	tok, err := lookup(ctx, HashToken(raw))
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, status.Error(codes.Unauthenticated, "访问令牌无效：令牌不存在或已作废，请向管理员重新申请")
	}
	if errors.Is(err, store.ErrUnavailable) {
		return Principal{}, tokenCheckUnavailable("暂时无法核对访问令牌：数据库（PostgreSQL）暂时无法访问，本次操作未执行，请稍后重试")
	}
	if st, ok := status.FromError(err); ok && err != nil {
		// The lookup's own answer: a genuine token whose holder may not
		// act now (an officer whose certificate is suspended).
		return Principal{}, st.Err()
	}
	if err != nil {
		return Principal{}, tokenCheckUnavailable("暂时无法核对访问令牌，本次操作未执行，请稍后重试")
	}
	if tok.Kind == store.TokenEnrolment {
		// An enrolment code is redeemed once for a device token; it is
		// never a credential for anything else.
		return Principal{}, status.Error(codes.Unauthenticated, "访问令牌无效：这是设备绑定码，不能用于访问。请用手机打开绑定二维码完成绑定")
	}
	if tok.Kind == store.TokenSpentSignIn {
		return Principal{}, status.Error(codes.Unauthenticated, "访问令牌无效：令牌不存在或已作废，请向管理员重新申请")
	}
	if !tok.RevokedAt.IsZero() {
		// A session ends by signing out or signing in again: its holder
		// signs in again, and was told to ask an administrator (a trial of
		// sign-in, 2026-12-07). A device is bound again by its enterprise.
		switch tok.Kind {
		case store.TokenSession:
			return Principal{}, status.Error(codes.Unauthenticated, "登录已结束（已退出、在别处重新登录或被吊销）：请重新登录")
		case store.TokenDevice:
			return Principal{}, status.Error(codes.Unauthenticated, "此前台设备的绑定已被吊销：请企业的经办人重新生成绑定二维码")
		}
		return Principal{}, status.Error(codes.Unauthenticated, "访问令牌已被吊销，请向管理员重新申请")
	}
	if Expired(tok, time.Now()) {
		return Principal{}, status.Error(codes.Unauthenticated, "访问令牌已过期：请重新登录，或向管理员申请新令牌")
	}
	return Principal{Role: tok.Role, Subject: tok.Subject, TokenID: tok.ID, Kind: tok.Kind, Label: tok.Label}, nil
}

// Expired reports whether a token's lifetime is over at now. A zero expiry
// never ends: the data-directory admin token, and tokens issued before
// tokens expired.
func Expired(tok *store.AccessToken, now time.Time) bool {
	return !tok.ExpiresAt.IsZero() && !now.Before(tok.ExpiresAt)
}

// UnaryInterceptor authenticates every call but the public ones and applies
// the role table; the principal is then in the handler's context.
func UnaryInterceptor(lookup TokenLookup) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := authorize(ctx, info.FullMethod, lookup)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamInterceptor does the same for streams (health Watch, reflection).
func StreamInterceptor(lookup TokenLookup) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := authorize(ss.Context(), info.FullMethod, lookup)
		if err != nil {
			return err
		}
		return handler(srv, &wrappedStream{ServerStream: ss, ctx: ctx})
	}
}

func authorize(ctx context.Context, method string, lookup TokenLookup) (context.Context, error) {
	if IsPublic(method) {
		return ctx, nil
	}
	p, err := Authenticate(ctx, lookup)
	if err != nil {
		return nil, err
	}
	fillSlot(ctx, p)
	if !Allowed(method, p.Role) {
		// Who may, in the caller's words: the method's name alone told an
		// officer nothing (an operator's second trial, 2026-12-05).
		var who []string
		for _, r := range allowed[method] {
			who = append(who, roleName(Principal{Role: r}))
		}
		// In the caller's words, not a gRPC path (a trial of the CLI,
		// 2026-12-05); the method is in the server's log of the call.
		st := status.Newf(codes.PermissionDenied, "无权执行此操作：%s不能使用此功能（限%s使用）", roleName(p), strings.Join(who, "、"))
		if d, err := st.WithDetails(&errdetails.ErrorInfo{Reason: "ROLE_NOT_ALLOWED", Domain: "ruqi.v1"}); err == nil {
			st = d
		}
		return nil, st.Err()
	}
	return WithPrincipal(ctx, p), nil
}

type wrappedStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (w *wrappedStream) Context() context.Context { return w.ctx }

func roleName(p Principal) string {
	switch p.Role.String() {
	case "ROLE_OFFICER":
		return "执法人员"
	case "ROLE_ENTERPRISE":
		return "企业"
	case "ROLE_SUPERVISOR":
		return "司法局监督人员"
	case "ROLE_ADMIN":
		return "系统管理员"
	case "ROLE_AGENCY_ADMIN":
		return "部门管理员"
	case "ROLE_AGENCY_HEAD":
		return "部门负责人"
	}
	return "未知角色"
}

// EndedKept is how long the record of an ended sign-in is kept after it
// expired (Prunable): a week in which its holder is told that it expired
// rather than that it is unknown, and an administrator still finds it.
const EndedKept = 7 * 24 * time.Hour

// Prunable says whether tok's record may be deleted at now: a web session,
// a spent sign-in (an ID token's, which the provider refuses once it
// expired) or an enrolment code whose expiry is more than EndedKept behind
// now. An officer signing in every working day leaves two such records a
// day, some 610 bytes a sign-in on bbolt, kept for good before (a review of
// what grows with history, 2026-12-07); each is in the event log (issued,
// revoked), which keeps what happened. Tokens an administrator issued,
// devices and tokens that never expire are kept. The caller keeps a record
// that a token kept names as its parent, so that revoking down the line
// (RevokeAccessToken) still reaches every token made from the revoked one.
func Prunable(tok *store.AccessToken, now time.Time) bool {
	switch tok.Kind {
	case store.TokenSession, store.TokenSpentSignIn, store.TokenEnrolment:
		return !tok.ExpiresAt.IsZero() && now.Sub(tok.ExpiresAt) > EndedKept
	}
	return false
}
