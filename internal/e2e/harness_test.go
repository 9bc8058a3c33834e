package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var binDir string

// TestMain builds the two binaries once for all tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ruqi-e2e-bin")
	if err != nil {
		panic(err)
	}
	binDir = dir
	root := repoRoot()
	for name, pkg := range map[string]string{"ruqi-server": "./server", "ruqi": "./client"} {
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, name), pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", pkg, err, out)
			os.Exit(1)
		}
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
	t        *testing.T
	dataDir  string
	args     []string
	cmd      *exec.Cmd
	log      *bytes.Buffer
	grpcAddr string
	httpAddr string
	// metricsAddr is /metrics' listener, when started with -metrics-addr.
	metricsAddr string
	admin       string
	tlsCA       string // the server's certificate, when it serves TLS
}

// needsBolt skips a test that works on the bbolt file itself (fills its
// disk, edits it) when the suite runs on PostgreSQL.
func needsBolt(t *testing.T) {
	if os.Getenv("RUQI_E2E_STORE") == "postgres" {
		t.Skip("works on the bbolt file; RUQI_E2E_STORE=postgres")
	}
}

// startServer starts a server on a fresh data directory. With
// RUQI_E2E_STORE=postgres, a server not given a -store gets a fresh
// PostgreSQL database, so that the whole suite can run on that store.
func startServer(t *testing.T, extraArgs ...string) *server {
	if os.Getenv("RUQI_E2E_STORE") == "postgres" && !slices.Contains(extraArgs, "-store") {
		extraArgs = append([]string{"-store", pgtest.Start(t).NewDatabase(t)}, extraArgs...)
	}
	s := &server{t: t, dataDir: t.TempDir(), args: extraArgs}
	for i, a := range extraArgs {
		if a == "-tls-cert" && i+1 < len(extraArgs) {
			s.tlsCA = extraArgs[i+1]
		}
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) start() {
	t := s.t
	t.Helper()
	ready := filepath.Join(s.dataDir, "ready.json")
	os.Remove(ready)
	args := append([]string{"-data-dir", s.dataDir, "-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-ready-file", ready, "-log-level", "debug"}, s.args...)
	s.cmd = exec.Command(filepath.Join(binDir, "ruqi-server"), args...)
	s.log = &bytes.Buffer{}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := os.ReadFile(ready)
		if err == nil {
			var r struct {
				GRPCAddr    string `json:"grpc_addr"`
				HTTPAddr    string `json:"http_addr"`
				MetricsAddr string `json:"metrics_addr"`
			}
			if err := json.Unmarshal(b, &r); err != nil {
				t.Fatal(err)
			}
			s.grpcAddr, s.httpAddr, s.metricsAddr = r.GRPCAddr, r.HTTPAddr, r.MetricsAddr
			break
		}
		if time.Now().After(deadline) || s.cmd.ProcessState != nil {
			t.Fatalf("server did not become ready:\n%s", s.log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tok, err := os.ReadFile(filepath.Join(s.dataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	s.admin = strings.TrimSpace(string(tok))
}

// stop sends SIGTERM and waits: the graceful path a real operator uses.
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
	s.cmd = nil
}

func (s *server) restart() {
	s.stop()
	s.start()
}

// restoreFrom restores the server from a backup file as the README says:
// stopped, then started on a new data directory holding the backup as
// ruqi.db and the old one's log.key and admin.token (those it has: a log
// key given by -log-key-file is not in it).
func (s *server) restoreFrom(backup string) {
	s.t.Helper()
	s.stop()
	dir := s.t.TempDir()
	copyFile(s.t, backup, filepath.Join(dir, "ruqi.db"))
	for _, name := range []string{"log.key", "admin.token"} {
		if _, err := os.Stat(filepath.Join(s.dataDir, name)); err == nil {
			copyFile(s.t, filepath.Join(s.dataDir, name), filepath.Join(dir, name))
		}
	}
	s.dataDir = dir
	s.start()
}

// cliResult is one run of the ruqi CLI.
type cliResult struct {
	stdout, stderr string
	exit           int
}

// cli runs the ruqi binary with a token against this server.
func (s *server) cli(token string, args ...string) cliResult {
	s.t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "ruqi"), args...)
	cmd.Env = append(os.Environ(), "RUQI_SERVER="+s.grpcAddr, "RUQI_TOKEN="+token, "RUQI_KEYS_CACHE="+filepath.Join(s.dataDir, "keys-cache.json"))
	if s.tlsCA != "" {
		cmd.Env = append(cmd.Env, "RUQI_TLS_CA="+s.tlsCA)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	res := cliResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		res.exit = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("run ruqi %v: %v", args, err)
	}
	return res
}

// mustCLI runs the CLI and fails the test unless it exits 0.
func (s *server) mustCLI(token string, args ...string) string {
	s.t.Helper()
	r := s.cli(token, args...)
	if r.exit != 0 {
		s.t.Fatalf("ruqi %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.exit, r.stdout, r.stderr)
	}
	return r.stdout
}

// conn is a gRPC client connection as token.
func (s *server) conn(token string) *grpc.ClientConn {
	s.t.Helper()
	opts := []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}
	if s.tlsCA != "" {
		creds, err := credentials.NewClientTLSFromFile(s.tlsCA, "")
		if err != nil {
			s.t.Fatal(err)
		}
		opts[0] = grpc.WithTransportCredentials(creds)
	}
	if token != "" {
		opts = append(opts, grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoker(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), method, req, reply, cc, opts...)
		}), grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return streamer(metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token), desc, cc, method, opts...)
		}))
	}
	cc, err := grpc.NewClient(s.grpcAddr, opts...)
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { cc.Close() })
	return cc
}

