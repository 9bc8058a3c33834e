package web

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// fixture is the real service behind the web handler, in process, as
// serve.Run assembles it: bbolt, the service, the auth interceptor, the
// metrics. The pages are exercised over HTTP without a browser here; the
// browser tests are in internal/webtest.
type fixture struct {
	t       *testing.T
	h       http.Handler
	api     grpc.ClientConnInterface
	admin   string
	ent     string // enterprise token, for entUSCC
	entUSCC string
	sup     string // supervisor token, 510000
	officer string // an officer of AG-01
	code    *ruqiv1.InspectionCode
	cfg     Config // what h was made with
	metrics *Metrics
}

func newFixture(t *testing.T) *fixture { return newFixtureAt(t, nil) }

// newFixtureAt runs the service on the given clock (time.Now when nil).
func newFixtureAt(t *testing.T, clock func() time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	var lc *local.Coordinator
	svc, err := service.New(ctx, st, service.Config{Limits: domain.DefaultLimits(), PublicURL: "http://ruqi.test", Now: clock},
		func(seed coord.Seeder) (coord.Coordinator, error) { lc = local.New(seed); return lc, nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Close() })
	admin, _, _, err := auth.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.EnsureAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	m := NewMetrics()
	m.ObserveStore(st.Stats, true)
	m.ObserveWorkingSet(func() (int, uint64) { s := lc.Stats(); return s.Enterprises, s.Evictions })
	api, stop, err := InProcess(svc.Register,
		grpc.ChainUnaryInterceptor(m.UnaryServerInterceptor, auth.UnaryInterceptor(svc.LookupToken)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	cfg := Config{Keys: svc.PublicKeys, API: api, ClockLeeway: 2 * time.Minute, Now: clock}
	f := &fixture{t: t, api: api, admin: admin, cfg: cfg, h: Handler(cfg), metrics: m}

	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", "sample", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dir ruqiv1.Directory
	if err := protojson.Unmarshal(b, &dir); err != nil {
		t.Fatal(err)
	}
	if _, err := ruqiv1.NewDirectoryServiceClient(api).ImportDirectory(as(ctx, admin), &ruqiv1.ImportDirectoryRequest{Directory: &dir}); err != nil {
		t.Fatal(err)
	}
	for _, e := range dir.GetEnterprises() {
		if e.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			f.entUSCC = e.GetUscc()
			break
		}
	}
	f.ent = f.issue(ruqiv1.Role_ROLE_ENTERPRISE, f.entUSCC)
	f.sup = f.issue(ruqiv1.Role_ROLE_SUPERVISOR, "510000")
	f.officer = f.issue(ruqiv1.Role_ROLE_OFFICER, "O-0001")
	now := time.Now()
	if clock != nil {
		now = clock()
	}
	resp, err := ruqiv1.NewInspectionServiceClient(api).RegisterInspection(as(ctx, f.officer), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: f.entUSCC, CheckItemIds: []string{"CI-0001", "CI-0004"}, OfficerIds: []string{"O-0001", "O-0010"},
		WindowStart: timestamppb.New(now), WindowEnd: timestamppb.New(now.Add(4 * time.Hour)),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "单元测试 <b>检查</b>",
	})
	if err != nil {
		t.Fatal(err)
	}
	f.code = resp.GetCodes()[0]
	return f
}

// signInRevocable signs the enterprise in on the pages with a token of its
// own, and returns the session's cookie and a function that revokes the
// token on the server: a session that ends while its cookie stays.
func (f *fixture) signInRevocable() (*http.Cookie, func()) {
	f.t.Helper()
	ctx := as(context.Background(), f.admin)
	adm := ruqiv1.NewAdminServiceClient(f.api)
	iss, err := adm.IssueAccessToken(ctx, &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: f.entUSCC})
	if err != nil {
		f.t.Fatal(err)
	}
	return f.signInEnterprise(iss.GetToken()), func() {
		f.t.Helper()
		if _, err := adm.RevokeAccessToken(ctx, &ruqiv1.RevokeAccessTokenRequest{TokenId: iss.GetTokenId()}); err != nil {
			f.t.Fatal(err)
		}
	}
}

