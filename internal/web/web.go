// Package web serves ruqi over HTTP: the verify page that an officer's QR
// code opens on the enterprise's phone (/V/<TOKEN>), the 司法局's
// supervision dashboard (/dashboard), the public keys as JSON for offline
// verification, Prometheus metrics, and health.
//
// The pages hold no domain logic. They call the gRPC API in process (see
// InProcess) with the signed-in user's own access token, so that the same
// authentication, role table and object-level checks apply as to the CLI,
// and they only turn the answers into HTML: server-rendered, escaped by
// html/template, no JavaScript, no external assets, small enough for a slow
// phone.
package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/identity"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// KeySource lists the public keys a verifier needs now.
type KeySource func() []*ruqiv1.PublicKey

// Config is what the web layer is given by the server.
type Config struct {
	// Health, when set, is nil while the server can serve; /healthz answers
	// 503 with its message otherwise (storage that cannot write).
	Health func() error
	// Notice, when set and not "", is a line /healthz adds after its "ok"
	// (still 200): the server serves, but not all it would (a replica
	// standing aside from sequencing the log: service.Service.Notice).
	Notice func() string
	// Keys feeds GET /keys.json.
	Keys KeySource
	// API is a client of the server's own gRPC API (InProcess). Without it
	// only /keys.json and /healthz are served. /metrics is not served here:
	// it takes no authentication, so it has a listener of its own
	// (serve.Config.MetricsAddr).
	API grpc.ClientConnInterface
	// ClockLeeway is the server's tolerance at the edges of a window
	// (-clock-leeway), so that the offline check before sign-in says what
	// the registration check will say.
	ClockLeeway time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// LogKey and WitnessPolicy are the Merkle log's verifier key and its
	// witnesses, published in /keys.json beside the code keys.
	LogKey, WitnessPolicy string
	// Identity, when set, offers sign-in with the province's identity
	// provider (政务服务账号) beside the administrator's tokens.
	Identity *identity.Provider
	// PublicURL is the pages' base URL, for the provider's redirect back.
	PublicURL string
}

