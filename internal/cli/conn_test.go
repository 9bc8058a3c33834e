package cli

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
)

// fakeServer stands in for the ruqi server in memory: it answers from
// canned values and records the authorization header it saw.
type fakeServer struct {
	ruqiv1.UnimplementedEnterpriseServiceServer
	ruqiv1.UnimplementedInspectionServiceServer
	ruqiv1.UnimplementedAdminServiceServer

	authorization string
	scan          *ruqiv1.ScanCodeResponse
	registerErr   error
	verify        *ruqiv1.VerifyEventLogResponse
}

func (f *fakeServer) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	f.authorization = strings.Join(md.Get("authorization"), ",")
}

func (f *fakeServer) ScanCode(ctx context.Context, _ *ruqiv1.ScanCodeRequest) (*ruqiv1.ScanCodeResponse, error) {
	f.record(ctx)
	return f.scan, nil
}

func (f *fakeServer) RegisterInspection(ctx context.Context, _ *ruqiv1.RegisterInspectionRequest) (*ruqiv1.RegisterInspectionResponse, error) {
	f.record(ctx)
	return nil, f.registerErr
}

func (f *fakeServer) VerifyEventLog(ctx context.Context, _ *ruqiv1.VerifyEventLogRequest) (*ruqiv1.VerifyEventLogResponse, error) {
	f.record(ctx)
	return f.verify, nil
}

func (f *fakeServer) IssueAccessToken(ctx context.Context, _ *ruqiv1.IssueAccessTokenRequest) (*ruqiv1.IssueAccessTokenResponse, error) {
	f.record(ctx)
	return &ruqiv1.IssueAccessTokenResponse{Token: "rq_secret", TokenId: "T-1"}, nil
}

// runAgainst runs the command line against f over an in-memory connection.
func runAgainst(t *testing.T, f *fakeServer, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runServing(t, func(srv *grpc.Server) {
		ruqiv1.RegisterEnterpriseServiceServer(srv, f)
		ruqiv1.RegisterInspectionServiceServer(srv, f)
		ruqiv1.RegisterAdminServiceServer(srv, f)
	}, env, args...)
}

// runServing runs the command line against the services register puts on
// an in-memory server.
func runServing(t *testing.T, register func(*grpc.Server), env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	register(srv)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	var out, errOut bytes.Buffer
	a, _, _ := testApp(env)
	a.stdout, a.stderr = &out, &errOut
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	code = a.run(append([]string{"--server", "passthrough:///bufnet"}, args...))
	return code, out.String(), errOut.String()
}

func TestScan_SendsBearerToken(t *testing.T) {
	f := &fakeServer{scan: sampleScanResponse()}
	code, _, stderr := runAgainst(t, f, map[string]string{envToken: "rq_enterprise"}, "company", "scan", "TOKEN")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if f.authorization != "Bearer rq_enterprise" {
		t.Errorf("authorization %q, want %q", f.authorization, "Bearer rq_enterprise")
	}
}

func TestScan_NotValidExitsThree(t *testing.T) {
	f := &fakeServer{scan: &ruqiv1.ScanCodeResponse{Verdict: ruqiv1.Verdict_VERDICT_EXPIRED, Message: "入企码已过期"}}
	code, stdout, _ := runAgainst(t, f, nil, "company", "scan", "TOKEN")
	if code != exitNotValid {
		t.Errorf("exit %d, want %d", code, exitNotValid)
	}
	assertContains(t, stdout, "核验未通过：已过期", "入企码已过期")
}

func capError() error {
	st, err := status.New(codes.ResourceExhausted, "该企业本年度已接受 2 次本部门检查，达到上限").
		WithDetails(&errdetails.ErrorInfo{Reason: "FREQUENCY_CAP", Domain: "ruqi", Metadata: map[string]string{"limit": "2", "period": "2026"}})
	if err != nil {
		panic(err)
	}
	return st.Err()
}