// issueToken issues an access token through the CLI, as an administrator would.
func (s *server) issueToken(role, subject string) string {
	s.t.Helper()
	out := s.mustCLI(s.admin, "-o", "json", "admin", "token", "issue", "--role", role, "--subject", subject)
	var resp ruqiv1.IssueAccessTokenResponse
	mustUnmarshal(s.t, out, &resp)
	if resp.GetToken() == "" {
		s.t.Fatalf("no token in %s", out)
	}
	return resp.GetToken()
}

// eventCount is the length of the event log, read by verifying the chain.
func (s *server) eventCount() uint64 {
	s.t.Helper()
	resp, err := ruqiv1.NewAdminServiceClient(s.conn(s.admin)).VerifyEventLog(context.Background(), &ruqiv1.VerifyEventLogRequest{})
	if err != nil {
		s.t.Fatal(err)
	}
	if !resp.GetIntact() {
		s.t.Fatalf("event log broken at %d", resp.GetFirstBrokenSeq())
	}
	return resp.GetEvents()
}

func mustUnmarshal(t *testing.T, s string, m proto.Message) {
	t.Helper()
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal([]byte(s), m); err != nil {
		t.Fatalf("parse %T from CLI output: %v\n%s", m, err, s)
	}
}

// sampleFile is the shipped sample directory.
func sampleFile() string { return filepath.Join(repoRoot(), "testdata", "sample", "directory.json") }

// fixture is what the tests pick from the sample directory: an agency with
// active officers and current items, an item of another agency, two
// enterprises.
type fixture struct {
	agency        string
	officers      []string // active, certificate valid for years
	items         []string
	foreignItem   string
	foreignOffice string // an active officer of another agency
	entA, entB    string
	gradeA        string // an enterprise of credit grade A
	// active officers and current items of every agency
	officersOf map[string][]string
	itemsOf    map[string][]string
	agencies   []string
	// divisions of every agency and enterprise: an agency registers only
	// enterprises of its territory (属地管辖, domain.CheckJurisdiction)
	regionOf map[string]string
}

