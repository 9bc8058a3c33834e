package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/sample"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// runServerExpectingFailure starts the server on dataDir and expects it to
// exit on its own with an error; it returns what the server logged.
func runServerExpectingFailure(t *testing.T, dataDir string, args ...string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "ruqi-server"), append([]string{"-data-dir", dataDir,
		"-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-ready-file", filepath.Join(dataDir, "ready.json")}, args...)...)
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("server exited 0, want a failure:\n%s", log.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("server kept running, want it to refuse to start:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "ready.json")); err == nil {
		t.Errorf("server wrote its ready file before refusing to start")
	}
	return log.String()
}

// An admin.token that came back empty after a crash must stop the start with
// a message that says what to do, instead of registering the hash of "" (which
// made a blank bearer token an administrator).
func TestServer_EmptyAdminTokenFile_RefusesToStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := runServerExpectingFailure(t, dir)
	if !strings.Contains(log, "admin token file") || !strings.Contains(log, "empty") {
		t.Errorf("log does not say the token file is empty:\n%s", log)
	}
}

// A first start leaves a complete token file of mode 0600 and no temporary
// file beside it.
func TestServer_FirstStart_WritesTokenFileWhole(t *testing.T) {
	s := startServer(t)
	fi, err := os.Stat(filepath.Join(s.dataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.token mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.HasPrefix(s.admin, "rq_") || len(s.admin) < 40 {
		t.Errorf("admin token %q is not a whole token", s.admin)
	}
	left, _ := filepath.Glob(filepath.Join(s.dataDir, ".admin.token.tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// No method reads a message over 1 MiB, and the size is checked before the
// token: an anonymous 2 MiB scan is refused with RESOURCE_EXHAUSTED, not read
// and then refused as unauthenticated (it used to accept 64 MB).
func TestLimits_LargeMessage_RefusedBeforeToken(t *testing.T) {
	s := startServer(t)
	big := strings.Repeat("A", 2<<20)
	for _, tok := range []string{"", s.admin} {
		_, err := ruqiv1.NewEnterpriseServiceClient(s.conn(tok)).ScanCode(context.Background(), &ruqiv1.ScanCodeRequest{Code: big})
		if status.Code(err) != codes.ResourceExhausted {
			t.Errorf("2 MiB scan (with token: %t): got %v, want ResourceExhausted", tok != "", err)
		}
	}
}

// A directory larger than one message imports through the CLI, in one
// transaction, streamed in parts.
func TestLimits_LargeDirectory_ImportsInParts(t *testing.T) {
	s := startServer(t)
	d := sample.Directory(sample.Options{Seed: 7, Enterprises: 15000})
	if n := proto.Size(d); n <= 1<<20 {
		t.Fatalf("directory of %d bytes does not need parts", n)
	}
	b, err := sample.JSON(d)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	before := s.eventCount()
	out := s.mustCLI(s.admin, "-o", "json", "admin", "import", path)
	var resp ruqiv1.ImportDirectoryResponse
	mustUnmarshal(t, out, &resp)
	if resp.GetEnterprises() != 15000 {
		t.Errorf("imported %d enterprises, want 15000:\n%s", resp.GetEnterprises(), out)
	}
	if n := s.eventCount() - before; n != 1 {
		t.Errorf("the import wrote %d events, want 1: it was not one transaction", n)
	}
}

// A connection with no call is closed by the server after -idle-timeout,
// instead of staying open forever.
func TestLimits_IdleConnection_Closed(t *testing.T) {
	s := startServer(t, "-idle-timeout", "1s")
	cc := s.conn("")
	if _, err := ruqiv1.NewKeyServiceClient(cc).ListPublicKeys(context.Background(), &ruqiv1.ListPublicKeysRequest{}); err != nil {
		t.Fatal(err)
	}
	if cc.GetState() != connectivity.Ready {
		t.Fatalf("connection %v after a call, want READY", cc.GetState())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	// The server's GOAWAY moves the client's connection out of READY.
	if !cc.WaitForStateChange(ctx, connectivity.Ready) {
		t.Fatalf("idle connection still open after 30 s with -idle-timeout 1s")
	}
}

// A huge field never comes back whole: every error message and its details
// stay small enough for an 8 KiB header limit, and the reason still reads.
func TestErrors_HugeField_MessageBounded(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	huge := strings.Repeat("９", 300_000) // 900 KB of full-width digits: under the 1 MiB message limit
	now := time.Now()
	reg := func(edit func(r *ruqiv1.RegisterInspectionRequest)) error {
		r := &ruqiv1.RegisterInspectionRequest{EnterpriseUscc: w.f.entA, CheckItemIds: w.f.items, OfficerIds: w.f.officers[:2],
			WindowStart: timestamppb.New(now.Add(time.Hour)), WindowEnd: timestamppb.New(now.Add(3 * time.Hour)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "日常检查"}
		edit(r)
		_, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).RegisterInspection(ctx, r)
		return err
	}
	calls := map[string]func() error{
		"register: USCC": func() error { return reg(func(r *ruqiv1.RegisterInspectionRequest) { r.EnterpriseUscc = huge }) },
		"register: item": func() error {
			return reg(func(r *ruqiv1.RegisterInspectionRequest) { r.CheckItemIds = []string{huge} })
		},
		"register: officer": func() error {
			return reg(func(r *ruqiv1.RegisterInspectionRequest) { r.OfficerIds = []string{w.f.officers[0], huge} })
		},
		"register: agency": func() error { return reg(func(r *ruqiv1.RegisterInspectionRequest) { r.AgencyId = huge }) },
		"get enterprise": func() error {
			_, err := ruqiv1.NewDirectoryServiceClient(w.conn(w.officer)).GetEnterprise(ctx, &ruqiv1.GetEnterpriseRequest{Uscc: huge})
			return err
		},
		"get inspection": func() error {
			_, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).GetInspection(ctx, &ruqiv1.GetInspectionRequest{InspectionId: huge})
			return err
		},
		"scan: the verdict's message": func() error {
			// Not a code: a verdict, not an error. Its message must not
			// echo the text either.
			resp, err := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).ScanCode(ctx, &ruqiv1.ScanCodeRequest{Code: huge})
			if err != nil {
				return err
			}
			return status.Error(codes.FailedPrecondition, resp.GetMessage())
		},
		"refuse": func() error {
			_, err := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).RefuseInspection(ctx, &ruqiv1.RefuseInspectionRequest{InspectionId: huge, Reason: "未出示检查码"})
			return err
		},
		"issue token": func() error {
			_, err := ruqiv1.NewAdminServiceClient(w.conn(w.admin)).IssueAccessToken(ctx, &ruqiv1.IssueAccessTokenRequest{Role: ruqiv1.Role_ROLE_ENTERPRISE, Subject: huge})
			return err
		},
	}
	for name, call := range calls {
		err := call()
		st := status.Convert(err)
		if err == nil || st.Code() == codes.Unknown || st.Code() == codes.Internal {
			t.Errorf("%s: got %v, want a refusal", name, err)
			continue
		}
		size := len(st.Message())
		for _, d := range st.Details() {
			size += proto.Size(d.(proto.Message))
		}
		if size > 4<<10 || !hasCJK(st.Message()) {
			t.Errorf("%s: %s with %d bytes of message and details, want a Chinese message under 4 KiB: %.200s", name, st.Code(), size, st.Message())
		}
	}
}