func TestServerError_TableShowsErrorInfo(t *testing.T) {
	f := &fakeServer{registerErr: capError()}
	code, stdout, stderr := runAgainst(t, f, nil, append([]string{"officer", "register"},
		withBase("--from", "now", "--duration", "2h")...)...)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	if stdout != "" {
		t.Errorf("stdout %q, want nothing", stdout)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 2 {
		t.Fatalf("stderr has %d lines, want 2:\n%s", len(lines), stderr)
	}
	if want := "错误：该企业本年度已接受 2 次本部门检查，达到上限（超出限额）"; lines[0] != want {
		t.Errorf("line 1 %q, want %q", lines[0], want)
	}
	if want := "错误代码：FREQUENCY_CAP（limit=2，period=2026）"; lines[1] != want {
		t.Errorf("line 2 %q, want %q", lines[1], want)
	}
}

func TestServerError_JSONShowsStatus(t *testing.T) {
	f := &fakeServer{registerErr: capError()}
	code, _, stderr := runAgainst(t, f, nil, append([]string{"-o", "json", "officer", "register"},
		withBase("--from", "now", "--duration", "2h")...)...)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	assertContains(t, stderr, "错误：", "FREQUENCY_CAP", "type.googleapis.com/google.rpc.ErrorInfo")
}

func TestRegister_UnavailableSuggestsSameRequestID(t *testing.T) {
	f := &fakeServer{registerErr: status.Error(codes.Unavailable, "协调服务暂不可用，请稍后重试")}
	code, _, stderr := runAgainst(t, f, nil, append([]string{"officer", "register", "--request-id", "req-42"},
		withBase("--from", "now", "--duration", "2h")...)...)
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	assertContains(t, stderr, "--request-id req-42", "协调服务暂不可用")
}

func TestEventsVerify_BrokenExitsOne(t *testing.T) {
	f := &fakeServer{verify: &ruqiv1.VerifyEventLogResponse{Events: 10, Intact: false, FirstBrokenSeq: 7}}
	code, stdout, stderr := runAgainst(t, f, nil, "admin", "events", "verify")
	if code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	assertContains(t, stdout, "已损坏", "7")
	assertContains(t, stderr, "序号 7")

	f = &fakeServer{verify: &ruqiv1.VerifyEventLogResponse{Events: 10, Intact: true, CheckpointSize: 10, CheckpointMatches: true}}
	if code, _, stderr := runAgainst(t, f, nil, "admin", "events", "verify"); code != exitOK {
		t.Errorf("intact log: exit %d: %s", code, stderr)
	}

	// An intact chain under a checkpoint it does not match: rewritten
	// after the checkpoint was signed.
	f = &fakeServer{verify: &ruqiv1.VerifyEventLogResponse{Events: 10, Intact: true, CheckpointSize: 8, CheckpointProblem: "根哈希不符"}}
	code, stdout, stderr = runAgainst(t, f, nil, "admin", "events", "verify")
	if code != exitError {
		t.Errorf("rewritten log: exit %d, want %d", code, exitError)
	}
	assertContains(t, stdout, "否：根哈希不符")
	assertContains(t, stderr, "与签名检查点不符", "根哈希不符")
}

func TestTokenIssue_Quiet(t *testing.T) {
	f := &fakeServer{}
	code, stdout, stderr := runAgainst(t, f, nil, "admin", "token", "issue", "-q", "--role", "officer", "--subject", "O-0001")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if stdout != "rq_secret\n" {
		t.Errorf("stdout %q, want the bare token", stdout)
	}
}

// A registration refused before anything was written (the coordinator down,
// the replica's policies not the store's) gets no "may have taken effect"
// hint; one whose answer was lost does (above).
func TestRegister_RefusedBeforeWriting_NoRetryHint(t *testing.T) {
	for _, reason := range []string{"COORDINATOR_UNAVAILABLE", "POLICY_DIFFERS", "REGISTRATION_RESEEDED"} {
		st, err := status.New(codes.Unavailable, "报备暂时无法办理").WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "ruqi.v1"})
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeServer{registerErr: st.Err()}
		_, _, stderr := runAgainst(t, f, nil, append([]string{"officer", "register", "--request-id", "req-42"},
			withBase("--from", "now", "--duration", "2h")...)...)
		if strings.Contains(stderr, "可能已经生效") {
			t.Errorf("%s: %s", reason, stderr)
		}
	}
}

