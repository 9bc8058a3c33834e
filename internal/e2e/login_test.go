package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/testutil/oidctest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// loginWorld is a server that signs people in through a real OpenID
// provider, with the sample directory imported.
func loginWorld(t *testing.T) (*server, *oidctest.Provider, fixture) {
	t.Helper()
	return loginWorldWith(t, nil)
}

// loginWorldWith is loginWorld with more settings in -oidc-config.
func loginWorldWith(t *testing.T, more map[string]any) (*server, *oidctest.Provider, fixture) {
	t.Helper()
	f := loadFixture(t)
	idp := oidctest.Start(t,
		oidctest.User{Username: "ent", Password: "pw", Claims: map[string]any{"uscc": f.entA, "name": "经办人"}},
		oidctest.User{Username: "officer", Password: "pw", Claims: map[string]any{"officer_id": f.officers[0]}},
	)
	idp.AddClient(oidctest.Client{ID: "ruqi-cli", RedirectURIs: []string{"http://127.0.0.1/callback"}})
	conf := map[string]any{"issuer": idp.Issuer, "client_id": "ruqi-web", "client_secret": "s", "cli_client_id": "ruqi-cli",
		"claims": map[string]any{"enterprise_uscc": "uscc", "officer_id": "officer_id"}}
	for k, v := range more {
		conf[k] = v
	}
	cfg, _ := json.Marshal(conf)
	path := filepath.Join(t.TempDir(), "oidc.json")
	if err := os.WriteFile(path, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "-oidc-config", path)
	s.mustCLI(s.admin, "admin", "import", sampleFile())
	return s, idp, f
}

// login runs `ruqi login`, signs in at the provider as a person at the
// browser would when the command prints its URL, and returns the
// command's outcome.
func (s *server) login(idp *oidctest.Provider, user string, args ...string) cliResult {
	s.t.Helper()
	return s.loginVia(idp, func(line string) { idp.Login(s.t, line, user, "pw", true) }, args...)
}

// loginVia runs `ruqi login` with args and calls atProvider with the URL it
// prints for the provider, and returns the command's outcome.
func (s *server) loginVia(idp *oidctest.Provider, atProvider func(url string), args ...string) cliResult {
	t := s.t
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "ruqi"), append([]string{"login"}, args...)...)
	cmd.Env = append(os.Environ(), "RUQI_SERVER="+s.grpcAddr, "RUQI_TOKEN=")
	var out bytes.Buffer
	cmd.Stdout = &out
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var errText strings.Builder
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		line := sc.Text()
		errText.WriteString(line + "\n")
		if strings.HasPrefix(line, idp.Issuer) {
			atProvider(line)
		}
	}
	// Stdout is copied by a goroutine of exec that Wait waits for: read
	// it only after Wait (before, a loaded machine showed it empty).
	res := cliResult{stderr: errText.String()}
	if err := cmd.Wait(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			res.exit = ee.ExitCode()
		} else {
			t.Fatal(err)
		}
	}
	res.stdout = out.String()
	return res
}

