package webtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var serverBin string

// TestMain builds the server binary once: the tests run the real thing.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ruqi-webtest-bin")
	if err != nil {
		panic(err)
	}
	serverBin = filepath.Join(dir, "ruqi-server")
	cmd := exec.Command("go", "build", "-o", serverBin, "./server")
	cmd.Dir = repoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func repoRoot() string {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(out))
}

// server is one running ruqi-server process.
type server struct {
	t           *testing.T
	cmd         *exec.Cmd
	log         *bytes.Buffer
	grpcAddr    string
	httpAddr    string
	metricsAddr string
	admin       string
}

// startServer starts the binary on a fresh data directory, on free
// loopback ports, and waits for its ready file.
func startServer(t *testing.T, extraArgs ...string) *server {
	t.Helper()
	dataDir := t.TempDir()
	ready := filepath.Join(dataDir, "ready.json")
	args := append([]string{"-data-dir", dataDir, "-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-metrics-addr", "127.0.0.1:0", "-ready-file", ready}, extraArgs...)
	s := &server{t: t, log: &bytes.Buffer{}}
	s.cmd = exec.Command(serverBin, args...)
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil {
			var r struct {
				GRPCAddr       string `json:"grpc_addr"`
				HTTPAddr       string `json:"http_addr"`
				MetricsAddr    string `json:"metrics_addr"`
				AdminTokenFile string `json:"admin_token_file"`
			}
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			s.grpcAddr, s.httpAddr, s.metricsAddr = r.GRPCAddr, r.HTTPAddr, r.MetricsAddr
			tok, err := os.ReadFile(r.AdminTokenFile)
			if err != nil {
				t.Fatal(err)
			}
			s.admin = strings.TrimSpace(string(tok))
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not become ready:\n%s", s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
		s.t.Errorf("server did not stop on SIGTERM:\n%s", s.log)
	}
	if s.t.Failed() {
		s.t.Logf("server log:\n%s", s.log)
	}
	s.cmd = nil
}

func (s *server) url(path string) string { return "http://" + s.httpAddr + path }

// conn is a gRPC client of the server.
func (s *server) conn() *grpc.ClientConn {
	s.t.Helper()
	cc, err := grpc.NewClient(s.grpcAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { cc.Close() })
	return cc
}

// as is a context carrying token, as the CLI sends it.
func (s *server) as(token string) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	s.t.Cleanup(cancel)
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
}

// issue issues a token through AdminService, as an administrator would.
func (s *server) issue(role ruqiv1.Role, subject string) string {
	s.t.Helper()
	resp, err := ruqiv1.NewAdminServiceClient(s.conn()).IssueAccessToken(s.as(s.admin), &ruqiv1.IssueAccessTokenRequest{Role: role, Subject: subject, Description: "webtest"})
	if err != nil {
		s.t.Fatalf("issue %s token for %s: %v", role, subject, err)
	}
	return resp.GetToken()
}

// sample is what the tests use of the shipped sample directory.
type sample struct {
	dir        *ruqiv1.Directory
	officersOf map[string][]string // active officers, certificates valid for a month at least
	itemsOf    map[string][]string // current items
	ents       []string            // enterprises not of credit grade A (grade A gets no proactive check)
}

func loadSample(t *testing.T) sample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "testdata", "sample", "directory.json"))
	if err != nil {
		t.Fatal(err)
	}
	var dir ruqiv1.Directory
	if err := protojson.Unmarshal(b, &dir); err != nil {
		t.Fatal(err)
	}
	s := sample{dir: &dir, officersOf: map[string][]string{}, itemsOf: map[string][]string{}}
	later := time.Now().Add(30 * 24 * time.Hour)
	for _, o := range dir.GetOfficers() {
		if domain.CertificateValid(o, later) {
			s.officersOf[o.GetAgencyId()] = append(s.officersOf[o.GetAgencyId()], o.GetId())
		}
	}
	for _, it := range dir.GetCheckItems() {
		if !it.GetRetired() {
			s.itemsOf[it.GetAgencyId()] = append(s.itemsOf[it.GetAgencyId()], it.GetId())
		}
	}
	for _, e := range dir.GetEnterprises() {
		if e.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A {
			s.ents = append(s.ents, e.GetUscc())
		}
	}
	return s
}

func (s *server) importSample(smp sample) {
	s.t.Helper()
	if _, err := ruqiv1.NewDirectoryServiceClient(s.conn()).ImportDirectory(s.as(s.admin), &ruqiv1.ImportDirectoryRequest{Directory: smp.dir}); err != nil {
		s.t.Fatalf("import sample directory: %v", err)
	}
}

// register registers an inspection by the first officer of agency, with
// two officers and two items, and returns the first officer's code.
func (s *server) register(smp sample, agency, uscc string, from, to time.Time, reason string) *ruqiv1.InspectionCode {
	s.t.Helper()
	officers, items := smp.officersOf[agency], smp.itemsOf[agency]
	if len(officers) < 2 || len(items) < 2 {
		s.t.Fatalf("sample agency %s lacks officers or items", agency)
	}
	tok := s.issue(ruqiv1.Role_ROLE_OFFICER, officers[0])
	resp, err := ruqiv1.NewInspectionServiceClient(s.conn()).RegisterInspection(s.as(tok), &ruqiv1.RegisterInspectionRequest{
		EnterpriseUscc: uscc, CheckItemIds: items[:2], OfficerIds: officers[:2],
		WindowStart: timestamppb.New(from), WindowEnd: timestamppb.New(to),
		Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: reason,
	})
	if err != nil {
		s.t.Fatalf("register %s for %s: %v", agency, uscc, err)
	}
	for _, c := range resp.GetCodes() {
		if c.GetOfficerId() == officers[0] {
			return c
		}
	}
	s.t.Fatalf("no code for %s in %v", officers[0], resp.GetCodes())
	return nil
}

// startBrowser starts headless Chromium, or skips (fails with CI=true) when
// there is none.
func startBrowser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("RUQI_CHROMIUM")
	if path == "" {
		for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if p, err := exec.LookPath(name); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("Chromium not found (apt-get install chromium, or set RUQI_CHROMIUM): CI must run the browser tests")
		}
		t.Skip("Chromium not found: install it (apt-get install chromium) or set RUQI_CHROMIUM to run the browser tests")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// Start the browser now, so that users can each get a browser context.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium at %s: %v", path, err)
	}
	return ctx
}

// user is one person at a browser: a browser context of their own, so that
// cookies do not mix, with a deadline for everything they do.
func user(t *testing.T, browserCtx context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browserCtx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancel2 := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancel2)
	return ctx
}

// artifactsDir is where screenshots go.
func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("RUQI_ARTIFACTS_DIR")
	if dir == "" {
		dir = filepath.Join(repoRoot(), "artifacts")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot saves a PNG of the whole page and logs where.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(artifactsDir(t), name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// text is the visible text of the first element matching sel.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s: %q does not say %q", what, got, w)
		}
	}
}
