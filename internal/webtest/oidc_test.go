package webtest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/testutil/oidctest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The clients ruqi is registered as at the provider.
const (
	webClientID  = "ruqi-web"
	webSecret    = "ruqi-web-secret"
	cliClientID  = "ruqi-cli"
	password     = "verysecure"
	supervisorOf = "sfj_supervisor"
)

// idpWorld is a ruqi server that signs people in through a real OpenID
// provider, with the sample directory.
type idpWorld struct {
	srv *server
	idp *oidctest.Provider
	smp sample
	// e1 and e3 are sample enterprises in different districts.
	e1, e3 string
}

// unknownUSCC is a well-formed USCC (its check character is right) of an
// enterprise that is not in the directory.
func unknownUSCC(t *testing.T) string {
	first := "91510107MA00000000"[:17]
	c, err := domain.USCCCheckChar(first)
	if err != nil {
		t.Fatal(err)
	}
	return first + string(c)
}

func startWithProvider(t *testing.T) *idpWorld {
	t.Helper()
	smp := loadSample(t)
	w := &idpWorld{smp: smp, e1: smp.ents[0], e3: smp.ents[2]}
	if domain.USCCRegion(w.e1) == domain.USCCRegion(w.e3) {
		t.Fatalf("sample enterprises %s and %s are in the same district", w.e1, w.e3)
	}
	w.idp = oidctest.Start(t,
		oidctest.User{Username: "ent1", Password: password, Claims: map[string]any{"uscc": w.e1, "name": "企业经办人张三"}},
		oidctest.User{Username: "officer1", Password: password, Claims: map[string]any{"officer_id": smp.officersOf["AG-01"][0]}},
		oidctest.User{Username: "sup1", Password: password, Claims: map[string]any{"roles": []string{supervisorOf}, "region": domain.USCCRegion(w.e1)}},
		oidctest.User{Username: "stranger", Password: password, Claims: map[string]any{"uscc": unknownUSCC(t)}},
		oidctest.User{Username: "nobody", Password: password, Claims: map[string]any{}},
	)
	cfg := map[string]any{"issuer": w.idp.Issuer, "client_id": webClientID, "client_secret": webSecret, "cli_client_id": cliClientID,
		"claims": map[string]any{"enterprise_uscc": "uscc", "officer_id": "officer_id", "role": "roles", "supervisor_role": supervisorOf, "supervisor_region": "region"}}
	b, _ := json.Marshal(cfg)
	path := filepath.Join(t.TempDir(), "oidc.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	w.srv = startServer(t, "-oidc-config", path)
	w.idp.AddClient(oidctest.Client{ID: webClientID, Secret: webSecret, RedirectURIs: []string{w.srv.url("/auth/callback")}})
	w.idp.AddClient(oidctest.Client{ID: cliClientID, RedirectURIs: []string{"http://127.0.0.1/callback"}})
	w.srv.importSample(smp)
	return w
}

// registerBoth registers an inspection of e by AG-01 and returns both
// officers' codes.
func (w *idpWorld) registerBoth(t *testing.T, uscc string) []*ruqiv1.InspectionCode {
	t.Helper()
	officers, items := w.smp.officersOf["AG-01"], w.smp.itemsOf["AG-01"]
	tok := w.srv.issue(ruqiv1.Role_ROLE_OFFICER, officers[0])
	resp, err := ruqiv1.NewInspectionServiceClient(w.srv.conn()).RegisterInspection(w.srv.as(tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: items[:2], OfficerIds: officers[:2],
		WindowStart: timestamppb.New(time.Now()), WindowEnd: timestamppb.New(time.Now().Add(4 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "网页测试：政务服务账号登录",
	})
	if err != nil {
		t.Fatalf("register for %s: %v", uscc, err)
	}
	return resp.GetCodes()
}

// events lists the whole event log, as an administrator reads it.
func (w *idpWorld) events(t *testing.T) []*ruqiv1.Event {
	t.Helper()
	resp, err := ruqiv1.NewAdminServiceClient(w.srv.conn()).ListEvents(w.srv.as(w.srv.admin), &ruqiv1.ListEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetEvents()
}

// signInAtProvider fills in the provider's own login page in the browser.
func signInAtProvider(t *testing.T, ctx context.Context, user string) {
	t.Helper()
	do(t, ctx, "provider login page", chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("button[type=submit]")))
}

// TestIdentityProvider_VerifyPage: an enterprise opens the officer's QR,
// signs in with its 政务服务账号 at the province's provider and comes back to
// the same code, now checked and recorded as its check-in; an officer's
// account and an account whose USCC is not in the directory are refused,
// and nothing is recorded for them.
func TestIdentityProvider_VerifyPage(t *testing.T) {
	ctxB := startBrowser(t)
	w := startWithProvider(t)
	codes := w.registerBoth(t, w.e1)

	t.Run("officer account cannot sign in as the enterprise", func(t *testing.T) {
		before := len(w.events(t))
		off := user(t, ctxB)
		do(t, off, "phone viewport", phone())
		do(t, off, "open the QR link", chromedp.Navigate(codes[0].GetUrl()), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")))
		do(t, off, "sign in with the provider", chromedp.Click(chromedp.CSS("#oidc-signin")))
		signInAtProvider(t, off, "officer1")
		do(t, off, "refusal", chromedp.WaitVisible(chromedp.CSS(".banner.bad")))
		mustContain(t, "refusal", text(t, off, "main"), "登录未完成", "身份是执法人员", "不能以企业身份登录")
		screenshot(t, off, "oidc-officer-refused")
		if after := w.events(t); len(after) != before {
			t.Errorf("a refused sign-in recorded %d events: %v", len(after)-before, after[before:])
		}
	})

	t.Run("unknown USCC is refused", func(t *testing.T) {
		before := len(w.events(t))
		str := user(t, ctxB)
		do(t, str, "open the QR link", chromedp.Navigate(codes[0].GetUrl()), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")),
			chromedp.Click(chromedp.CSS("#oidc-signin")))
		signInAtProvider(t, str, "stranger")
		do(t, str, "refusal", chromedp.WaitVisible(chromedp.CSS(".banner.bad")))
		mustContain(t, "refusal", text(t, str, "main"), "不在本系统名录中", unknownUSCC(t))
		if after := w.events(t); len(after) != before {
			t.Errorf("a refused sign-in recorded %d events", len(after)-before)
		}
	})

	t.Run("account with no role is refused", func(t *testing.T) {
		nob := user(t, ctxB)
		do(t, nob, "open the QR link", chromedp.Navigate(codes[0].GetUrl()), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")),
			chromedp.Click(chromedp.CSS("#oidc-signin")))
		signInAtProvider(t, nob, "nobody")
		do(t, nob, "refusal", chromedp.WaitVisible(chromedp.CSS(".banner.bad")))
		mustContain(t, "refusal", text(t, nob, "main"), "没有对应的身份")
	})

	t.Run("enterprise signs in and checks in", func(t *testing.T) {
		ent := user(t, ctxB)
		do(t, ent, "phone viewport", phone())
		do(t, ent, "open the QR link", chromedp.Navigate(codes[0].GetUrl()), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")))
		mustContain(t, "signed out", text(t, ent, "#verdict"), "尚未核对报备")
		do(t, ent, "sign in with the provider", chromedp.Click(chromedp.CSS("#oidc-signin")))
		signInAtProvider(t, ent, "ent1")
		do(t, ent, "back at the code", chromedp.WaitVisible(chromedp.CSS("#checkin")))
		loc, err := chromedp.Run(ent, chromedp.Location())
		if err != nil || !strings.Contains(loc, "/V/"+strings.ToUpper(codes[0].GetToken())) {
			t.Errorf("after sign-in the page is %s, not the code's", loc)
		}
		mustContain(t, "verdict", text(t, ent, "#verdict"), "有效")
		mustContain(t, "check-in", text(t, ent, "#checkin"), "已核验并记录入企签到", "首次扫码")
		who := text(t, ent, "#whoami")
		mustContain(t, "who", who, "本企业", "政务服务账号「企业经办人张三」", "出示入企码", "执法证号")
		screenshot(t, ent, "oidc-enterprise-checked-in")

		var checkIn *ruqiv1.Event
		for _, e := range w.events(t) {
			if e.GetType() == ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED && e.GetInspectionId() == codes[0].GetInspectionId() {
				checkIn = e
			}
		}
		if checkIn == nil || checkIn.GetActor() != "enterprise:"+w.e1 || !strings.HasPrefix(checkIn.GetDetail(), "check-in account 企业经办人张三 tok-") {
			t.Errorf("check-in event = %v", checkIn)
		}
		session := strings.Fields(checkIn.GetDetail())[3]

		// Signing out ends the session itself, not only the cookie.
		do(t, ent, "sign out", chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")))
		var revoked bool
		for _, e := range w.events(t) {
			if e.GetType() == ruqiv1.EventType_EVENT_TYPE_TOKEN_REVOKED && strings.HasPrefix(e.GetDetail(), session+" ") && strings.HasSuffix(e.GetDetail(), " session") {
				revoked = true
			}
		}
		if !revoked {
			t.Errorf("sign-out did not revoke session %s", session)
		}
	})
}

// TestIdentityProvider_StaffDevice: the enterprise's account enrols a
// front-desk phone with a one-time QR; the phone scans an officer's code
// and the check-in names the device; the enterprise revokes it and the
// phone is refused, recording nothing.
func TestIdentityProvider_StaffDevice(t *testing.T) {
	ctxB := startBrowser(t)
	w := startWithProvider(t)
	codes := w.registerBoth(t, w.e1)

	owner := user(t, ctxB)
	do(t, owner, "home", chromedp.Navigate(w.srv.url("/")), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")), chromedp.Click(chromedp.CSS("#oidc-signin")))
	signInAtProvider(t, owner, "ent1")
	do(t, owner, "devices page", chromedp.WaitVisible(chromedp.CSS("#devices-link")), chromedp.Navigate(w.srv.url("/devices")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-create")),
		chromedp.SendKeys(chromedp.CSS("#label"), "前台一号"),
		chromedp.Click(chromedp.CSS("#enrol-create")),
		chromedp.WaitVisible(chromedp.CSS("#enrol-url")))
	enrolURL := text(t, owner, "#enrol-url")
	if loaded, err := chromedp.Run(owner, chromedp.Evaluate[bool](`document.querySelector("#enrolment img").naturalWidth > 0`)); err != nil || !loaded {
		t.Errorf("the enrolment QR image did not load (%v)", err)
	}
	screenshot(t, owner, "oidc-device-enrolment")

	phoneCtx := user(t, ctxB)
	do(t, phoneCtx, "phone viewport", phone())
	do(t, phoneCtx, "open the enrolment QR", chromedp.Navigate(enrolURL), chromedp.WaitVisible(chromedp.CSS("#enrol-confirm")))
	// The page names the enterprise before the phone is bound.
	mustContain(t, "enrolment page", text(t, phoneCtx, "#enrol-enterprise"), w.e1, "前台一号")
	do(t, phoneCtx, "confirm", chromedp.Click(chromedp.CSS("#enrol-confirm")), chromedp.WaitVisible(chromedp.CSS(".banner.ok")))
	mustContain(t, "enrolled", text(t, phoneCtx, "main"), "已绑定为前台设备", "前台一号")

	// The enrolment QR is spent: opening it again says so, with nothing to confirm.
	other := user(t, ctxB)
	do(t, other, "reuse the enrolment QR", chromedp.Navigate(enrolURL), chromedp.WaitVisible(chromedp.CSS(".banner.bad")))
	mustContain(t, "spent enrolment", text(t, other, "main"), "无法绑定", "已使用或已过期")

	do(t, phoneCtx, "scan the second officer's code", chromedp.Navigate(codes[1].GetUrl()), chromedp.WaitVisible(chromedp.CSS("#checkin")))
	mustContain(t, "device check-in", text(t, phoneCtx, "#whoami"), "前台设备「前台一号」")
	screenshot(t, phoneCtx, "oidc-device-checked-in")
	var deviceCheckIn bool
	for _, e := range w.events(t) {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED && strings.HasPrefix(e.GetDetail(), "check-in device 前台一号 tok-") {
			deviceCheckIn = true
		}
	}
	if !deviceCheckIn {
		t.Error("no check-in event names the device")
	}

	do(t, owner, "list devices", chromedp.Navigate(w.srv.url("/devices")), chromedp.WaitVisible(chromedp.CSS("#devices")))
	mustContain(t, "device list", text(t, owner, "#devices"), "前台一号", "有效")
	do(t, owner, "revoke", chromedp.Click(chromedp.CSS(`#devices button[id^="revoke-"]`)), chromedp.WaitVisible(chromedp.CSS(".banner.ok")))
	mustContain(t, "revoked", text(t, owner, "#devices"), "已解除")

	before := len(w.events(t))
	do(t, phoneCtx, "scan after revocation", chromedp.Navigate(codes[1].GetUrl()), chromedp.WaitVisible(chromedp.CSS("#signin")))
	mustContain(t, "refused device", text(t, phoneCtx, "#signin"), "登录已失效")
	screenshot(t, phoneCtx, "oidc-device-revoked")
	if after := w.events(t); len(after) != before {
		t.Errorf("a revoked device's scan recorded %d events: %v", len(after)-before, after[before:])
	}
}

// TestIdentityProvider_SupervisorRegion: a supervisor signed in through the
// provider sees the enterprises of their own district only.
func TestIdentityProvider_SupervisorRegion(t *testing.T) {
	ctxB := startBrowser(t)
	w := startWithProvider(t)
	w.registerBoth(t, w.e1)
	w.registerBoth(t, w.e3)
	names := map[string]string{}
	for _, e := range w.smp.dir.GetEnterprises() {
		names[e.GetUscc()] = e.GetName()
	}
	sup := user(t, ctxB)
	do(t, sup, "dashboard", chromedp.Navigate(w.srv.url("/dashboard")), chromedp.WaitVisible(chromedp.CSS("#oidc-signin")), chromedp.Click(chromedp.CSS("#oidc-signin")))
	signInAtProvider(t, sup, "sup1")
	do(t, sup, "by enterprise", chromedp.WaitVisible(chromedp.CSS("form.box")), chromedp.Navigate(w.srv.url("/dashboard?group=enterprise")), chromedp.WaitVisible(chromedp.CSS("#report-rows")))
	rows := text(t, sup, "#report-rows")
	mustContain(t, "own district", rows, names[w.e1])
	if strings.Contains(rows, names[w.e3]) {
		t.Errorf("supervisor of %s sees %s of another district: %s", domain.USCCRegion(w.e1), names[w.e3], rows)
	}
	screenshot(t, sup, "oidc-supervisor-dashboard")
}

// TestIdentityProvider_Refusals presents ID tokens that must not sign
// anyone in, each from a real provider, and checks that each is refused
// with its own message and that nothing is recorded.
func TestIdentityProvider_Refusals(t *testing.T) {
	w := startWithProvider(t)
	sess := ruqiv1.NewSessionServiceClient(w.srv.conn())
	cli := oidctest.Client{ID: cliClientID, RedirectURIs: []string{"http://127.0.0.1/callback"}}

	refused := func(t *testing.T, req *ruqiv1.SignInRequest, code codes.Code, words ...string) {
		t.Helper()
		before := len(w.events(t))
		_, err := sess.SignIn(w.srv.as(""), req)
		if status.Code(err) != code {
			t.Fatalf("SignIn = %v, want %s", err, code)
		}
		mustContain(t, "refusal", status.Convert(err).Message(), words...)
		if after := len(w.events(t)); after != before {
			t.Errorf("refused sign-in recorded %d events", after-before)
		}
	}

	t.Run("a good token signs in, with an expiry", func(t *testing.T) {
		id, nonce := w.idp.IDToken(t, cli, "ent1", password)
		resp, err := sess.SignIn(w.srv.as(""), &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce})
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetRole() != ruqiv1.Role_ROLE_ENTERPRISE || resp.GetSubject() != w.e1 || resp.GetExpiresAt() == nil {
			t.Errorf("SignIn = %v", resp)
		}
		// The session token is ours: the API accepts it.
		if _, err := ruqiv1.NewEnterpriseServiceClient(w.srv.conn()).ListInspections(w.srv.as(resp.GetToken()), &ruqiv1.ListInspectionsRequest{}); err != nil {
			t.Errorf("session token refused: %v", err)
		}
		// Replayed: the same ID token with another sign-in's nonce.
		refused(t, &ruqiv1.SignInRequest{IdToken: id, Nonce: "another-nonce"}, codes.Unauthenticated, "与本次登录请求不符")
		// Replayed with its own nonce: the sign-in was spent, in any
		// spelling of the token (base64url's unused bits in the last
		// character of the signature decode to the same bytes).
		refused(t, &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce}, codes.Unauthenticated, "已经用于登录")
		refused(t, &ruqiv1.SignInRequest{IdToken: respell(t, id), Nonce: nonce}, codes.Unauthenticated, "已经用于登录")
		// The first session is untouched by the refusals.
		if _, err := ruqiv1.NewEnterpriseServiceClient(w.srv.conn()).ListInspections(w.srv.as(resp.GetToken()), &ruqiv1.ListInspectionsRequest{}); err != nil {
			t.Errorf("session token refused after a replay: %v", err)
		}
		// A new sign-in of the same account (a new nonce) is not a replay.
		id2, nonce2 := w.idp.IDToken(t, cli, "ent1", password)
		if _, err := sess.SignIn(w.srv.as(""), &ruqiv1.SignInRequest{IdToken: id2, Nonce: nonce2}); err != nil {
			t.Errorf("second sign-in of the same account: %v", err)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		id, nonce := w.idp.IDToken(t, cli, "ent1", password)
		parts := strings.Split(id, ".")
		payload, err := base64.RawURLEncoding.DecodeString(parts[1])
		if err != nil {
			t.Fatal(err)
		}
		forged := strings.Replace(string(payload), w.e1, w.e3, 1)
		if forged == string(payload) {
			t.Fatalf("no USCC claim in %s", payload)
		}
		parts[1] = base64.RawURLEncoding.EncodeToString([]byte(forged))
		refused(t, &ruqiv1.SignInRequest{IdToken: strings.Join(parts, "."), Nonce: nonce}, codes.Unauthenticated, "签名无效")
	})
	t.Run("wrong audience", func(t *testing.T) {
		other := oidctest.Client{ID: "another-app", RedirectURIs: []string{"http://127.0.0.1/other"}}
		w.idp.AddClient(other)
		id, nonce := w.idp.IDToken(t, other, "ent1", password)
		refused(t, &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce}, codes.Unauthenticated, "不是签发给本系统的")
	})
	t.Run("wrong issuer", func(t *testing.T) {
		// Another provider, with the same user and the same client id.
		rogue := oidctest.Start(t, oidctest.User{Username: "ent1", Password: password, Claims: map[string]any{"uscc": w.e1}})
		rogue.AddClient(cli)
		id, nonce := rogue.IDToken(t, cli, "ent1", password)
		refused(t, &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce}, codes.Unauthenticated, "不是由本系统配置的身份提供方签发的")
	})
	t.Run("expired", func(t *testing.T) {
		short := oidctest.Client{ID: cliClientID, RedirectURIs: cli.RedirectURIs, IDTokenLifetime: time.Second}
		w.idp.AddClient(short)
		defer w.idp.AddClient(cli)
		id, nonce := w.idp.IDToken(t, short, "ent1", password)
		time.Sleep(2 * time.Second) // the token's own lifetime, not a timing assertion
		refused(t, &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce}, codes.Unauthenticated, "已过期")
	})
	t.Run("unknown USCC", func(t *testing.T) {
		id, nonce := w.idp.IDToken(t, cli, "stranger", password)
		refused(t, &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce}, codes.PermissionDenied, "不在本系统名录中")
	})
	t.Run("officer as enterprise", func(t *testing.T) {
		id, nonce := w.idp.IDToken(t, cli, "officer1", password)
		refused(t, &ruqiv1.SignInRequest{IdToken: id, Nonce: nonce, Role: ruqiv1.Role_ROLE_ENTERPRISE}, codes.PermissionDenied, "身份是执法人员", "不能以企业身份登录")
	})
	t.Run("replayed state and code at the web callback", func(t *testing.T) {
		hu := newHTTPUser(t)
		next := "/V/" + strings.ToUpper(w.registerBoth(t, w.e1)[0].GetToken())
		callback := hu.signIn(w, next, "ent1")
		if !strings.Contains(callback.String(), "/auth/callback") {
			t.Fatalf("provider redirected to %s", callback)
		}
		before := len(w.events(t))
		// The same callback again: the flow was spent.
		st, body := hu.get(t, callback.String())
		if st != http.StatusBadRequest || !strings.Contains(body, "登录请求已失效或已被使用") {
			t.Errorf("replayed callback = %d\n%.300s", st, body)
		}
		// The old code with a fresh flow's state: the provider refuses it.
		state := hu.startFlow(t, w, next)
		q := url.Values{"code": {callback.Query().Get("code")}, "state": {state}}
		st, body = hu.get(t, w.srv.url("/auth/callback?"+q.Encode()))
		if st != http.StatusUnauthorized || !strings.Contains(body, "授权码无效、已使用或已过期") {
			t.Errorf("replayed code = %d\n%.300s", st, body)
		}
		if after := len(w.events(t)); after != before {
			t.Errorf("replays recorded %d events", after-before)
		}
	})
}

// httpUser is a browser without rendering: a cookie jar that stops at
// each redirect, for checks of the redirects themselves.
type httpUser struct {
	hc *http.Client
}

func newHTTPUser(t *testing.T) *httpUser {
	jar, _ := cookiejar.New(nil)
	return &httpUser{hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (h *httpUser) get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := h.hc.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startFlow opens /auth/login and returns the state ruqi sent to the
// provider.
func (h *httpUser) startFlow(t *testing.T, w *idpWorld, next string) string {
	t.Helper()
	resp, err := h.hc.Get(w.srv.url("/auth/login?as=enterprise&next=" + url.QueryEscape(next)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := resp.Location()
	if err != nil || !strings.HasPrefix(loc.String(), w.idp.Issuer) {
		t.Fatalf("/auth/login redirected to %v (%v)", loc, err)
	}
	return loc.Query().Get("state")
}

// signIn runs the whole flow and returns the provider's redirect back to
// ruqi (which has been followed once).
func (h *httpUser) signIn(w *idpWorld, next, username string) *url.URL {
	t := w.srv.t
	t.Helper()
	resp, err := h.hc.Get(w.srv.url("/auth/login?as=enterprise&next=" + url.QueryEscape(next)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := resp.Location()
	callback := w.idp.Login(t, loc.String(), username, password, false)
	// Signed in, the callback answers a page of this site that goes on to
	// next, so that the verify page it opens is a same-origin navigation.
	st, body := h.get(t, callback.String())
	if st != http.StatusOK || !strings.Contains(body, `http-equiv="refresh"`) || !strings.Contains(body, next) {
		t.Fatalf("callback = %d\n%.300s", st, body)
	}
	return callback
}

// respell changes a JWT's text without changing what it says: the last
// character of its signature carries bits that base64url decoding drops
// (a 256-byte RSA or 64-byte EC signature leaves 2 or 4 of them).
func respell(t *testing.T, jwt string) string {
	t.Helper()
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	sig := jwt[strings.LastIndex(jwt, ".")+1:]
	want, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil {
		t.Fatal(err)
	}
	last := strings.IndexByte(alphabet, sig[len(sig)-1])
	for _, c := range alphabet {
		alt := sig[:len(sig)-1] + string(c)
		if got, err := base64.RawURLEncoding.DecodeString(alt); c != rune(alphabet[last]) && err == nil && bytes.Equal(got, want) {
			return jwt[:len(jwt)-len(sig)] + alt
		}
	}
	t.Fatalf("signature %q has no other spelling", sig)
	return ""
}

// A sign-in over a session the browser held ends that session: it stayed
// valid until its expiry with no browser holding it (a trial of sign-in,
// 2026-12-05).
func TestIdentityProvider_SignInAgain_EndsTheSessionItReplaces(t *testing.T) {
	w := startWithProvider(t)
	h := newHTTPUser(t)
	cookie := func() string {
		t.Helper()
		u, _ := url.Parse(w.srv.url("/"))
		for _, c := range h.hc.Jar.Cookies(u) {
			if c.Name == "ruqi_session" || strings.HasPrefix(c.Value, "rq_") {
				return c.Value
			}
		}
		t.Fatal("no session cookie")
		return ""
	}
	h.signIn(w, "/", "ent1")
	first := cookie()
	h.signIn(w, "/", "ent1")
	if second := cookie(); second == first {
		t.Fatal("the second sign-in kept the first session's token")
	}
	_, err := ruqiv1.NewEnterpriseServiceClient(w.srv.conn()).ListUpcomingVisits(w.srv.as(first), &ruqiv1.ListUpcomingVisitsRequest{})
	if status.Code(err) != codes.Unauthenticated {
		t.Errorf("the session the second sign-in replaced: %v, want it ended (Unauthenticated)", err)
	}
}