// TestLogin: `ruqi login` signs an enterprise in through the provider and
// saves a session token that the other commands use; an officer's account
// asking to be an enterprise is refused and nothing is saved; a server
// without a provider says so.
func TestLogin(t *testing.T) {
	s, idp, f := loginWorld(t)
	dir := t.TempDir()

	t.Run("enterprise", func(t *testing.T) {
		save := filepath.Join(dir, "ent.token")
		r := s.login(idp, "ent", "--save", save, "--wait", "1m")
		if r.exit != 0 {
			t.Fatalf("login: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		mustContainAll(t, r.stdout, "已登录：企业", f.entA, "有效期至", save)
		st, err := os.Stat(save)
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("token file %v, %v", st, err)
		}
		// The saved session token is an ordinary credential of the API.
		out := s.mustCLI("", "--token-file", save, "company", "history")
		if strings.Contains(out, "错误") {
			t.Errorf("history with the session token: %s", out)
		}
	})

	t.Run("officer cannot log in as an enterprise", func(t *testing.T) {
		save := filepath.Join(dir, "officer.token")
		before := s.eventCount()
		r := s.login(idp, "officer", "--as", "enterprise", "--save", save, "--wait", "1m")
		if r.exit != 1 {
			t.Fatalf("login: exit %d, want 1\n%s%s", r.exit, r.stdout, r.stderr)
		}
		mustContainAll(t, r.stderr, "身份是执法人员", "不能以企业身份登录")
		if _, err := os.Stat(save); !os.IsNotExist(err) {
			t.Errorf("a refused login saved a token: %v", err)
		}
		if after := s.eventCount(); after != before {
			t.Errorf("a refused login recorded %d events", after-before)
		}
	})

	t.Run("officer", func(t *testing.T) {
		save := filepath.Join(dir, "officer.token")
		r := s.login(idp, "officer", "--save", save, "--wait", "1m")
		if r.exit != 0 {
			t.Fatalf("login: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		mustContainAll(t, r.stdout, "已登录：执法人员", f.officers[0])
	})

	t.Run("server without a provider", func(t *testing.T) {
		plain := startServer(t)
		r := plain.cli("", "login", "--save", filepath.Join(dir, "none.token"), "--wait", time.Minute.String())
		if r.exit != 1 || !strings.Contains(r.stderr, "服务器未启用政务服务账号登录") {
			t.Errorf("login without a provider: exit %d\n%s", r.exit, r.stderr)
		}
	})
}

// TestTokenRotation: an administrator's token for a service account has a
// lifetime and is rotated in one step; the old token stops working at once.
func TestTokenRotation(t *testing.T) {
	s := startServer(t)
	s.mustCLI(s.admin, "admin", "import", sampleFile())
	out := s.mustCLI(s.admin, "-o", "json", "admin", "token", "issue", "--role", "supervisor", "--subject", "510000", "--ttl", "720h", "--description", "模拟器")
	var issued struct {
		Token, TokenID, ExpiresAt string
	}
	if err := json.Unmarshal([]byte(out), &issued); err != nil || issued.ExpiresAt == "" {
		t.Fatalf("issue: %s (%v)", out, err)
	}
	s.mustCLI(issued.Token, "admin", "events", "verify")
	newTok := strings.TrimSpace(s.mustCLI(s.admin, "admin", "token", "rotate", "-q", "--id", issued.TokenID))
	if r := s.cli(issued.Token, "admin", "events", "verify"); r.exit != 1 || !strings.Contains(r.stderr, "已被吊销") {
		t.Errorf("rotated-out token: exit %d %s", r.exit, r.stderr)
	}
	s.mustCLI(newTok, "admin", "events", "verify")
	if r := s.cli(s.admin, "admin", "token", "rotate", "--id", issued.TokenID); r.exit != 1 || !strings.Contains(r.stderr, "已于") {
		t.Errorf("rotating a revoked token: exit %d %s", r.exit, r.stderr)
	}
	if r := s.cli(s.admin, "admin", "token", "issue", "--role", "admin", "--subject", "x", "--ttl", "9000h"); r.exit != 1 || !strings.Contains(r.stderr, "有效期") {
		t.Errorf("a token for too long: exit %d %s", r.exit, r.stderr)
	}
}

func mustContainAll(t *testing.T, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%q does not say %q", got, w)
		}
	}
}

// TestDeviceTokens: a device enrolment code authenticates nothing and is
// spent once; a staff device scans for its enterprise but manages no
// devices; a revoked device is refused on its next call.
func TestDeviceTokens(t *testing.T) {
	s := startServer(t)
	s.mustCLI(s.admin, "admin", "import", sampleFile())
	f := loadFixture(t)
	account := ruqiv1.NewSessionServiceClient(s.conn(s.issueToken("enterprise", f.entA)))
	ctx := context.Background()
	enr, err := account.CreateDeviceEnrolment(ctx, &ruqiv1.CreateDeviceEnrolmentRequest{Label: "前台"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ruqiv1.NewEnterpriseServiceClient(s.conn(enr.GetCode())).ListInspections(ctx, &ruqiv1.ListInspectionsRequest{}); status.Code(err) != codes.Unauthenticated || !strings.Contains(status.Convert(err).Message(), "设备绑定码") {
		t.Errorf("an enrolment code as a bearer token: %v", err)
	}
	public := ruqiv1.NewSessionServiceClient(s.conn(""))
	dev, err := public.EnrolDevice(ctx, &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := public.EnrolDevice(ctx, &ruqiv1.EnrolDeviceRequest{Code: enr.GetCode()}); status.Code(err) != codes.Unauthenticated || !strings.Contains(status.Convert(err).Message(), "已使用或已过期") {
		t.Errorf("an enrolment code spent twice: %v", err)
	}
	device := s.conn(dev.GetToken())
	if _, err := ruqiv1.NewEnterpriseServiceClient(device).ListInspections(ctx, &ruqiv1.ListInspectionsRequest{}); err != nil {
		t.Errorf("device cannot act for its enterprise: %v", err)
	}
	for name, call := range map[string]func() error{
		"CreateDeviceEnrolment": func() error {
			_, err := ruqiv1.NewSessionServiceClient(device).CreateDeviceEnrolment(ctx, &ruqiv1.CreateDeviceEnrolmentRequest{})
			return err
		},
		"ListDevices": func() error {
			_, err := ruqiv1.NewSessionServiceClient(device).ListDevices(ctx, &ruqiv1.ListDevicesRequest{})
			return err
		},
		"RevokeDevice": func() error {
			_, err := ruqiv1.NewSessionServiceClient(device).RevokeDevice(ctx, &ruqiv1.RevokeDeviceRequest{DeviceId: dev.GetDevice().GetId()})
			return err
		},
	} {
		if err := call(); status.Code(err) != codes.PermissionDenied || !strings.Contains(status.Convert(err).Message(), "前台设备不能管理设备") {
			t.Errorf("%s by a device: %v", name, err)
		}
	}
	list, err := account.ListDevices(ctx, &ruqiv1.ListDevicesRequest{})
	if err != nil || len(list.GetDevices()) != 1 || list.GetDevices()[0].GetLabel() != "前台" || list.GetDevices()[0].GetExpiresAt() == nil {
		t.Fatalf("devices = %v, %v", list, err)
	}
	if _, err := account.RevokeDevice(ctx, &ruqiv1.RevokeDeviceRequest{DeviceId: dev.GetDevice().GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := ruqiv1.NewEnterpriseServiceClient(device).ListInspections(ctx, &ruqiv1.ListInspectionsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a revoked device: %v", err)
	}
}

// `ruqi login` asked the provider for "openid" alone while the web sign-in
// asked for -oidc-config's "scopes" too: a provider releasing the mapped
// claims only under a scope refused every CLI sign-in (an operator's
// trial, 2026-12-07). Both ask for them now.
func TestLogin_AsksForTheConfiguredScopes(t *testing.T) {
	s, idp, _ := loginWorldWith(t, map[string]any{"scopes": []string{"profile"}})
	var asked string
	r := s.loginVia(idp, func(line string) {
		asked = line
		idp.Login(s.t, line, "ent", "pw", true)
	})
	if r.exit != 0 {
		t.Fatalf("login: exit %d\n%s", r.exit, r.stderr)
	}
	if !strings.Contains(asked, "scope=openid+profile") && !strings.Contains(asked, "scope=openid%20profile") {
		t.Errorf("the authorization request does not ask for the configured scope: %s", asked)
	}
}

// A sign-in could not be ended from the command line: deleting the token
// file left the token valid for its 12 hours (a trial of sign-in,
// 2026-12-07). `ruqi logout` revokes it and removes the file; an
// administrator-issued token is not a sign-in, and is left as it is.
func TestLogout_EndsTheSignInAndRemovesItsFile(t *testing.T) {
	s, idp, _ := loginWorld(t)
	save := filepath.Join(t.TempDir(), "ent.token")
	if r := s.login(idp, "ent", "--save", save, "--wait", "1m"); r.exit != 0 {
		t.Fatalf("login: exit %d\n%s", r.exit, r.stderr)
	}
	tok := strings.TrimSpace(string(mustReadFile(t, save)))
	// The administrator tells it from a web session, in Chinese.
	if out := s.mustCLI(s.admin, "admin", "token", "list", "--role", "enterprise", "--subject", loadFixture(t).entA); !strings.Contains(out, "命令行登录") {
		t.Errorf("admin token list does not say the session is a command line's:\n%s", out)
	}
	out := s.mustCLI("", "--token-file", save, "logout")
	if !strings.Contains(out, "已退出登录") {
		t.Errorf("logout said:\n%s", out)
	}
	if _, err := os.Stat(save); !os.IsNotExist(err) {
		t.Errorf("the token file is still there: %v", err)
	}
	// Told to sign in again, not to ask an administrator.
	if r := s.cli(tok, "company", "history"); r.exit == 0 || !strings.Contains(r.stderr, "请重新登录") {
		t.Errorf("the signed-out session: exit %d %s, want a refusal saying to sign in again", r.exit, r.stderr)
	}
	company := s.issueToken("enterprise", loadFixture(t).entA)
	if r := s.cli(company, "logout"); r.exit != 1 || !strings.Contains(r.stderr, "管理员签发的令牌") {
		t.Errorf("logout with an administrator's token: exit %d, stderr %q", r.exit, r.stderr)
	}
	if r := s.cli(company, "company", "history"); r.exit != 0 {
		t.Errorf("the administrator's token stopped acting after logout: %s", r.stderr)
	}
}

func mustReadFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
