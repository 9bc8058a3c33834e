package web

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Sign-in through the province's identity provider (政务服务账号): the
// authorization code flow with PKCE (RFC 7636), state and nonce. The page
// runs only the redirects and the code exchange; the ID token is verified,
// mapped to a principal and turned into a session token of ours by
// SessionService.SignIn, the same call `ruqi login` makes, so the rules are
// in one place.
//
// The flow's secrets (state, nonce, PKCE verifier) live in a short-lived
// HttpOnly cookie limited to /auth/, not in server memory: any replica can
// finish the flow, and a restart loses nothing. The callback deletes the
// cookie before anything else, so a replayed callback finds no flow.
const (
	flowCookie = "ruqi_signin"
	flowMaxAge = 10 * time.Minute
	flowPath   = "/auth/"
)

// signInFlow is what the browser keeps between the redirect to the provider
// and the callback.
type signInFlow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"next"`
	Role     string `json:"as"` // "enterprise" or "supervisor"
	// Lured: another site started the sign-in, so its return must not
	// become a same-origin navigation that scans.
	Lured bool `json:"l,omitempty"`
}

func (s *server) redirectURL() string {
	return strings.TrimSuffix(s.cfg.PublicURL, "/") + "/auth/callback"
}

func (s *server) oauth2Config(ctx context.Context) (*oauth2.Config, error) {
	c := s.cfg.Identity.Config
	return s.cfg.Identity.OAuth2(ctx, c.ClientID, c.ClientSecret, s.redirectURL())
}

// signInFailed shows why a sign-in did not happen; nothing was recorded.
func signInFailed(w http.ResponseWriter, code int, detail, back string) {
	render(w, code, "result", "登录未完成", resultData{
		Banner: badBanner("登录未完成", detail), Back: back, BackTo: "返回"})
}

// oidcLogin starts the flow: GET /auth/login?as=enterprise&next=/V/…
func (s *server) oidcLogin(w http.ResponseWriter, r *http.Request) {
	f := signInFlow{Role: r.URL.Query().Get("as"), Next: safeNext(r.URL.Query().Get("next"))}
	switch f.Role {
	case "", "enterprise":
		f.Role = "enterprise"
	case "supervisor":
		f.Next = "/dashboard"
	default:
		signInFailed(w, http.StatusBadRequest, "登录身份不对：只能以企业或司法局监督人员身份登录网页。", "/")
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	conf, err := s.oauth2Config(ctx)
	if err != nil {
		signInFailed(w, http.StatusServiceUnavailable, domainMessage(err), f.Next)
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		f.Lured = true
	}
	f.State, f.Nonce, f.Verifier = oauth2.GenerateVerifier(), oauth2.GenerateVerifier(), oauth2.GenerateVerifier()
	b, _ := json.Marshal(f)
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, flowCookie), Value: base64.RawURLEncoding.EncodeToString(b), Path: cookiePath(r, flowPath),
		MaxAge: int(flowMaxAge.Seconds()), HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, conf.AuthCodeURL(f.State, oauth2.S256ChallengeOption(f.Verifier), oidc.Nonce(f.Nonce)), http.StatusFound)
}

// domainMessage is the message of an error from identity (a domain error)
// or a generic one.
func domainMessage(err error) string {
	if de, ok := err.(*domain.Error); ok {
		return de.Message
	}
	return "暂时无法连接政务服务账号的身份提供方，请稍后重试。"
}

// oidcCallback finishes the flow: GET /auth/callback?code=…&state=…
func (s *server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	var f signInFlow
	c, err := r.Cookie(cookieName(r, flowCookie))
	if err == nil {
		b, derr := base64.RawURLEncoding.DecodeString(c.Value)
		if derr != nil || json.Unmarshal(b, &f) != nil {
			f = signInFlow{}
		}
	}
	// Spent at once, whatever happens next: a flow is finished once.
	http.SetCookie(w, &http.Cookie{Name: cookieName(r, flowCookie), Value: "", Path: cookiePath(r, flowPath), MaxAge: -1, HttpOnly: true, Secure: secure(r), SameSite: http.SameSiteLaxMode})
	q := r.URL.Query()
	// The cookie's target is checked again: whoever can plant a cookie
	// must not get a redirect off the site.
	back := "/"
	if f.Next != "" {
		back = safeBack(f.Next)
	}
	if f.State == "" || subtle.ConstantTimeCompare([]byte(f.State), []byte(q.Get("state"))) != 1 {
		signInFailed(w, http.StatusBadRequest, "登录请求已失效或已被使用（登录链接不能重复打开，也不能在其他浏览器中打开）。请重新登录。", back)
		return
	}
	if e := q.Get("error"); e != "" {
		// Checked after the state, and said in fixed words: the provider's
		// own text is not put on this site's pages.
		signInFailed(w, http.StatusUnauthorized, providerError(e)+"请重新登录。", back)
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	conf, err := s.oauth2Config(ctx)
	if err != nil {
		signInFailed(w, http.StatusServiceUnavailable, domainMessage(err), back)
		return
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(f.Verifier))
	if err != nil {
		signInFailed(w, http.StatusUnauthorized, "登录失败：身份提供方不接受此授权码（授权码无效、已使用或已过期）。请重新登录。", back)
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		signInFailed(w, http.StatusBadGateway, "登录失败：身份提供方没有返回身份令牌。请联系管理员检查身份提供方的配置。", back)
		return
	}
	role, cookie := ruqiv1.Role_ROLE_ENTERPRISE, enterpriseCookie
	if f.Role == "supervisor" {
		role, cookie = ruqiv1.Role_ROLE_SUPERVISOR, supervisorCookie
	}
	resp, err := s.sess.SignIn(ctx, &ruqiv1.SignInRequest{IdToken: rawID, Nonce: f.Nonce, Role: role})
	if err != nil {
		signInFailed(w, httpStatus(err), apiMessage(err), back)
		return
	}
	s.replaceSession(w, r, cookie, resp.GetToken(), resp.GetExpiresAt().AsTime())
	if f.Lured && strings.HasPrefix(back, "/V/") {
		// A redirect keeps the chain another site's: the verify page shows
		// its scan button instead of scanning.
		http.Redirect(w, r, back, http.StatusSeeOther)
		return
	}
	goOn(w, back)
}

// endSession revokes a signed-in session or device token on sign-out (a
// token an administrator issued is left alone: the cookie only is dropped).
// It returns the failure of a sign-out the server could not record (its
// store out of reach, a rate): the token would stay valid for hours while
// the person was told they had signed out (a trial of sign-in,
// 2026-12-05). A token the server no longer takes has ended already.
func (s *server) endSession(r *http.Request, name string) error {
	sess := sessionToken(r, name)
	if sess == "" {
		return nil
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	_, err := s.sess.SignOut(as(ctx, sess), &ruqiv1.SignOutRequest{})
	if status.Code(err) == codes.Unauthenticated {
		return nil
	}
	return err
}

// replaceSession keeps token in the named cookie, first ending the session
// the cookie held, if another: a sign-in over an old session left it valid
// until its expiry with no browser holding it (a trial of sign-in,
// 2026-12-05). A token an administrator issued is not ended (SignOut leaves
// it), only no longer kept.
func (s *server) replaceSession(w http.ResponseWriter, r *http.Request, name, token string, expires ...time.Time) {
	if old := sessionToken(r, name); old != "" && old != token {
		if err := s.endSession(r, name); err != nil {
			slog.WarnContext(r.Context(), "web: end the session a sign-in replaces", "err", err)
		}
	}
	setSession(w, r, name, token, expires...)
}

// startSession keeps in the named cookie a session started from the token
// pasted into a sign-in form (SessionService.StartSession), never the token
// itself: the administrator's admin.token never expires, an issued token
// lasts months, and the cookie's Max-Age bounds only what the browser
// keeps, not what a copy of the cookie can do. The session ends with the
// cookie (-session-ttl, as an identity provider's sign-in), is revoked by
// signing out, and goes with the token if an administrator revokes it.
func (s *server) startSession(ctx context.Context, w http.ResponseWriter, r *http.Request, name, token string) error {
	resp, err := s.sess.StartSession(as(ctx, token), &ruqiv1.StartSessionRequest{})
	if err != nil {
		return err
	}
	s.replaceSession(w, r, name, resp.GetToken(), resp.GetExpiresAt().AsTime())
	return nil
}

// signOutFailed says that a sign-out did not take effect, and keeps the
// session so that the person can try again.
func signOutFailed(w http.ResponseWriter, err error, back string) {
	render(w, httpStatus(err), "result", "未能退出登录", resultData{
		Banner: badBanner("未能退出登录", "服务器未能注销本次登录（"+apiMessage(err)+"），本机仍保持登录。请稍后再点“退出登录”；在公用设备上，请务必重试成功后再离开。"),
		Back:   back, BackTo: "返回"})
}

// devicesData is the enterprise's page of staff devices.
type devicesData struct {
	CSRF      string
	Banner    *banner
	Devices   []deviceData
	Enrolment *enrolmentData
}

type deviceData struct {
	ID, Label, Enrolled, Expires, State string
	Active                              bool
}

type enrolmentData struct {
	URL, Expires string
	// QR is a data: URL of our own PNG: a plain string in src would be
	// replaced by html/template with #ZgotmplZ.
	QR template.URL
}

// devices lists the enterprise's staff devices: GET /devices.
func (s *server) devices(w http.ResponseWriter, r *http.Request) {
	s.renderDevices(w, r, nil, nil)
}

func (s *server) renderDevices(w http.ResponseWriter, r *http.Request, b *banner, enr *enrolmentData) {
	sess, ok := enterpriseSession(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.sess.ListDevices(as(ctx, sess), &ruqiv1.ListDevicesRequest{})
	if err != nil {
		if sessionEnded(w, r, err) {
			return
		}
		render(w, httpStatus(err), "result", "前台设备", resultData{Banner: badBanner("无法管理前台设备", apiMessage(err)), Back: "/", BackTo: "返回首页"})
		return
	}
	d := devicesData{CSRF: csrfToken(sess), Banner: b, Enrolment: enr}
	now := s.now()
	for _, dv := range resp.GetDevices() {
		dd := deviceData{ID: dv.GetId(), Label: dv.GetLabel(), Enrolled: beijing(dv.GetEnrolledAt()), Expires: beijing(dv.GetExpiresAt())}
		switch {
		case dv.GetRevokedAt() != nil:
			dd.State = "已解除（" + beijing(dv.GetRevokedAt()) + "）"
		case !now.Before(dv.GetExpiresAt().AsTime()):
			dd.State = "已过期"
		default:
			dd.State, dd.Active = "有效", true
		}
		d.Devices = append(d.Devices, dd)
	}
	render(w, http.StatusOK, "devices", "前台设备", d)
}

// devicesForm checks a POST of the devices page: the enterprise signed in,
// with its form token.
func (s *server) devicesForm(w http.ResponseWriter, r *http.Request) (string, bool) {
	return s.enterpriseForm(w, r, "/devices")
}

// createEnrolment makes an enrolment QR: POST /devices.
func (s *server) createEnrolment(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.devicesForm(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.sess.CreateDeviceEnrolment(as(ctx, sess), &ruqiv1.CreateDeviceEnrolmentRequest{Label: r.PostFormValue("label")})
	if err != nil {
		render(w, httpStatus(err), "result", "未能生成绑定二维码", resultData{Banner: badBanner("未能生成绑定二维码", apiMessage(err)), Back: "/devices", BackTo: "返回前台设备"})
		return
	}
	enr := &enrolmentData{URL: resp.GetUrl(), QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(resp.GetQrPng())), Expires: beijing(resp.GetExpiresAt())}
	s.renderDevices(w, r, okBanner("绑定二维码已生成", "请用前台员工的手机扫描下方二维码，在 "+enr.Expires+"（北京时间）前完成绑定。二维码只能使用一次。"), enr)
}

// revokeDevice: POST /devices/{id}/revoke.
func (s *server) revokeDevice(w http.ResponseWriter, r *http.Request) {
	sess, ok := s.devicesForm(w, r)
	if !ok {
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	id := r.PathValue("id")
	if _, err := s.sess.RevokeDevice(as(ctx, sess), &ruqiv1.RevokeDeviceRequest{DeviceId: id}); err != nil {
		render(w, httpStatus(err), "result", "未能解除绑定", resultData{Banner: badBanner("未能解除绑定", apiMessage(err)), Back: "/devices", BackTo: "返回前台设备"})
		return
	}
	s.renderDevices(w, r, okBanner("已解除绑定", "设备 "+id+" 已不能再代表本企业扫码核验。"), nil)
}

// enrolData is the page a staff phone opens from the enrolment QR.
type enrolData struct {
	Code string
	// Enterprise, USCC, Label and Until say what the code binds the phone
	// to, before the person confirms.
	Enterprise, USCC, Label, Until string
	// SignedIn: the phone is signed in as an enterprise already, which
	// binding would replace; the form must say so and ask.
	SignedIn bool
	Problem  string
}

// enrolPage asks the staff phone to confirm: GET /enrol/{code}. It names
// the enterprise the code binds to; opening the link spends nothing, so a
// chat app's link preview cannot use up the QR. A code that is spent,
// expired or unknown says so at once.
func (s *server) enrolPage(w http.ResponseWriter, r *http.Request) {
	s.renderEnrol(w, r, http.StatusOK, "")
}

// renderEnrol shows the confirmation page for the code in the path, or
// why it cannot be used.
func (s *server) renderEnrol(w http.ResponseWriter, r *http.Request, status int, problem string) {
	ctx, cancel := s.callContext(r)
	defer cancel()
	code := r.PathValue("code")
	d, err := s.sess.DescribeEnrolment(ctx, &ruqiv1.DescribeEnrolmentRequest{Code: code})
	if err != nil {
		render(w, httpStatus(err), "result", "绑定失败", resultData{Banner: badBanner("无法绑定", apiMessage(err)), Back: "/", BackTo: "返回首页"})
		return
	}
	render(w, status, "enrol", "绑定前台设备", enrolData{Code: code, Enterprise: d.GetEnterpriseName(), USCC: d.GetEnterpriseUscc(),
		Label: d.GetLabel(), Until: beijing(d.GetExpiresAt()), SignedIn: sessionToken(r, enterpriseCookie) != "", Problem: problem})
}

// enrol redeems the code and signs this phone in as the device: POST
// /enrol/{code}. A phone signed in already is bound only if the person
// ticked that the binding replaces that sign-in (a lure with another
// enterprise's enrolment link must not swap the phone's enterprise in one
// click), and the replaced session is signed out.
func (s *server) enrol(w http.ResponseWriter, r *http.Request) {
	if !parseForm(w, r) {
		return
	}
	signedIn := sessionToken(r, enterpriseCookie) != ""
	if signedIn && r.PostFormValue("replace") != "yes" {
		s.renderEnrol(w, r, http.StatusConflict, "未绑定：本手机已登录企业账号，请先勾选“替换当前登录”再确认。绑定二维码未被使用。")
		return
	}
	ctx, cancel := s.callContext(r)
	defer cancel()
	resp, err := s.sess.EnrolDevice(ctx, &ruqiv1.EnrolDeviceRequest{Code: r.PathValue("code")})
	if err != nil {
		render(w, httpStatus(err), "result", "绑定失败", resultData{Banner: badBanner("绑定失败", apiMessage(err)), Back: "/", BackTo: "返回首页"})
		return
	}
	dv := resp.GetDevice()
	if signedIn {
		// The session the device replaces: if it cannot be ended now, it
		// expires with its lifetime; the phone holds the device's token.
		if err := s.endSession(r, enterpriseCookie); err != nil {
			slog.WarnContext(ctx, "web: end the session a device enrolment replaces", "err", err)
		}
	}
	setSession(w, r, enterpriseCookie, resp.GetToken(), dv.GetExpiresAt().AsTime())
	// A redirect, not the page: a refresh of the POST's answer sent the
	// spent code again and a bound phone read 绑定失败 (a trial as a
	// restaurant's front desk, 2026-12-07).
	q := url.Values{"enterprise": {resp.GetEnterpriseName()}, "label": {dv.GetLabel()},
		"until": {strconv.FormatInt(dv.GetExpiresAt().GetSeconds(), 10)}}
	http.Redirect(w, r, "/enrolled?"+confirmation(resp.GetToken(), "enrolled", q).Encode(), http.StatusSeeOther)
}

// enrolled confirms a binding to the phone that made it: GET /enrolled.
// A device may not list devices (DEVICE_NOT_ACCOUNT), so the page shows
// what the binding answered, from a query signed with the device's own
// session: only the phone holding that session opens it, and nobody can
// make it say other words.
func (s *server) enrolled(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	until, err := strconv.ParseInt(q.Get("until"), 10, 64)
	if !confirmed(r, "enrolled") || err != nil {
		unconfirmed(w, "/", "返回首页")
		return
	}
	// Still bound: a revoked device's session is refused as the home page
	// finds out (a device may not list devices, but is known).
	if _, err := s.probeSession(r, sessionToken(r, enterpriseCookie)); sessionEnded(w, r, err) {
		return
	}
	render(w, http.StatusOK, "result", "已绑定前台设备", resultData{
		Banner: okBanner("已绑定为前台设备", "本手机已绑定为「"+q.Get("enterprise")+"」的前台设备「"+q.Get("label")+"」，有效期至 "+domain.FormatTime(time.Unix(until, 0))+"（北京时间）。"),
		Lines:  []string{"扫描执法人员出示的入企码即可核验，并以本设备的名义记录入企签到。", "企业可随时在“前台设备”页面解除绑定。"},
		Back:   "/", BackTo: "返回首页"})
}

// safeBack is where a finished sign-in may return: the dashboard, or what
// safeNext allows.
func safeBack(next string) string {
	if next == "/dashboard" {
		return next
	}
	return safeNext(next)
}

// providerError says an OpenID provider's error code (OpenID Connect Core
// 3.1.2.6, RFC 6749 4.1.2.1) in fixed words; the provider's description
// is not shown.
func providerError(code string) string {
	switch code {
	case "access_denied":
		return "身份提供方拒绝了登录（用户取消或无权登录）。"
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return "身份提供方要求先在其页面完成登录或授权。"
	case "temporarily_unavailable", "server_error":
		return "身份提供方暂时无法完成登录。"
	}
	return "身份提供方未完成登录。"
}
