package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Sign-in keeps an access token in an HttpOnly cookie, not an opaque
// session id mapped to it in memory. It is a session token of the API's own
// (an identity provider's sign-in, or SessionService.StartSession for a
// token pasted into the form: startSession), never the token pasted, which
// may be the administrator's admin.token that never expires; the session
// expires with the cookie, so a copy of the cookie ends with it:
//
//   - the session is a token like the CLI's; revoking the token it was
//     started from (ruqi admin token revoke) revokes it too, and so ends
//     every web sign-in with it on the next page, because each page calls
//     the API with it;
//   - the server keeps no session state, so a restart or a deploy does not
//     sign out every enterprise's phone, and several replicas behind a load
//     balancer need no sticky sessions or shared session store;
//   - what an opaque id would add (ending one browser's session alone) does
//     not outweigh that: sign-out deletes the cookie, and a lost phone is
//     handled by revoking its token.
//
// The cookie is HttpOnly (no script can read it; the pages have none),
// Secure when the request came over TLS, and SameSite: Lax for the
// enterprise, because the verify page is opened by a link from the camera
// or a chat app and Strict would drop the cookie on that first navigation;
// Strict for the 司法局, whose dashboard is never reached from another site.
const (
	enterpriseCookie = "ruqi_enterprise"
	supervisorCookie = "ruqi_supervisor"

	enterpriseMaxAge = 30 * 24 * time.Hour // a phone stays signed in for a month
	supervisorMaxAge = 12 * time.Hour      // a working day at a shared desk
)

// maxTokenLen bounds what is accepted as a token: real ones are 55 bytes.
const maxTokenLen = 128

// cleanToken trims what was pasted and checks its shape, so that a wrong
// paste gets a clear answer without a call; the problem is a key of
// signInProblems. Whether the token is valid is for the server to say.
func cleanToken(s string) (token, problem string) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "Bearer ")
	switch {
	case s == "":
		return "", "empty"
	case len(s) > maxTokenLen || !strings.HasPrefix(s, "rq_"):
		return "", "format"
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return "", "format"
		}
	}
	return s, ""
}

// signInProblems are the messages a failed sign-in can show. The sign-in
// redirects back with only the key (?signin=format), so that no text from
// the request is ever reflected into a page.
var signInProblems = map[string]string{
	"empty":          "请粘贴管理员签发的访问令牌（与命令行工具使用的令牌相同，以 rq_ 开头）。",
	"format":         "令牌格式不对：访问令牌以 rq_ 开头，只含字母、数字和下划线。请完整粘贴管理员签发的令牌。",
	"invalid":        "令牌无效或已被吊销，请向管理员重新申请。",
	"not-enterprise": "此令牌不是企业令牌。核验页面只供被检查的企业登录；执法人员请使用命令行工具。",
	"not-supervisor": "此令牌不是司法局监督人员或系统管理员的令牌，不能查看监督看板。",
	"unavailable":    "暂时无法核对令牌，请稍后重试。",
	"expired":        "登录已失效（令牌已过期、已被吊销或设备已解除绑定），请重新登录。",
	"form":           "表单已失效，请刷新页面后重试。",
	"device":         "此令牌是前台设备的令牌，不能用于登录网页。请用企业的政务服务账号或管理员签发的企业令牌登录。",
}

// sessionProblem is the sign-in problem for a refused StartSession.
func sessionProblem(err error) string {
	switch status.Code(err) {
	case codes.Unauthenticated:
		return "invalid"
	case codes.PermissionDenied:
		return "device"
	}
	return "unavailable"
}

// cookieName is the name r's cookies go by. Over https every cookie is
// __Host-: the browser takes it only from this very host, Secure, with
// Path=/ and no Domain, so a sibling host of the same domain (another
// gov.cn service, or someone who holds one) cannot plant a session that
// this server would read before the person's own (a privacy and access
// trial, 2026-12-06: a cookie planted with Path=/V/ showed the victim's
// phone an accomplice enterprise's verdicts). Plain http (development on
// loopback) keeps the bare names, which browsers require there.
func cookieName(r *http.Request, name string) string {
	if secure(r) {
		return "__Host-" + name
	}
	return name
}