// covering lists the agencies whose territory holds enterprise uscc, in
// the directory's order.
func (f fixture) covering(uscc string) []string {
	var out []string
	for _, a := range f.agencies {
		if domain.RegionCovers(f.regionOf[a], f.regionOf[uscc]) {
			out = append(out, a)
		}
	}
	return out
}

// agencyFor is the k-th (round robin) of the agencies covering uscc.
func (f fixture) agencyFor(uscc string, k int) string {
	cov := f.covering(uscc)
	return cov[k%len(cov)]
}

// sampleDirectory reads the sample directory the servers import.
func sampleDirectory(t *testing.T) *ruqiv1.Directory {
	t.Helper()
	b, err := os.ReadFile(sampleFile())
	if err != nil {
		t.Fatal(err)
	}
	dir := &ruqiv1.Directory{}
	if err := protojson.Unmarshal(b, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadFixture(t *testing.T) fixture {
	t.Helper()
	dir := sampleDirectory(t)
	f := fixture{agency: dir.GetAgencies()[0].GetId(), officersOf: map[string][]string{}, itemsOf: map[string][]string{}, regionOf: map[string]string{}}
	for _, a := range dir.GetAgencies() {
		f.agencies = append(f.agencies, a.GetId())
		f.regionOf[a.GetId()] = a.GetRegionCode()
	}
	for _, e := range dir.GetEnterprises() {
		f.regionOf[e.GetUscc()] = e.GetRegionCode()
	}
	later := time.Now().Add(30 * 24 * time.Hour)
	for _, o := range dir.GetOfficers() {
		if !domain.CertificateValid(o, later) {
			continue
		}
		f.officersOf[o.GetAgencyId()] = append(f.officersOf[o.GetAgencyId()], o.GetId())
		if o.GetAgencyId() == f.agency && len(f.officers) < 3 {
			f.officers = append(f.officers, o.GetId())
		} else if o.GetAgencyId() != f.agency && f.foreignOffice == "" {
			f.foreignOffice = o.GetId()
		}
	}
	for _, it := range dir.GetCheckItems() {
		if it.GetRetired() {
			continue
		}
		f.itemsOf[it.GetAgencyId()] = append(f.itemsOf[it.GetAgencyId()], it.GetId())
		if it.GetAgencyId() == f.agency && len(f.items) < 2 {
			f.items = append(f.items, it.GetId())
		} else if it.GetAgencyId() != f.agency && f.foreignItem == "" {
			f.foreignItem = it.GetId()
		}
	}
	// Grade A enterprises get no proactive inspection under the default
	// policy, so the ordinary tests use others.
	for _, e := range dir.GetEnterprises() {
		switch {
		case e.GetCreditGrade() == ruqiv1.CreditGrade_CREDIT_GRADE_A:
			if f.gradeA == "" {
				f.gradeA = e.GetUscc()
			}
		case f.entA == "":
			f.entA = e.GetUscc()
		case f.entB == "":
			f.entB = e.GetUscc()
		}
	}
	if len(f.officers) < 3 || len(f.items) < 2 || f.foreignItem == "" || f.foreignOffice == "" {
		t.Fatalf("sample directory lacks what the tests need: %+v", f)
	}
	return f
}

// readSampleEnterprises returns the first n enterprises of the sample that
// are not of credit grade A (which the default policy shields entirely).
func readSampleEnterprises(n int) ([]string, error) {
	b, err := os.ReadFile(sampleFile())
	if err != nil {
		return nil, err
	}
	var dir ruqiv1.Directory
	if err := protojson.Unmarshal(b, &dir); err != nil {
		return nil, err
	}
	var out []string
	for _, e := range dir.GetEnterprises() {
		if e.GetCreditGrade() != ruqiv1.CreditGrade_CREDIT_GRADE_A && len(out) < n {
			out = append(out, e.GetUscc())
		}
	}
	return out, nil
}