// refusalLead has the enterprise, signed in on the pages, refuse the
// fixture's code, and returns its session's cookie and the lead's id; and
// the supervisor signed in on the dashboard.
func (f *fixture) refusalLead() (ec *http.Cookie, id string, sc *http.Cookie) {
	f.t.Helper()
	ec = f.signInEnterprise(f.ent)
	f.refuseOnPage(ec, "未出示入企码")
	leads, err := ruqiv1.NewSupervisionServiceClient(f.api).ListLeads(as(context.Background(), f.sup), &ruqiv1.ListLeadsRequest{})
	if err != nil || len(leads.GetLeads()) == 0 {
		f.t.Fatalf("leads %v %v", leads, err)
	}
	sc = cookieOf(f.t, f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}}), supervisorCookie)
	return ec, leads.GetLeads()[0].GetId(), sc
}

func (f *fixture) issue(role ruqiv1.Role, subject string) string {
	f.t.Helper()
	resp, err := ruqiv1.NewAdminServiceClient(f.api).IssueAccessToken(as(context.Background(), f.admin), &ruqiv1.IssueAccessTokenRequest{Role: role, Subject: subject})
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.GetToken()
}

// do sends a request with the given cookies; forms are same-origin.
func (f *fixture) do(method, target string, form url.Values, cookies ...*http.Cookie) *http.Response {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, target, body)
	if form != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w.Result()
}