// jsonKey is the published form of a key: a JWK-like object (RFC 8037 OKP)
// so that ordinary JOSE/COSE tooling can read it.
type jsonKey struct {
	KeyID       string     `json:"kid"`
	KeyType     string     `json:"kty"`
	Curve       string     `json:"crv"`
	X           string     `json:"x"` // the raw Ed25519 public key, base64url without padding (RFC 8037 §2)
	Algorithm   string     `json:"alg"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	RetiredAt   *time.Time `json:"retired_at,omitempty"`
	VerifyUntil *time.Time `json:"verify_until,omitempty"`
}

// server holds the API clients the pages use.
type server struct {
	cfg  Config
	now  func() time.Time
	ent  ruqiv1.EnterpriseServiceClient
	keys ruqiv1.KeyServiceClient
	sup  ruqiv1.SupervisionServiceClient
	rep  ruqiv1.ReportServiceClient
	sess ruqiv1.SessionServiceClient
	door ruqiv1.DoorServiceClient
	plan ruqiv1.PlanServiceClient
	// admin lists the events behind the dashboard's warnings (ListEvents,
	// a supervisor's region).
	admin ruqiv1.AdminServiceClient
	// dir names the enterprises of the dashboard's warnings.
	dir ruqiv1.DirectoryServiceClient
}

// callTimeout bounds each page's API calls: a page that cannot be answered
// in this time is better shown as an error than left spinning on a phone.
const callTimeout = 15 * time.Second

// maxForm bounds a form body. The longest a form holds is a complaint
// (domain.MaxComplaint characters and domain.MaxComplaintOfficer more), and
// a browser sends a character as up to 12 bytes (4 in UTF-8, each %XX): a
// bound of 16 KiB refused complaints of 1,850 Chinese characters, which
// the rule allows, and the text was gone (a trial, 2026-12-06).
const maxForm = (domain.MaxComplaint+domain.MaxComplaintOfficer)*12 + 4<<10

// Handler returns the HTTP handler.
func Handler(cfg Config) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /keys.json", func(w http.ResponseWriter, r *http.Request) {
		var out struct {
			Keys          []jsonKey `json:"keys"`
			LogKey        string    `json:"log_key,omitempty"`
			WitnessPolicy string    `json:"witness_policy,omitempty"`
		}
		out.LogKey, out.WitnessPolicy = cfg.LogKey, cfg.WitnessPolicy
		if cfg.Keys != nil {
			for _, k := range cfg.Keys() {
				jk := jsonKey{KeyID: k.GetKeyId(), KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(k.GetPublicKey()), Algorithm: k.GetAlgorithm(),
					Status: k.GetStatus().String(), CreatedAt: k.GetCreatedAt().AsTime()}
				if k.GetRetiredAt() != nil {
					t := k.GetRetiredAt().AsTime()
					jk.RetiredAt = &t
				}
				if k.GetVerifyUntil() != nil {
					t := k.GetVerifyUntil().AsTime()
					jk.VerifyUntil = &t
				}
				out.Keys = append(out.Keys, jk)
			}
		}
		w.Header().Set("Content-Type", "application/json")
		// Short caching: a rotation must reach verifiers soon.
		w.Header().Set("Cache-Control", "public, max-age=300")
		_ = json.NewEncoder(w).Encode(out)
	})
	if cfg.API != nil {
		// The latest checkpoint as a signed note (C2SP tlog-checkpoint), for
		// witnesses and monitors that speak HTTP.
		logAPI := ruqiv1.NewLogServiceClient(cfg.API)
		mux.HandleFunc("GET /checkpoint", func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
			defer cancel()
			resp, err := logAPI.GetCheckpoint(ctx, &ruqiv1.GetCheckpointRequest{})
			if err != nil {
				http.Error(w, status.Convert(err).Message(), http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Write([]byte(resp.GetCheckpoint()))
		})
		// A published 双随机 draw (双随机、一公开), in the JSON that
		// `ruqi draw verify --file` re-runs: population, counts, procedure,
		// randomness, picks and the commitment's receipt.
		drawAPI := ruqiv1.NewDrawServiceClient(cfg.API)
		mux.HandleFunc("GET /draws/{id}", func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), callTimeout)
			defer cancel()
			resp, err := drawAPI.GetDraw(ctx, &ruqiv1.GetDrawRequest{DrawId: strings.TrimSuffix(r.PathValue("id"), ".json")})
			if err != nil {
				st := status.Convert(err)
				code := http.StatusServiceUnavailable
				switch st.Code() {
				case codes.NotFound:
					code = http.StatusNotFound
				case codes.InvalidArgument:
					code = http.StatusBadRequest
				}
				http.Error(w, st.Message(), code)
				return
			}
			b, err := protojson.MarshalOptions{Multiline: true}.Marshal(resp)
			if err != nil {
				http.Error(w, "编码失败", http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			w.Write(append(b, '\n'))
		})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if cfg.Health != nil {
			if err := cfg.Health(); err != nil {
				http.Error(w, "not serving: "+err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		if cfg.Notice != nil {
			if n := cfg.Notice(); n != "" {
				w.Write([]byte("ok\n" + n + "\n"))
				return
			}
		}
		w.Write([]byte("ok\n"))
	})
	if cfg.API != nil {
		s := &server{cfg: cfg, now: cfg.Now,
			ent: ruqiv1.NewEnterpriseServiceClient(cfg.API), keys: ruqiv1.NewKeyServiceClient(cfg.API),
			sup: ruqiv1.NewSupervisionServiceClient(cfg.API), rep: ruqiv1.NewReportServiceClient(cfg.API),
			sess: ruqiv1.NewSessionServiceClient(cfg.API), door: ruqiv1.NewDoorServiceClient(cfg.API),
			plan: ruqiv1.NewPlanServiceClient(cfg.API), admin: ruqiv1.NewAdminServiceClient(cfg.API),
			dir: ruqiv1.NewDirectoryServiceClient(cfg.API)}
		if s.now == nil {
			s.now = time.Now
		}
		mux.HandleFunc("GET /{$}", s.home)
		mux.HandleFunc("GET /verify", s.lookup)
		mux.HandleFunc("GET /plans", s.plans)
		mux.HandleFunc("GET /receipts/check", s.receiptCheckForm)
		mux.HandleFunc("POST /receipts/check", s.receiptCheck)
		mux.HandleFunc("POST /signin", fromPage(s.signIn))
		mux.HandleFunc("POST /signout", s.signOut)
		// The QR holds the URL in upper case (QR alphanumeric mode); a
		// person typing it, or a scanner app that lowers it, gets /v/.
		for _, p := range []string{"/V/", "/v/"} {
			mux.HandleFunc("GET "+p+"{token}", s.verify)
			mux.HandleFunc("POST "+p+"{token}", s.scanConfirmed)
			mux.HandleFunc("POST "+p+"{token}/refuse", s.refuse)
			mux.HandleFunc("GET "+p+"{token}/refused", s.refused)
			mux.HandleFunc("POST "+p+"{token}/confirm", s.confirm)
			mux.HandleFunc("GET "+p+"{token}/receipt", s.receipt)
			mux.HandleFunc("POST "+p+"{token}/evaluate", s.evaluate)
			mux.HandleFunc("GET "+p+"{token}/evaluated", s.evaluated)
		}
		// The enterprise code's QR (企业码, on the enterprise's wall) holds
		// /E/<token>, which officers scan with `ruqi officer arrive`; a
		// phone's camera opening it met 没有这个页面 (a trial as an
		// enterprise, 2026-12-07).
		for _, p := range []string{"/E/", "/e/"} {
			mux.HandleFunc("GET "+p+"{token}", s.enterpriseCodeOpened)
		}
		mux.HandleFunc("GET /dashboard", s.dashboard)
		mux.HandleFunc("POST /dashboard/signin", fromPage(s.dashboardSignIn))
		mux.HandleFunc("POST /dashboard/signout", s.dashboardSignOut)
		mux.HandleFunc("POST /dashboard/leads/{id}", s.updateLead)
		mux.HandleFunc("GET /dashboard/report.csv", s.reportCSV)
		if cfg.Identity != nil {
			mux.HandleFunc("GET /auth/login", s.oidcLogin)
			mux.HandleFunc("GET /auth/callback", s.oidcCallback)
		}
		mux.HandleFunc("GET /enterprise-code", s.enterpriseCode)
		mux.HandleFunc("GET /enterprise-code/poster.png", s.enterprisePoster(ruqiv1.PosterFormat_POSTER_FORMAT_PNG, "image/png", "enterprise-code.png"))
		mux.HandleFunc("GET /enterprise-code/poster.pdf", s.enterprisePoster(ruqiv1.PosterFormat_POSTER_FORMAT_PDF, "application/pdf", "enterprise-code.pdf"))
		mux.HandleFunc("POST /enterprise-code/reissue", s.reissueEnterpriseCode)
		mux.HandleFunc("GET /devices", s.devices)
		mux.HandleFunc("GET /upcoming", s.upcoming)
		mux.HandleFunc("GET /leads", s.leads)
		mux.HandleFunc("GET /history", s.history)
		mux.HandleFunc("GET /refuse", s.refuseVisitForm)
		mux.HandleFunc("POST /refuse", s.refuseVisit)
		mux.HandleFunc("GET /refused-visit", s.refusedVisit)
		mux.HandleFunc("GET /complain", s.complainForm)
		mux.HandleFunc("POST /complain", s.complain)
		mux.HandleFunc("GET /complained", s.complained)
		mux.HandleFunc("POST /devices", s.createEnrolment)
		mux.HandleFunc("POST /devices/{id}/revoke", s.revokeDevice)
		mux.HandleFunc("GET /enrol/{code}", s.enrolPage)
		mux.HandleFunc("POST /enrol/{code}", fromPage(s.enrol))
		mux.HandleFunc("GET /enrolled", s.enrolled)
	}
	// Cross-site POSTs are refused by their Sec-Fetch-Site/Origin headers
	// before any handler runs; the forms' CSRF tokens are the second line.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "拒绝跨站提交：请在本站页面上操作", http.StatusForbidden)
	}))
	return securityHeaders(cop.Handler(queryInUTF8(muxErrorsInChinese(mux))), strings.HasPrefix(cfg.PublicURL, "https://"))
}

// muxErrorsInChinese answers what the mux itself refuses, an address that
// is no page (404) or a page asked for the wrong way (405: a form's address
// opened in the address bar), with a page in Chinese: the mux wrote "404
// page not found" and "Method Not Allowed" (an operator's trial,
// 2026-12-06, opening /dashboard/signin). The handlers' own refusals are
// theirs and pass as they are.
func muxErrorsInChinese(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&muxError{ResponseWriter: w, mux: mux, r: r}, r)
	})
}

// muxError replaces the body of the mux's own 404 and 405 with a page; the
// status and headers (Allow) stay. Whether the mux made it (no pattern
// matched) is asked only then, so a page routes once.
type muxError struct {
	http.ResponseWriter
	mux      *http.ServeMux
	r        *http.Request
	replaced bool
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (m *muxError) Unwrap() http.ResponseWriter { return m.ResponseWriter }

func (m *muxError) WriteHeader(code int) {
	var what string
	switch code {
	case http.StatusNotFound:
		what = "没有这个页面：请检查网址，或从首页进入。"
	case http.StatusMethodNotAllowed:
		what = "这个地址不能直接打开：请回到页面，用上面的按钮或表单操作。"
	}
	if what == "" {
		m.ResponseWriter.WriteHeader(code)
		return
	}
	if _, pattern := m.mux.Handler(m.r); pattern != "" {
		m.ResponseWriter.WriteHeader(code) // a handler's own refusal
		return
	}
	m.replaced = true
	m.Header().Del("Content-Type")
	render(m.ResponseWriter, code, "result", "页面不存在", resultData{Banner: badBanner("无法打开", what), Back: "/", BackTo: "返回首页"})
}

func (m *muxError) Write(b []byte) (int, error) {
	if m.replaced {
		return len(b), nil // the mux's English, replaced
	}
	return m.ResponseWriter.Write(b)
}

// queryInUTF8 refuses a request whose query (a GET form's fields: the plans'
// filter, a receipt's inspection) is not UTF-8, as parseForm refuses a POST
// form: passed on, the API client could not encode it and the page said
// 服务器内部错误, repeating the bytes (a review, 2026-12-06). So is a path
// whose escapes decode to bytes that are not UTF-8 (/draws/%FF%FE was
// answered 503 in the client's English, /enrol/%FF%FE and a device's
// revocation 502 服务器内部错误: a red-team trial, 2026-12-06), except a
// verify page's: what is scanned there is the scan's to judge (MALFORMED,
// recorded), whatever its bytes.
func queryInUTF8(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !inUTF8(r.URL.Query()) || !(utf8.ValidString(r.URL.Path) || isVerifyPath(r.URL.Path)) {
			notUTF8Page(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func notUTF8Page(w http.ResponseWriter) {
	render(w, http.StatusBadRequest, "result", "提交失败", resultData{
		Banner: badBanner("提交失败", "所填文字不是有效的 UTF-8 编码（常见于乱码），请返回删去后重新输入。"), Back: "/", BackTo: "返回首页"})
}

// fromPage guards the forms used before any session (sign-in, a device's
// enrolment), which have no CSRF token of a session to carry: the
// cross-origin check in front refuses a POST that says it comes from
// another site, but lets through one that says nothing (neither
// Sec-Fetch-Site nor Origin, as only very old browsers and scripts send).
// Such a POST could sign a browser in as someone else (login CSRF), so
// these forms refuse it.
func fromPage(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Sec-Fetch-Site") == "" && r.Header.Get("Origin") == "" {
			http.Error(w, "拒绝提交：浏览器未说明请求来自哪个网站，请使用较新的浏览器在本站页面上操作", http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

// httpsKey marks a request whose pages are served over HTTPS, though TLS
// may end before this server (a load balancer): its cookies are Secure.
type httpsKey struct{}

// secure reports whether cookies set in answer to r must be Secure.
func secure(r *http.Request) bool {
	return r.TLS != nil || r.Context().Value(httpsKey{}) != nil
}

// securityHeaders are set on every answer. The CSP allows exactly the one
// inline style sheet (by its hash) and nothing else: no scripts, no
// external resources, forms posting only here, no framing (a verify page
// in someone's frame could be used to trick a confirmation).
//
// When the public URL is https (TLS ends here or at a load balancer in
// front), browsers are told to use nothing else (HSTS), and cookies are
// Secure whatever the connection to this server.
func securityHeaders(h http.Handler, https bool) http.Handler {
	csp := "default-src 'none'; style-src '" + styleHash + "'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		if https {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
			r = r.WithContext(context.WithValue(r.Context(), httpsKey{}, true))
		}
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		// The verify page's URL holds the code: never send it onwards.
		hd.Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

//go:embed templates/*.html templates/style.css
var templateFS embed.FS

// style is the one style sheet, inlined into every page: one request per
// page on a slow phone. Its hash goes into the CSP.
var style = mustRead("templates/style.css")

var styleHash = func() string {
	sum := sha256.Sum256([]byte(style))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}()

func mustRead(name string) string {
	b, err := templateFS.ReadFile(name)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// pages are parsed once: each page is the layout plus its own content.
var pages = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, name := range []string{"home", "verify", "result", "dashboard", "devices", "enrol", "upcoming", "history", "leads", "entcode", "plans", "complain", "refuse", "receiptcheck"} {
		out[name] = template.Must(template.New(name).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return out
}()

// page is what every template gets: the layout's fields and the page's own.
type page struct {
	Title string
	CSS   template.CSS
	Wide  bool // the dashboard uses the width of a desk screen
	Data  any
	// Refresh, when set, is a path of this site the page goes on to at
	// once (meta refresh).
	Refresh string
}

// render writes a page. It renders into a buffer first, so that a template
// error becomes a clean 500 rather than half a page.
func render(w http.ResponseWriter, code int, name, title string, data any) {
	renderPage(w, code, name, page{Title: title, Data: data})
}

// goOn answers with a page of this site that goes on to path at once. A
// navigation that a page of this site starts is same-origin, where a
// redirect answering another site's request is not: the browser counts the
// whole chain. The sign-in's return uses it, so that the verify page it
// returns to scans (verify), and the dashboard's Strict cookie goes with it.
func goOn(w http.ResponseWriter, path string) {
	renderPage(w, http.StatusOK, "result", page{Title: "登录成功", Refresh: path,
		Data: resultData{Banner: okBanner("登录成功", "正在返回……"), Back: path, BackTo: "如未自动返回，请点此继续"}})
}

func renderPage(w http.ResponseWriter, code int, name string, p page) {
	var buf bytes.Buffer
	p.CSS, p.Wide = template.CSS(style), name == "dashboard" || name == "plans"
	if err := pages[name].ExecuteTemplate(&buf, "layout", p); err != nil {
		slog.Error("web: render page", "page", name, "err", err)
		http.Error(w, "页面生成失败，请稍后重试", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	// Pages show a signed-in user's data: no shared cache may keep them.
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = buf.WriteTo(w)
}

// banner is the verdict at the top of a page.
type banner struct {
	Class  string // ok (green), bad (red), wait (amber)
	Icon   string
	Title  string
	Detail string
}

func okBanner(title, detail string) *banner {
	return &banner{Class: "ok", Icon: "✓", Title: title, Detail: detail}
}
func badBanner(title, detail string) *banner {
	return &banner{Class: "bad", Icon: "✗", Title: title, Detail: detail}
}
func waitBanner(title, detail string) *banner {
	return &banner{Class: "wait", Icon: "?", Title: title, Detail: detail}
}

// resultData is a page that reports the outcome of one action.
type resultData struct {
	Banner *banner
	Lines  []string
	Back   string
	BackTo string
}

// apiMessage is what a user is shown for a failed call: the service's own
// Chinese message, which says what was wrong and what to do, except for
// transport and internal failures, whose text is not for users.
func apiMessage(err error) string {
	st := status.Convert(err)
	switch st.Code() {
	case codes.Unavailable, codes.DeadlineExceeded, codes.Canceled:
		return "服务暂时不可用，请稍后重试。"
	case codes.Internal, codes.Unknown, codes.DataLoss:
		return "服务器内部错误，已记录，请稍后重试或联系管理员。"
	case codes.Unimplemented:
		return "服务暂未开通。"
	}
	return st.Message()
}

// errorReason is the reason code (google.rpc.ErrorInfo) of a failed call,
// "" for none.
func errorReason(err error) string {
	for _, d := range status.Convert(err).Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			return info.GetReason()
		}
	}
	return ""
}

// httpStatus maps a call's failure to the page's status code.
func httpStatus(err error) int {
	switch status.Code(err) {
	case codes.InvalidArgument, codes.OutOfRange:
		return http.StatusBadRequest
	case codes.Unauthenticated:
		return http.StatusUnauthorized
	case codes.PermissionDenied:
		return http.StatusForbidden
	case codes.NotFound:
		return http.StatusNotFound
	case codes.AlreadyExists, codes.FailedPrecondition, codes.Aborted:
		return http.StatusConflict
	case codes.ResourceExhausted:
		return http.StatusTooManyRequests
	case codes.Unimplemented, codes.Unavailable:
		return http.StatusServiceUnavailable
	case codes.DeadlineExceeded:
		return http.StatusGatewayTimeout
	}
	return http.StatusBadGateway
}

func (s *server) callContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), callTimeout)
}

// parseForm reads a bounded form body. Text that is not UTF-8 (a phone's
// broken encoding, a script) is the sender's mistake, said as such: passed
// on, the API client could not encode it and the page said 服务器内部错误,
// repeating the bytes (a trial of bad input, 2026-12-06).
func parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		render(w, http.StatusBadRequest, "result", "提交失败", resultData{
			Banner: badBanner("提交失败", "表单内容过长或格式错误，请返回重试。"), Back: "/", BackTo: "返回首页"})
		return false
	}
	// The query was checked before any handler (queryInUTF8): the body's
	// fields are left.
	if !inUTF8(r.PostForm) {
		notUTF8Page(w)
		return false
	}
	return true
}

// isVerifyPath reports whether path is under a verify page (/V/ or /v/).
func isVerifyPath(path string) bool {
	return strings.HasPrefix(path, "/V/") || strings.HasPrefix(path, "/v/")
}

// inUTF8 reports whether every name and value of a form is UTF-8.
func inUTF8(form url.Values) bool {
	for k, vs := range form {
		if !utf8.ValidString(k) || slices.ContainsFunc(vs, func(v string) bool { return !utf8.ValidString(v) }) {
			return false
		}
	}
	return true
}