// sessionToken returns the token kept in the named cookie, or "".
func sessionToken(r *http.Request, name string) string {
	c, err := r.Cookie(cookieName(r, name))
	if err != nil {
		return ""
	}
	tok, bad := cleanToken(c.Value)
	if bad != "" {
		return ""
	}
	return tok
}

// enterpriseSession is the signed-in enterprise's token for a page of its
// own; without one it sends the browser home to sign in again and says so.
// returnPath is where a sign-in returns to from r: its path, and for the
// complaint about an inspection (/complain?inspection=ID) that query too,
// or the complaint lost its inspection across the sign-in (a review,
// 2026-12-08). safeNext still decides what is followed.
func returnPath(r *http.Request) string {
	if r.URL.Path == "/complain" {
		if id := domain.NormalizeID(r.URL.Query().Get("inspection")); domain.ValidateID("检查编号", id) == nil {
			return "/complain?inspection=" + url.QueryEscape(id)
		}
	}
	return r.URL.Path
}

func enterpriseSession(w http.ResponseWriter, r *http.Request) (string, bool) {
	sess := sessionToken(r, enterpriseCookie)
	if sess == "" {
		http.Redirect(w, r, signInPage(safeNext(returnPath(r)))+"signin=expired", http.StatusSeeOther)
	}
	return sess, sess != ""
}

// probeSession asks the server what the enterprise session sess is now:
// ended (no longer taken), or a front-desk device's rather than the
// account's. ListDevices answers both at once: an enterprise's account may
// call it, a device is refused DEVICE_NOT_ACCOUNT, an ended session is
// Unauthenticated. Any other error (the store unavailable) says neither.
// The error is returned for sessionEnded.
func (s *server) probeSession(r *http.Request, sess string) (device bool, err error) {
	ctx, cancel := s.callContext(r)
	defer cancel()
	_, err = s.sess.ListDevices(as(ctx, sess), &ruqiv1.ListDevicesRequest{})
	return errorReason(err) == "DEVICE_NOT_ACCOUNT", err
}

// sessionEnded reports whether err says the enterprise's session is no
// longer accepted (its token expired or was revoked, its device unbound):
// if so the cookie is cleared and the browser sent home to sign in again,
// as a scan does. A page that showed the error and kept the cookie left
// the person signed in on a home page with nothing to do (a trial of the
// pages, 2026-12-05).
func sessionEnded(w http.ResponseWriter, r *http.Request, err error) bool {
	if status.Code(err) != codes.Unauthenticated {
		return false
	}
	clearSession(w, r, enterpriseCookie)
	http.Redirect(w, r, signInPage(safeNext(returnPath(r)))+"signin=expired", http.StatusSeeOther)
	return true
}

// sessionEndedKeeping is sessionEnded for a form with text the person
// typed: the session is cleared and the page keeps the text, to copy into
// the form once signed in again, instead of a redirect that lost it (a
// trial of the pages on a phone, 2026-12-06: a refusal's reason and a
// complaint's description were gone after signing in again).
func sessionEndedKeeping(w http.ResponseWriter, r *http.Request, err error, typed, back, backTo string) bool {
	if status.Code(err) != codes.Unauthenticated {
		return false
	}
	clearSession(w, r, enterpriseCookie)
	d := resultData{Banner: badBanner("登录已过期，未能提交", "请重新登录后再提交。"), Back: back, BackTo: backTo, Lines: kept(typed)}
	render(w, http.StatusUnauthorized, "result", "登录已过期", d)
	return true
}

// kept shows what the user typed into a form that was not taken, to copy
// into it again: the result page's link back opens an empty form (a trial
// as an enterprise, 2026-12-06: a refusal a few characters too long, or an
// evaluation refused, was typed again from nothing on a phone).
func kept(typed string) []string {
	if typed == "" {
		return nil
	}
	return []string{"您填写的内容尚未提交，保留如下，可复制后粘贴到表单中：", typed}
}