func readBody(t *testing.T, r *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func path(u string) string {
	i := strings.Index(u, "/V/")
	return u[i:]
}

func cookieOf(t *testing.T, r *http.Response, name string) *http.Cookie {
	t.Helper()
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no cookie %s in %v", name, r.Header)
	return nil
}

func TestKeysHealthMetrics(t *testing.T) {
	f := newFixture(t)
	r := f.do("GET", "/keys.json", nil)
	var keys struct {
		Keys []jsonKey `json:"keys"`
	}
	if err := json.NewDecoder(r.Body).Decode(&keys); err != nil || len(keys.Keys) != 1 || keys.Keys[0].Curve != "Ed25519" {
		t.Fatalf("keys.json: %v %+v", err, keys)
	}
	if body := readBody(t, f.do("GET", "/healthz", nil)); body != "ok\n" {
		t.Errorf("healthz: %q", body)
	}
	// The public port does not serve the metrics: they take no
	// authentication (serve.Config.MetricsAddr has a listener for them).
	if r := f.do("GET", "/metrics", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("GET /metrics on the public port = %d, want 404", r.StatusCode)
	}
	w := httptest.NewRecorder()
	f.metrics.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	body := w.Body.String()
	for _, want := range []string{
		`ruqi_registrations_total{outcome="accepted"} 1`,
		`ruqi_grpc_requests_total{code="OK",method="RegisterInspection",service="ruqi.v1.InspectionService"} 1`,
		`ruqi_scans_total{verdict="valid"} 0`,
		`ruqi_store_plans 1`,
		`ruqi_store_commits_total`,
		`ruqi_store_fsyncs_total`,
		`ruqi_store_writer_commit_seconds_total`,
		`ruqi_store_bytes_per_plan`,
		`ruqi_coord_enterprises 1`, // the enterprise registered for
		`ruqi_coord_evictions_total 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestVerifySignedOutAndSignIn(t *testing.T) {
	f := newFixture(t)
	p := path(f.code.GetUrl())

	r := f.do("GET", p, nil)
	body := readBody(t, r)
	if r.StatusCode != 200 || !strings.Contains(body, "签名真实") || !strings.Contains(body, "尚未与报备记录核对") || !strings.Contains(body, "当前在检查时段内") {
		t.Fatalf("signed-out page %d:\n%s", r.StatusCode, body)
	}
	if csp := r.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, styleHash) {
		t.Errorf("CSP %q", csp)
	}
	if strings.Contains(body, "<script") || len(body) > 20<<10 {
		t.Errorf("page has a script or is large (%d bytes)", len(body))
	}

	// A forged code: one character changed.
	forged := []byte(p)
	i := len(forged) - 10
	if forged[i] == 'A' {
		forged[i] = 'B'
	} else {
		forged[i] = 'A'
	}
	if body := readBody(t, f.do("GET", string(forged), nil)); !strings.Contains(body, "无效") {
		t.Errorf("forged code not refused:\n%s", body)
	}
	if r := f.do("GET", "/V/NOT-A-CODE", nil); r.StatusCode != 400 || !strings.Contains(readBody(t, r), "不是入企码") {
		t.Errorf("malformed code: %d", r.StatusCode)
	}

	// Sign-in: bad shapes and wrong roles come back as keys, never as text.
	for _, c := range []struct{ token, want string }{
		{"", "signin=empty"},
		{"hello <script>", "signin=format"},
		{"rq_" + strings.Repeat("a", 52), "signin=invalid"},
		{f.sup, "signin=not-enterprise"},
	} {
		r := f.do("POST", "/signin", url.Values{"token": {c.token}, "next": {p}})
		if loc := r.Header.Get("Location"); r.StatusCode != 303 || !strings.HasSuffix(loc, c.want) || !strings.HasPrefix(loc, p) {
			t.Errorf("sign-in with %.10q: %d %s", c.token, r.StatusCode, loc)
		}
	}
	// Never an open redirect.
	r = f.do("POST", "/signin", url.Values{"token": {f.ent}, "next": {"//evil.example/x"}})
	if loc := r.Header.Get("Location"); loc != "/" {
		t.Errorf("next=//evil.example redirected to %q", loc)
	}
	r = f.do("POST", "/signin", url.Values{"token": {f.ent}, "next": {p}})
	c := cookieOf(t, r, enterpriseCookie)
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure || r.Header.Get("Location") != p {
		t.Errorf("cookie %+v, location %s", c, r.Header.Get("Location"))
	}

	// Over TLS the cookie is Secure.
	req := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"token": {f.ent}, "next": {p}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.TLS = &tls.ConnectionState{}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	// …and __Host-, which no sibling host can plant (a privacy and
	// access trial, 2026-12-06).
	if c := cookieOf(t, w.Result(), "__Host-"+enterpriseCookie); !c.Secure || c.Path != "/" || c.Domain != "" {
		t.Errorf("cookie over TLS: %+v, want Secure, Path=/, no Domain", c)
	}

	// Signed in: the scan records the check-in; the page escapes what
	// came from the registration.
	r = f.do("GET", p, nil, c)
	body = readBody(t, r)
	for _, want := range []string{"有效", "已核验并记录入企签到", "首次扫码", "执法证号", "依据", "《中华人民共和国食品安全法》第三十五条", "确认入企", "拒绝检查", "单元测试 &lt;b&gt;检查&lt;/b&gt;"} {
		if !strings.Contains(body, want) {
			t.Errorf("signed-in page lacks %q", want)
		}
	}
	if body := readBody(t, f.do("GET", strings.Replace(p, "/V/", "/v/", 1), nil, c)); !strings.Contains(body, "重复扫码") {
		t.Error("lower-case /v/ route or repeat check-in missing")
	}
}

// The page's offline check (signed out) and the service's scan (signed in)
// place a code by one rule: valid up to exp + leeway, expired from it on.
// Before domain.TimeCode both admitted the code at exp + leeway and the
// CLI's offline scan did not.
func TestVerify_AtExpiryPlusLeeway_PageAndScanAgree(t *testing.T) {
	at := time.Now().Truncate(time.Second)
	f := newFixtureAt(t, func() time.Time { return at })
	p := path(f.code.GetUrl())
	r := f.do("POST", "/signin", url.Values{"token": {f.ent}, "next": {p}})
	c := cookieOf(t, r, enterpriseCookie)
	edge := f.code.GetExpiresAt().AsTime().Add(2 * time.Minute)
	for _, tc := range []struct {
		at               time.Time
		offline, verdict string
	}{
		{edge.Add(-time.Second), "当前在检查时段内", verdictTitles[ruqiv1.Verdict_VERDICT_VALID]},
		{edge, "已超出检查时段", verdictTitles[ruqiv1.Verdict_VERDICT_EXPIRED]},
	} {
		at = tc.at
		if body := readBody(t, f.do("GET", p, nil)); !strings.Contains(body, tc.offline) {
			t.Errorf("signed out at exp+leeway%+v: page lacks %q", tc.at.Sub(edge), tc.offline)
		}
		if body := readBody(t, f.do("GET", p, nil, c)); !strings.Contains(body, tc.verdict) {
			t.Errorf("signed in at exp+leeway%+v: page lacks %q", tc.at.Sub(edge), tc.verdict)
		}
	}
}

func TestRefuseNeedsCSRFAndEscapes(t *testing.T) {
	f := newFixture(t)
	p := path(f.code.GetUrl())
	c := &http.Cookie{Name: enterpriseCookie, Value: f.ent}

	if r := f.do("POST", p+"/refuse", url.Values{"reason": {"x"}}, c); r.StatusCode != 403 {
		t.Errorf("refuse without CSRF: %d", r.StatusCode)
	}
	if r := f.do("POST", p+"/refuse", url.Values{"reason": {"x"}, "csrf": {csrfToken(f.sup)}}, c); r.StatusCode != 403 {
		t.Errorf("refuse with another session's CSRF: %d", r.StatusCode)
	}
	if r := f.do("POST", p+"/refuse", url.Values{"reason": {"  "}, "csrf": {csrfToken(f.ent)}}, c); r.StatusCode != 400 || !strings.Contains(readBody(t, r), "请填写拒绝检查的理由") {
		t.Errorf("empty reason: %d", r.StatusCode)
	}
	if r := f.do("POST", p+"/refuse", url.Values{"reason": {strings.Repeat("长", domain.MaxRefusalReason+1)}, "csrf": {csrfToken(f.ent)}}, c); r.StatusCode != 400 {
		t.Errorf("long reason: %d", r.StatusCode)
	}
	// A cross-site POST is refused before any handler runs.
	req := httptest.NewRequest("POST", p+"/refuse", strings.NewReader("reason=x&csrf="+csrfToken(f.ent)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(c)
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Errorf("cross-site POST: %d", w.Code)
	}

	// POST-redirect-GET: the refusal answers 303 to a result page that only
	// reads the lead id; submitting the same form again is the same lead.
	form := url.Values{"reason": {`<script>alert(1)</script>未出示执法证`}, "csrf": {csrfToken(f.ent)}, "request_id": {"form-1"}}
	r := f.do("POST", p+"/refuse", form, c)
	loc := r.Header.Get("Location")
	if r.StatusCode != 303 || !strings.HasPrefix(loc, p+"/refused?") {
		t.Fatalf("refusal %d, Location %q", r.StatusCode, loc)
	}
	r = f.do("GET", loc, nil, c)
	body := readBody(t, r)
	if r.StatusCode != 200 || !strings.Contains(body, "问题线索编号") || strings.Contains(body, "<script>alert") {
		t.Errorf("refusal result %d:\n%s", r.StatusCode, body)
	}
	if again := f.do("POST", p+"/refuse", form, c).Header.Get("Location"); again != loc {
		t.Errorf("the same form again went to %q, want the same lead at %q", again, loc)
	}
	if r := f.do("GET", p+"/refused?lead=<b>x</b>", nil, c); strings.Contains(readBody(t, r), "<b>x") {
		t.Errorf("the result page shows text from its URL")
	}

	r = f.do("POST", p+"/confirm", url.Values{"csrf": {csrfToken(f.ent)}}, c)
	if body := readBody(t, r); r.StatusCode != 200 || !strings.Contains(body, "已确认入企") {
		t.Errorf("confirm %d", r.StatusCode)
	}
	if r := f.do("POST", p+"/confirm", url.Values{"csrf": {csrfToken(f.ent)}}); r.StatusCode != 303 {
		t.Errorf("confirm signed out: %d", r.StatusCode)
	}
}

func TestDashboard(t *testing.T) {
	f := newFixture(t)
	if body := readBody(t, f.do("GET", "/dashboard", nil)); !strings.Contains(body, "监督人员登录") {
		t.Error("no sign-in form")
	}
	r := f.do("POST", "/dashboard/signin", url.Values{"token": {f.ent}})
	if loc := r.Header.Get("Location"); loc != "/dashboard?signin=not-supervisor" {
		t.Errorf("enterprise signed in to the dashboard: %s", loc)
	}
	if body := readBody(t, f.do("GET", "/dashboard?signin=not-supervisor", nil)); !strings.Contains(body, "不是司法局监督人员或系统管理员的令牌") {
		t.Error("no clear refusal")
	}
	r = f.do("POST", "/dashboard/signin", url.Values{"token": {f.sup}})
	c := cookieOf(t, r, supervisorCookie)
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/dashboard" {
		t.Errorf("supervisor cookie %+v", c)
	}

	r = f.do("GET", "/dashboard", nil, c)
	body := readBody(t, r)
	if r.StatusCode != 200 || !strings.Contains(body, "问题线索") {
		t.Fatalf("dashboard %d", r.StatusCode)
	}
	if !strings.Contains(body, "报表服务暂不可用") && !(strings.Contains(body, `id="chart-rows"`) && strings.Contains(body, "成都市市场监督管理局")) {
		t.Errorf("dashboard shows neither the report nor the unavailable box")
	}
	// The default period ends this month: 同比 compares a part of it with
	// the whole month a year earlier, said under the period.
	if !strings.Contains(body, `id="unfinished">注意：截止月份`) {
		t.Errorf("the default period's unfinished month is not said")
	}

	r = f.do("GET", "/dashboard?from=2026-13&region=51&group=weekly&top=0", nil, c)
	body = readBody(t, r)
	for _, want := range []string{"起始月份格式应为 2026-01", "行政区划代码应为6位数字", "分组方式无效", "企业排名数应为"} {
		if r.StatusCode != 400 || !strings.Contains(body, want) {
			t.Errorf("bad filter %d lacks %q", r.StatusCode, want)
		}
	}
	// Six digits of no province: the page says why, in domain's words.
	r = f.do("GET", "/dashboard?region=990000", nil, c)
	if body := readBody(t, r); r.StatusCode != 400 || !strings.Contains(body, "前两位99不是任何省") {
		t.Errorf("region 990000: %d, the page does not say its province is unknown", r.StatusCode)
	}

	r = f.do("GET", "/dashboard/report.csv?group=agency", nil, c)
	body = readBody(t, r)
	switch r.StatusCode {
	case 200:
		if !strings.HasPrefix(body, "\uFEFF") || !strings.Contains(body, "合计") || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("CSV: %q", body)
		}
	case 503:
		if !strings.Contains(body, "报表服务暂不可用") {
			t.Errorf("CSV unavailable: %q", body)
		}
	default:
		t.Errorf("CSV %d: %s", r.StatusCode, body)
	}
	if r := f.do("GET", "/dashboard/report.csv", nil); r.StatusCode != 401 {
		t.Errorf("CSV signed out: %d", r.StatusCode)
	}

	// Leads: a refusal makes one; the dashboard moves it.
	p := path(f.code.GetUrl())
	ec := &http.Cookie{Name: enterpriseCookie, Value: f.ent}
	if r := f.do("POST", p+"/refuse", url.Values{"reason": {"未出示入企码"}, "csrf": {csrfToken(f.ent)}}, ec); r.StatusCode != 303 {
		t.Fatalf("refuse: %d", r.StatusCode)
	}
	leads, err := ruqiv1.NewSupervisionServiceClient(f.api).ListLeads(as(context.Background(), f.sup), &ruqiv1.ListLeadsRequest{})
	if err != nil || len(leads.GetLeads()) == 0 {
		t.Fatalf("leads: %v %v", leads, err)
	}
	id := leads.GetLeads()[0].GetId()
	form := url.Values{"status": {"LEAD_STATUS_CHECKING"}, "note": {"已派员核查"}, "csrf": {csrfToken(c.Value)}, "back": {"group=region&evil=1"}}
	r = f.do("POST", "/dashboard/leads/"+id, form, c)
	if loc := r.Header.Get("Location"); r.StatusCode != 303 || !strings.Contains(loc, "group=region") || strings.Contains(loc, "evil") || !strings.Contains(loc, "updated="+id) {
		t.Errorf("update lead: %d %s", r.StatusCode, loc)
	}
	// The same move again is refused by the service's lifecycle, and the
	// dashboard says so.
	r = f.do("POST", "/dashboard/leads/"+id, form, c)
	if body := readBody(t, r); r.StatusCode != 409 || !strings.Contains(body, "问题线索未更新") {
		t.Errorf("repeated move: %d", r.StatusCode)
	}
	form.Set("note", "")
	if r := f.do("POST", "/dashboard/leads/"+id, form, c); r.StatusCode != 400 {
		t.Errorf("empty note: %d", r.StatusCode)
	}
}

func TestNiceCeilAndCharts(t *testing.T) {
	for v, want := range map[int64]int64{0: 4, 3: 4, 5: 8, 7: 8, 10: 12, 13: 16, 100: 100, 101: 120, 999: 1000, 4321: 6000} {
		if got := niceCeil(v); got != want || got%4 != 0 || got < v {
			t.Errorf("niceCeil(%d) = %d, want %d", v, got, want)
		}
	}
	rep := &ruqiv1.GetFrequencyReportResponse{FromMonth: "2025-11", ToMonth: "2026-02",
		Rows: []*ruqiv1.ReportRow{{Key: "202601", Inspections: 5, PreviousYear: 2}}}
	pts := monthPoints(rep)
	if len(pts) != 4 || pts[2].Cur != 5 || pts[2].Prev != 2 || pts[0].Cur != 0 || pts[0].Label != "25/11" {
		t.Errorf("monthPoints: %+v", pts)
	}
	c := newBarChart("t", []chartRow{{"甲", 10, 5}, {"一个非常非常非常长的企业名称有限公司", 0, 20}})
	if len(c.Bars) != 2 || c.Bars[0].CurW <= 0 || c.Bars[1].CurW != 0 || !strings.HasSuffix(c.Bars[1].Label, "…") {
		t.Errorf("bar chart: %+v", c.Bars)
	}
}

// The verify page lists an accompanying supervisor (伴随监督人员) in a
// section of its own, after the officers, escaped like everything the
// registration brings; an unknown draw's public page is 404.
func TestVerify_ShowsAccompanyingSupervisorApartFromOfficers(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := ruqiv1.NewSupervisionServiceClient(f.api).AttachSupervisor(as(ctx, f.sup), &ruqiv1.AttachSupervisorRequest{InspectionId: f.code.GetInspectionId(), SupervisorName: "王<监督>"})
	if err != nil {
		t.Fatal(err)
	}
	p := path(f.code.GetUrl())
	c := cookieOf(t, f.do("POST", "/signin", url.Values{"token": {f.ent}, "next": {p}}), enterpriseCookie)
	body := readBody(t, f.do("GET", p, nil, c))
	officers, supervisors, items := strings.Index(body, "<h2>执法人员</h2>"), strings.Index(body, "<h2>伴随监督人员</h2>"), strings.Index(body, "<h2>检查事项及依据</h2>")
	name := strings.Index(body, "王&lt;监督&gt;（司法局 510000）")
	if officers < 0 || supervisors < officers || name < supervisors || items < name {
		t.Fatalf("the supervisor is not in a section of its own between the officers and the items:\n%s", body)
	}
	if r := f.do("GET", "/draws/DRW-20261202-AAAAAAAA.json", nil); r.StatusCode != http.StatusNotFound || !strings.Contains(readBody(t, r), "不存在") {
		t.Errorf("unknown draw: %d", r.StatusCode)
	}
}

// A verify link opened from another site (a lure page's link or redirect)
// does not scan: the signed-in enterprise sees what the signature says and
// a button, a form of this site with its CSRF token, which scans. The
// check-in is then the first.
func TestVerify_FromAnotherSite_ScansOnlyOnConfirm(t *testing.T) {
	f := newFixture(t)
	p := path(f.code.GetUrl())
	c := cookieOf(t, f.do("POST", "/signin", url.Values{"token": {f.ent}, "next": {p}}), enterpriseCookie)
	for _, site := range []string{"cross-site", "same-site"} {
		r := httptest.NewRequest("GET", p, nil)
		r.Header.Set("Sec-Fetch-Site", site)
		r.AddCookie(c)
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		body := readBody(t, w.Result())
		if w.Code != 200 || !strings.Contains(body, "未自动核验") || !strings.Contains(body, `id="scan"`) || strings.Contains(body, "已核验并记录入企签到") {
			t.Fatalf("opened from %s: %d\n%s", site, w.Code, body)
		}
	}
	if r := f.do("POST", p, url.Values{"csrf": {"forged"}}, c); r.StatusCode != http.StatusForbidden {
		t.Fatalf("scan button without the CSRF token: %d", r.StatusCode)
	}
	r := f.do("POST", p, url.Values{"csrf": {csrfToken(c.Value)}}, c)
	if body := readBody(t, r); r.StatusCode != 200 || !strings.Contains(body, "首次扫码") {
		t.Fatalf("scan button: %d, want the first check-in\n%s", r.StatusCode, body)
	}
	// The camera or a typed link (Sec-Fetch-Site none, or no header) scans
	// at once: here the repeat.
	if body := readBody(t, f.do("GET", p, nil, c)); !strings.Contains(body, "重复扫码") {
		t.Fatalf("opened directly: no repeat check-in\n%s", body)
	}
	// A path far longer than any code is answered without repeating it.
	long := "/V/" + strings.Repeat("A", 5000)
	if r := f.do("GET", long, nil, c); r.StatusCode != 400 || strings.Contains(readBody(t, r), strings.Repeat("A", 100)) {
		t.Fatalf("a 5,000-character path: %d, or echoed", r.StatusCode)
	}
}

// With an https public URL the cookies are Secure and browsers are told to
// keep to https, though TLS ends in front of this server.
func TestCookies_SecureBehindTLSProxy(t *testing.T) {
	f := newFixture(t)
	cfg := f.cfg
	cfg.PublicURL = "https://ruqi.test"
	h := Handler(cfg)
	r := httptest.NewRequest("POST", "/signin", strings.NewReader(url.Values{"token": {f.ent}, "next": {"/"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if c := cookieOf(t, w.Result(), "__Host-"+enterpriseCookie); !c.Secure {
		t.Error("cookie not Secure behind a TLS proxy")
	}
	// The supervisor's too, at Path=/ as __Host- requires; and a session
	// planted under the bare name (by a sibling host) is not read.
	r = httptest.NewRequest("POST", "/dashboard/signin", strings.NewReader(url.Values{"token": {f.sup}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if c := cookieOf(t, w.Result(), "__Host-"+supervisorCookie); !c.Secure || c.Path != "/" || c.SameSite != http.SameSiteStrictMode {
		t.Errorf("supervisor cookie behind a TLS proxy: %+v", c)
	}
	r = httptest.NewRequest("GET", path(f.code.GetUrl()), nil)
	r.AddCookie(&http.Cookie{Name: enterpriseCookie, Value: f.ent})
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if body := w.Body.String(); strings.Contains(body, "已核验并记录入企签到") {
		t.Error("a bare-named cookie (plantable by a sibling host) signed the page in over https")
	}
	if hsts := w.Result().Header.Get("Strict-Transport-Security"); !strings.Contains(hsts, "max-age=") {
		t.Errorf("no HSTS: %q", hsts)
	}
	if hsts := f.do("GET", "/", nil).Header.Get("Strict-Transport-Security"); hsts != "" {
		t.Errorf("HSTS on an http public URL: %q", hsts)
	}
}

// The sign-in callback never puts the provider's text on a page, and
// returns only where a sign-in may.
func TestProviderErrorAndSafeBack(t *testing.T) {
	for _, code := range []string{"access_denied", "server_error", "<b>evil</b>", strings.Repeat("x", 300)} {
		if msg := providerError(code); strings.Contains(msg, code) || msg == "" {
			t.Errorf("providerError(%.20q) = %q", code, msg)
		}
	}
	for next, want := range map[string]string{"/dashboard": "/dashboard", "/V/ABC": "/V/ABC", "//evil.example": "/", "https://evil.example": "/", "/dashboard/x": "/"} {
		if got := safeBack(next); got != want {
			t.Errorf("safeBack(%q) = %q, want %q", next, got, want)
		}
	}
}

// The forms used before any session refuse a POST that does not say where
// it comes from (login CSRF): neither Sec-Fetch-Site nor Origin.
func TestSignInForms_RefuseUnlabelledPOST(t *testing.T) {
	f := newFixture(t)
	for _, target := range []string{"/signin", "/dashboard/signin"} {
		r := httptest.NewRequest("POST", target, strings.NewReader(url.Values{"token": {f.ent}}.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		w := httptest.NewRecorder()
		f.h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || len(w.Result().Cookies()) != 0 {
			t.Errorf("%s without Sec-Fetch-Site or Origin: %d, %d cookies", target, w.Code, len(w.Result().Cookies()))
		}
	}
	if r := f.do("POST", "/signin", url.Values{"token": {f.ent}, "next": {"/"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("a same-origin sign-in: %d", r.StatusCode)
	}
}

// An item taken off its agency's catalogue after the registration is marked
// on the verify page: the enterprise is told the check no longer stands
// (清单之外无检查), and the other items read as before.
func TestVerify_ItemRetiredSinceTheRegistration_Marked(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	dirc := ruqiv1.NewDirectoryServiceClient(f.api)
	items, err := dirc.ListCheckItems(as(ctx, f.admin), &ruqiv1.ListCheckItemsRequest{AgencyId: "AG-01"})
	if err != nil {
		t.Fatal(err)
	}
	var retired, kept *ruqiv1.CheckItem
	for _, it := range items.GetCheckItems() {
		switch it.GetId() {
		case "CI-0004":
			retired = it
		case "CI-0001":
			kept = it
		}
	}
	if retired == nil || kept == nil {
		t.Fatalf("CI-0001 or CI-0004 not in AG-01's list: %v", items.GetCheckItems())
	}
	p := path(f.code.GetUrl())
	c := cookieOf(t, f.do("POST", "/signin", url.Values{"token": {f.ent}, "next": {p}}), enterpriseCookie)
	if body := readBody(t, f.do("GET", p, nil, c)); strings.Contains(body, "已停用") {
		t.Fatalf("before the item is retired, the page marks one:\n%s", body)
	}
	retired.Retired = true
	if _, err := dirc.ImportDirectory(as(ctx, f.admin), &ruqiv1.ImportDirectoryRequest{Directory: &ruqiv1.Directory{CheckItems: []*ruqiv1.CheckItem{retired}}}); err != nil {
		t.Fatal(err)
	}
	body := readBody(t, f.do("GET", p, nil, c))
	line := func(name string) string {
		i := strings.Index(body, "<b>"+name+"</b>")
		if i < 0 {
			t.Fatalf("the page does not list %s:\n%s", name, body)
		}
		j := strings.Index(body[i:], "</li>")
		return body[i : i+j]
	}
	if l := line(retired.GetName()); !strings.Contains(l, "已停用") || !strings.Contains(l, "不应再检查") {
		t.Errorf("the retired item reads %q: want it marked", l)
	}
	if l := line(kept.GetName()); strings.Contains(l, "已停用") {
		t.Errorf("the item still listed reads %q", l)
	}
}

// /healthz adds a notice after its "ok" while the server serves but not all
// it would (a replica standing aside from sequencing the log), still 200 so
// that a load balancer keeps it; a server that cannot serve answers 503
// whatever the notice.
func TestHealthz_Notice(t *testing.T) {
	notice := "本服务器的见证策略（-witness-policy）与最近启动的服务器不同"
	var unhealthy error
	h := Handler(Config{Health: func() error { return unhealthy }, Notice: func() string { return notice }})
	get := func() (int, string) {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
		return w.Code, w.Body.String()
	}
	if code, body := get(); code != http.StatusOK || body != "ok\n"+notice+"\n" {
		t.Errorf("with a notice: %d %q", code, body)
	}
	notice = ""
	if code, body := get(); code != http.StatusOK || body != "ok\n" {
		t.Errorf("without: %d %q", code, body)
	}
	notice, unhealthy = "x", domain.Unavailablef("STORAGE_UNAVAILABLE", "存储暂时无法写入")
	if code, body := get(); code != http.StatusServiceUnavailable || strings.Contains(body, "ok") {
		t.Errorf("unhealthy with a notice: %d %q", code, body)
	}
}