// gRPC's own English, about the connection, is said in Chinese with the
// original beside it; the server's Chinese messages are shown as they are.
func TestTransportErrors_SaidInChinese(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{status.Error(codes.Unavailable, "error reading from server: EOF"), "无法连接服务器"},
		{status.Error(codes.Unavailable, `connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:1: connect: connection refused"`), "无法连接服务器"},
		{status.Error(codes.Unknown, "http2: frame too large"), "不是 gRPC"},
		{status.Error(codes.Internal, "unexpected HTTP status code received from server: 404 (Not Found)"), "不是 gRPC"},
	} {
		f := &fakeServer{registerErr: c.err}
		_, _, stderr := runAgainst(t, f, nil, append([]string{"officer", "register"}, withBase("--from", "now", "--duration", "2h")...)...)
		if line := errorLine(stderr); !strings.Contains(line, c.want) || !strings.Contains(stderr, "详情："+status.Convert(c.err).Message()) {
			t.Errorf("%v:\n%s\nwant %q in the error line, the original as 详情", c.err, stderr, c.want)
		}
	}
	f := &fakeServer{registerErr: status.Error(codes.Unavailable, "协调服务暂不可用，请稍后重试")}
	_, _, stderr := runAgainst(t, f, nil, append([]string{"officer", "register"}, withBase("--from", "now", "--duration", "2h")...)...)
	if errorLine(stderr) != "错误：协调服务暂不可用，请稍后重试（服务暂不可用）" || strings.Contains(stderr, "详情") {
		t.Errorf("a server's message: %s", stderr)
	}
}

// errorLine is the line of stderr that starts with "错误：".
func errorLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "错误：") {
			return l
		}
	}
	return ""
}

func TestServerAddr_URLRefused(t *testing.T) {
	for _, addr := range []string{"http://127.0.0.1:7400", "https://ruqi.example:443", "127.0.0.1", "127.0.0.1:abc", "", ":7400", "127.0.0.1:0"} {
		if err := checkServerAddr(addr); err == nil || !strings.Contains(err.Error(), "主机:端口，如 127.0.0.1:7400") {
			t.Errorf("--server %s: %v", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:7400", "ruqi.example:443", "dns:///ruqi.example:443", "[::1]:7400", "unix:/run/ruqi/grpc.sock", "dns:127.0.0.1:7400", "passthrough:///bufnet"} {
		if err := checkServerAddr(addr); err != nil {
			t.Errorf("--server %s: %v", addr, err)
		}
	}
}

// A registration refused for a --type that does not go with --plan,
// --trigger or --draw, or a 专项 without --plan, said so in the server's
// words only ("请填写计划编号", "请不要填写触发依据"): the CLI's hint names
// the flag to add or drop, as it does for --trigger and --officers (an
// officer's month, 2026-12-07).
func TestServerError_TypeAndReferenceHintsNameTheFlag(t *testing.T) {
	for reason, flag := range map[string]string{
		"PLAN_MISSING":           "--plan",
		"PLAN_FOR_OTHER_TYPE":    "--plan",
		"TRIGGER_FOR_OTHER_TYPE": "--trigger",
		"DRAW_NOT_RANDOM":        "--draw",
	} {
		st, err := status.New(codes.InvalidArgument, "服务器的说明").WithDetails(&errdetails.ErrorInfo{Reason: reason, Domain: "ruqi.v1"})
		if err != nil {
			t.Fatal(err)
		}
		a, _, _ := testApp(nil)
		var stderr strings.Builder
		a.printErrorTo(&stderr, st.Err())
		if !strings.Contains(stderr.String(), "提示：") || !strings.Contains(stderr.String(), flag) {
			t.Errorf("%s: stderr %q; want a hint naming %s", reason, stderr.String(), flag)
		}
	}
}