// setSession keeps token in the named cookie. A token that expires (a
// sign-in, a device; expires non-zero) keeps the cookie no longer than
// itself.
func setSession(w http.ResponseWriter, r *http.Request, name, token string, expires ...time.Time) {
	c := &http.Cookie{Name: cookieName(r, name), Value: token, Path: "/", HttpOnly: true, Secure: secure(r)}
	maxAge := supervisorMaxAge
	switch name {
	case enterpriseCookie:
		c.SameSite, maxAge = http.SameSiteLaxMode, enterpriseMaxAge
	default:
		// Path /dashboard: the supervisor's token is not sent with requests
		// for the verify pages; but a __Host- cookie must have Path=/.
		c.SameSite, c.Path = http.SameSiteStrictMode, sessionPath(r, name)
	}
	if len(expires) > 0 && !expires[0].IsZero() {
		maxAge = min(maxAge, time.Until(expires[0]))
	}
	c.MaxAge = max(int(maxAge.Seconds()), 1)
	http.SetCookie(w, c)
}

// forgetPages asks the browser, on a sign-out's answer, to drop what it
// keeps of this origin's pages: the HTTP cache, and with it (Chromium) the
// back-forward cache, where another tab's signed-in page could be shown
// again by Back after the sign-out. Pages are no-store already; "cache" is
// for the back-forward copies that no-store does not always keep out.
// Neither "cookies" nor "storage": the other role's session (an enterprise's
// beside a supervisor's) stays signed in. Browsers honour it over https and
// on loopback only.
func forgetPages(w http.ResponseWriter) {
	w.Header().Set("Clear-Site-Data", `"cache"`)
}

func clearSession(w http.ResponseWriter, r *http.Request, name string) {
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, name), Value: "", Path: sessionPath(r, name), MaxAge: -1, HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
}

// sessionPath is the path a session cookie is set under: the supervisor's
// under /dashboard over plain http (cookiePath).
func sessionPath(r *http.Request, name string) string {
	if name == supervisorCookie {
		return cookiePath(r, "/dashboard")
	}
	return "/"
}

// cookiePath is path over plain http and / over https, where every cookie
// is __Host- (cookieName), which must have Path=/.
func cookiePath(r *http.Request, path string) string {
	if secure(r) {
		return "/"
	}
	return path
}

// csrfToken is the form token for a signed-in user: an HMAC keyed by the
// session's token. It needs no server state (any replica, any restart
// checks it), a page from another site cannot compute it without the
// token, and the page shows only the HMAC, never the token. It is the
// second line: http.CrossOriginProtection already refuses cross-site POSTs
// by their Sec-Fetch-Site and Origin headers.
func csrfToken(session string) string { return sessionMAC(session, "ruqi web form v1") }

// sessionMAC is an HMAC of msg keyed by the session's token: what only
// that browser's session can produce, checked without server state.
func sessionMAC(session, msg string) string {
	mac := hmac.New(sha256.New, []byte(session))
	mac.Write([]byte(msg))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// confirmation signs the query of a confirmation page (complaint filed,
// inspection refused) with the session that made the step, as "m": the
// page confirms only what that browser did. Without it anyone could hand an
// enterprise a link saying 投诉已提交 or 已拒绝检查 with a lead number, and
// nothing recorded (a privacy and access trial, 2026-12-06).
func confirmation(session, page string, q url.Values) url.Values {
	q.Set("m", confirmationMAC(session, page, q))
	return q
}

func confirmationMAC(session, page string, q url.Values) string {
	signed := url.Values{}
	for k, v := range q {
		if k != "m" {
			signed[k] = v
		}
	}
	return sessionMAC(session, "ruqi confirmation v1|"+page+"|"+signed.Encode())
}

// confirmed reports whether r's query was signed by r's enterprise session
// for page.
func confirmed(r *http.Request, page string) bool {
	sess := sessionToken(r, enterpriseCookie)
	q := r.URL.Query()
	return sess != "" && hmac.Equal([]byte(q.Get("m")), []byte(confirmationMAC(sess, page, q)))
}

func validCSRF(session, got string) bool {
	return session != "" && hmac.Equal([]byte(csrfToken(session)), []byte(got))
}

// as returns ctx carrying the user's token as gRPC metadata, as the CLI
// sends it.
func as(ctx context.Context, token string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}
