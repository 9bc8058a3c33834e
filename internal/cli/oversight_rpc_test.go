package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// oversightServer fakes the RPCs added for results, evaluations,
// complaints, leads, token revocation and certificates. It answers from
// canned values and keeps the last request of each method.
type oversightServer struct {
	ruqiv1.UnimplementedInspectionServiceServer
	ruqiv1.UnimplementedEnterpriseServiceServer
	ruqiv1.UnimplementedSupervisionServiceServer
	ruqiv1.UnimplementedAdminServiceServer
	ruqiv1.UnimplementedDirectoryServiceServer

	mu            sync.Mutex
	requests      map[string]proto.Message
	authorization string

	history *ruqiv1.ListInspectionsResponse
	refused *ruqiv1.RefuseInspectionResponse
	summary *ruqiv1.GetEvaluationSummaryResponse
	events  *ruqiv1.ListEventsResponse
}

func (f *oversightServer) got(ctx context.Context, method string, req proto.Message) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.requests == nil {
		f.requests = map[string]proto.Message{}
	}
	f.requests[method] = req
	md, _ := metadata.FromIncomingContext(ctx)
	f.authorization = strings.Join(md.Get("authorization"), ",")
}

// request returns the last request of method, nil if none came.
func (f *oversightServer) request(method string) proto.Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[method]
}

func (f *oversightServer) RegisterInspection(ctx context.Context, req *ruqiv1.RegisterInspectionRequest) (*ruqiv1.RegisterInspectionResponse, error) {
	f.got(ctx, "RegisterInspection", req)
	resp := sampleRegisterResponse()
	resp.Inspection.Late = req.GetLateReason() != ""
	resp.Inspection.LateReason = req.GetLateReason()
	return resp, nil
}

func (f *oversightServer) RecordResult(ctx context.Context, req *ruqiv1.RecordResultRequest) (*ruqiv1.RecordResultResponse, error) {
	f.got(ctx, "RecordResult", req)
	resp := sampleRecordResultResponse()
	resp.Inspection.Result.Items = req.GetItems()
	if !req.GetClose() {
		resp.Inspection.State = ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED
		resp.Inspection.CompletedAt = nil
	}
	return resp, nil
}

func (f *oversightServer) ListPriorResults(ctx context.Context, req *ruqiv1.ListPriorResultsRequest) (*ruqiv1.ListPriorResultsResponse, error) {
	f.got(ctx, "ListPriorResults", req)
	return &ruqiv1.ListPriorResultsResponse{Results: []*ruqiv1.InspectionResult{sampleResult()}}, nil
}

func (f *oversightServer) GetEvaluationSummary(ctx context.Context, req *ruqiv1.GetEvaluationSummaryRequest) (*ruqiv1.GetEvaluationSummaryResponse, error) {
	f.got(ctx, "GetEvaluationSummary", req)
	return f.summary, nil
}

func (f *oversightServer) ListInspections(ctx context.Context, req *ruqiv1.ListInspectionsRequest) (*ruqiv1.ListInspectionsResponse, error) {
	f.got(ctx, "ListInspections", req)
	return f.history, nil
}

func (f *oversightServer) RefuseInspection(ctx context.Context, req *ruqiv1.RefuseInspectionRequest) (*ruqiv1.RefuseInspectionResponse, error) {
	f.got(ctx, "RefuseInspection", req)
	return f.refused, nil
}

func (f *oversightServer) EvaluateInspection(ctx context.Context, req *ruqiv1.EvaluateInspectionRequest) (*ruqiv1.EvaluateInspectionResponse, error) {
	f.got(ctx, "EvaluateInspection", req)
	return &ruqiv1.EvaluateInspectionResponse{}, nil
}

func (f *oversightServer) Complain(ctx context.Context, req *ruqiv1.ComplainRequest) (*ruqiv1.ComplainResponse, error) {
	f.got(ctx, "Complain", req)
	return &ruqiv1.ComplainResponse{LeadId: "L-0042"}, nil
}

func (f *oversightServer) ListLeads(ctx context.Context, req *ruqiv1.ListLeadsRequest) (*ruqiv1.ListLeadsResponse, error) {
	f.got(ctx, "ListLeads", req)
	// Two pages, as the server answers a list longer than page_size.
	if req.GetPageToken() == "" {
		return &ruqiv1.ListLeadsResponse{Leads: []*ruqiv1.Lead{sampleLead()}, NextPageToken: "page-2"}, nil
	}
	second := sampleLead()
	second.Id = "L-0002"
	return &ruqiv1.ListLeadsResponse{Leads: []*ruqiv1.Lead{second}}, nil
}

func (f *oversightServer) UpdateLead(ctx context.Context, req *ruqiv1.UpdateLeadRequest) (*ruqiv1.UpdateLeadResponse, error) {
	f.got(ctx, "UpdateLead", req)
	l := sampleLead()
	l.Id, l.Status = req.GetLeadId(), req.GetStatus()
	l.Steps = append(l.Steps, &ruqiv1.LeadStep{Status: req.GetStatus(), At: tspb(testNow), By: "supervisor:510100", Note: req.GetNote()})
	return &ruqiv1.UpdateLeadResponse{Lead: l}, nil
}

func (f *oversightServer) ListEvaluations(ctx context.Context, req *ruqiv1.ListEvaluationsRequest) (*ruqiv1.ListEvaluationsResponse, error) {
	f.got(ctx, "ListEvaluations", req)
	return &ruqiv1.ListEvaluationsResponse{Evaluations: []*ruqiv1.Evaluation{sampleEvaluation()}}, nil
}

func (f *oversightServer) IssueAccessToken(ctx context.Context, req *ruqiv1.IssueAccessTokenRequest) (*ruqiv1.IssueAccessTokenResponse, error) {
	f.got(ctx, "IssueAccessToken", req)
	return &ruqiv1.IssueAccessTokenResponse{Token: "rq_agency", TokenId: "T-9"}, nil
}

func (f *oversightServer) RevokeAccessToken(ctx context.Context, req *ruqiv1.RevokeAccessTokenRequest) (*ruqiv1.RevokeAccessTokenResponse, error) {
	f.got(ctx, "RevokeAccessToken", req)
	return &ruqiv1.RevokeAccessTokenResponse{}, nil
}

func (f *oversightServer) ListEvents(ctx context.Context, req *ruqiv1.ListEventsRequest) (*ruqiv1.ListEventsResponse, error) {
	f.got(ctx, "ListEvents", req)
	return f.events, nil
}

func (f *oversightServer) SetCertificateStatus(ctx context.Context, req *ruqiv1.SetCertificateStatusRequest) (*ruqiv1.SetCertificateStatusResponse, error) {
	f.got(ctx, "SetCertificateStatus", req)
	return &ruqiv1.SetCertificateStatusResponse{Officer: &ruqiv1.Officer{
		Id: req.GetOfficerId(), Name: "张三", AgencyId: "A-SCJG", CertificateStatus: req.GetStatus(),
		CertificateValidUntil: timestamppb.New(time.Now().AddDate(1, 0, 0))}}, nil
}

// serveOn starts a gRPC server with f's services on an in-memory listener
// and returns an app that dials it.
func serveOn(t *testing.T, f *oversightServer, env map[string]string, opts ...grpc.ServerOption) (*app, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer(opts...)
	ruqiv1.RegisterInspectionServiceServer(srv, f)
	ruqiv1.RegisterEnterpriseServiceServer(srv, f)
	ruqiv1.RegisterSupervisionServiceServer(srv, f)
	ruqiv1.RegisterAdminServiceServer(srv, f)
	ruqiv1.RegisterDirectoryServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	a, out, errOut := testApp(env)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	return a, out, errOut
}

// runOversight runs args against f and returns the exit code and output.
func runOversight(t *testing.T, f *oversightServer, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	a, out, errOut := serveOn(t, f, nil)
	code = a.run(append([]string{"--server", "passthrough:///bufnet"}, args...))
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, f *oversightServer, args ...string) string {
	t.Helper()
	code, stdout, stderr := runOversight(t, f, args...)
	if code != exitOK {
		t.Fatalf("ruqi %v: exit %d\n%s%s", args, code, stdout, stderr)
	}
	return stdout
}

func TestRPC_OfficerResult(t *testing.T) {
	f := &oversightServer{}
	out := mustRun(t, f, "officer", "result", "--inspection", "INS-0001",
		"--item", "CI-0001=no-problem", "--item", "CI-0002=rectify:2026-12-31", "--note", "CI-0002=限期清理",
		"--summary", "总体良好", "--close")
	req := f.request("RecordResult").(*ruqiv1.RecordResultRequest)
	if req.GetInspectionId() != "INS-0001" || !req.GetClose() || req.GetSummary() != "总体良好" || len(req.GetItems()) != 2 {
		t.Fatalf("request %v", req)
	}
	it := req.GetItems()[1]
	if it.GetOutcome() != ruqiv1.ItemOutcome_ITEM_OUTCOME_RECTIFICATION_ORDERED || it.GetNote() != "限期清理" ||
		!it.GetRectificationDeadline().AsTime().Equal(time.Date(2026, 12, 31, 23, 59, 59, 0, shanghai)) {
		t.Errorf("item %v", it)
	}
	assertContains(t, out, "已记录检查结果", "已办结", "责令整改", "2026-12-31 23:59", "限期清理")

	code, _, stderr := runOversight(t, &oversightServer{}, "officer", "result", "--inspection", "INS-0001", "--item", "CI-0002=rectify")
	if code != exitUsage {
		t.Errorf("rectify without a deadline: exit %d, want %d (%s)", code, exitUsage, stderr)
	}
}

func TestRPC_OfficerPrior(t *testing.T) {
	f := &oversightServer{}
	out := mustRun(t, f, "officer", "prior", "--enterprise", ourUSCC)
	if got := f.request("ListPriorResults").(*ruqiv1.ListPriorResultsRequest).GetEnterpriseUscc(); got != ourUSCC {
		t.Errorf("enterprise %q", got)
	}
	assertContains(t, out, "报备编号", "记录时间", "首违不罚")

	if code, _, _ := runOversight(t, &oversightServer{}, "officer", "prior", "--enterprise", "123"); code != exitUsage {
		t.Errorf("bad USCC: exit %d, want %d", code, exitUsage)
	}
}

func TestRPC_OfficerEvaluations(t *testing.T) {
	f := &oversightServer{summary: &ruqiv1.GetEvaluationSummaryResponse{Summary: &ruqiv1.EvaluationSummary{
		AgencyId: "A-SCJG", Evaluations: 2, MinCount: 5}}}
	out := mustRun(t, f, "officer", "evaluations", "--agency", "A-SCJG")
	if got := f.request("GetEvaluationSummary").(*ruqiv1.GetEvaluationSummaryRequest).GetAgencyId(); got != "A-SCJG" {
		t.Errorf("agency %q", got)
	}
	assertContains(t, out, "已公开的评价不足5条（评价在月份结束一天后成批计入")
}

func TestRPC_OfficerRegisterLate(t *testing.T) {
	f := &oversightServer{}
	out := mustRun(t, f, append([]string{"officer", "register"},
		withBase("--from", "now-20h", "--duration", "1h", "--late-reason", "夜间紧急处置")...)...)
	req := f.request("RegisterInspection").(*ruqiv1.RegisterInspectionRequest)
	if req.GetLateReason() != "夜间紧急处置" || !req.GetWindowStart().AsTime().Equal(testNow.Add(-20*time.Hour)) {
		t.Errorf("request %v", req)
	}
	assertContains(t, out, "报备成功", "事后补录", "夜间紧急处置")
}

func TestRPC_CompanyEvaluate(t *testing.T) {
	f := &oversightServer{}
	out := mustRun(t, f, "company", "evaluate", "--inspection", "INS-0001", "--certificate-shown=true",
		"--rights-explained=false", "--conducted-properly=true", "--overall", "5", "--comment", "很规范")
	req := f.request("EvaluateInspection").(*ruqiv1.EvaluateInspectionRequest)
	want := &ruqiv1.EvaluateInspectionRequest{InspectionId: "INS-0001", CertificateShown: true, ConductedProperly: true, Overall: 5, Comment: "很规范"}
	if !proto.Equal(req, want) {
		t.Errorf("request %v, want %v", req, want)
	}
	assertContains(t, out, "已提交评价")

	f = &oversightServer{}
	code, _, stderr := runOversight(t, f, "company", "evaluate", "--inspection", "INS-0001", "--certificate-shown=true",
		"--rights-explained=true", "--conducted-properly=true", "--overall", "6")
	if code != exitUsage {
		t.Errorf("--overall 6: exit %d, want %d", code, exitUsage)
	}
	assertContains(t, stderr, "1至5")
	if f.request("EvaluateInspection") != nil {
		t.Error("an out-of-range score reached the server")
	}
}

func TestRPC_CompanyComplain(t *testing.T) {
	f := &oversightServer{}
	out := mustRun(t, f, "company", "complain", "--officer", "51010020240001", "--at", "now-2h", "--description", "未出示入企码")
	req := f.request("Complain").(*ruqiv1.ComplainRequest)
	if req.GetOfficerClaimed() != "51010020240001" || req.GetDescription() != "未出示入企码" ||
		!req.GetOccurredAt().AsTime().Equal(testNow.Add(-2*time.Hour)) {
		t.Errorf("request %v", req)
	}
	assertContains(t, out, "L-0042")

	out = mustRun(t, &oversightServer{}, "-o", "json", "company", "complain", "--inspection", "INS-0001", "--description", "x")
	var resp ruqiv1.ComplainResponse
	if err := protojson.Unmarshal([]byte(out), &resp); err != nil || resp.GetLeadId() != "L-0042" {
		t.Errorf("json output %q: %v", out, err)
	}
}

func TestRPC_CompanyHistoryAndRefuse(t *testing.T) {
	f := &oversightServer{
		history: sampleHistory(),
		refused: &ruqiv1.RefuseInspectionResponse{EventSeq: 3, LeadId: "L-0003", Advisory: true, Message: "试运行阶段：仅作提示"},
	}
	out := mustRun(t, f, "company", "history")
	assertContains(t, out, "今年被检查2次，去年5次", "已评价", "待评价", "检查结果：", "责令整改")

	out = mustRun(t, f, "company", "refuse", "--inspection", "INS-0001", "--reason", "未出示入企码")
	assertContains(t, out, "L-0003", "⚠ 请注意：试运行阶段：仅作提示")
}

func TestRPC_Supervisor(t *testing.T) {
	f := &oversightServer{}
	out := mustRun(t, f, "supervisor", "leads", "--status", "checking")
	if got := f.request("ListLeads").(*ruqiv1.ListLeadsRequest).GetStatus(); got != ruqiv1.LeadStatus_LEAD_STATUS_CHECKING {
		t.Errorf("status %v", got)
	}
	assertContains(t, out, "线索编号", "L-0001", "企业投诉", "核查中")

	mustRun(t, f, "supervisor", "leads")
	if got := f.request("ListLeads").(*ruqiv1.ListLeadsRequest).GetStatus(); got != ruqiv1.LeadStatus_LEAD_STATUS_UNSPECIFIED {
		t.Errorf("no --status sent %v", got)
	}

	if req := f.request("ListLeads").(*ruqiv1.ListLeadsRequest); req.GetPageToken() != "page-2" || req.GetPageSize() != 500 {
		t.Errorf("last request %v: want the second page, 500 a page", req)
	}
	assertContains(t, out, "L-0001", "L-0002")

	out = mustRun(t, f, "-o", "json", "supervisor", "leads")
	assertContains(t, out, `"steps"`, `"LEAD_STATUS_RECEIVED"`, `"L-0001"`, `"L-0002"`)
	if strings.Contains(out, "page-2") {
		t.Errorf("the page token reached the user: %s", out)
	}

	out = mustRun(t, f, "supervisor", "lead", "update", "--lead", "L-0001", "--status", "transferred", "--note", "移交纪委")
	req := f.request("UpdateLead").(*ruqiv1.UpdateLeadRequest)
	if req.GetLeadId() != "L-0001" || req.GetStatus() != ruqiv1.LeadStatus_LEAD_STATUS_TRANSFERRED || req.GetNote() != "移交纪委" {
		t.Errorf("request %v", req)
	}
	assertContains(t, out, "已更新为：已移交纪委", "处理经过", "移交纪委")

	out = mustRun(t, f, "supervisor", "evaluations", "--agency", "A-SCJG")
	if got := f.request("ListEvaluations").(*ruqiv1.ListEvaluationsRequest).GetAgencyId(); got != "A-SCJG" {
		t.Errorf("agency %q", got)
	}
	assertContains(t, out, ourUSCC, "未告知申辩权利")

	for _, args := range [][]string{
		{"supervisor", "leads", "--status", "open"},
		{"supervisor", "lead", "update", "--lead", "L-0001", "--status", "received", "--note", "x"},
		{"supervisor", "lead", "update", "--lead", "L-0001", "--status", "checking"},
	} {
		if code, _, stderr := runOversight(t, &oversightServer{}, args...); code != exitUsage {
			t.Errorf("ruqi %v: exit %d, want %d (%s)", args, code, exitUsage, stderr)
		}
	}
}

func TestRPC_AdminTokenAndCertificates(t *testing.T) {
	f := &oversightServer{}
	mustRun(t, f, "admin", "token", "issue", "--role", "agency-admin", "--subject", "A-SCJG")
	if got := f.request("IssueAccessToken").(*ruqiv1.IssueAccessTokenRequest); got.GetRole() != ruqiv1.Role_ROLE_AGENCY_ADMIN || got.GetSubject() != "A-SCJG" {
		t.Errorf("issue request %v", got)
	}

	out := mustRun(t, f, "admin", "token", "revoke", "--id", "T-9")
	if got := f.request("RevokeAccessToken").(*ruqiv1.RevokeAccessTokenRequest).GetTokenId(); got != "T-9" {
		t.Errorf("token id %q", got)
	}
	assertContains(t, out, "已吊销令牌 T-9")

	for action, want := range map[string]ruqiv1.CertificateStatus{
		"suspend": ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED,
		"revoke":  ruqiv1.CertificateStatus_CERTIFICATE_STATUS_REVOKED,
		"restore": ruqiv1.CertificateStatus_CERTIFICATE_STATUS_ACTIVE,
	} {
		out := mustRun(t, f, "admin", "officer", action, "--officer", "O-0001", "--reason", "处理决定")
		req := f.request("SetCertificateStatus").(*ruqiv1.SetCertificateStatusRequest)
		if req.GetOfficerId() != "O-0001" || req.GetStatus() != want || req.GetReason() != "处理决定" {
			t.Errorf("%s: request %v", action, req)
		}
		assertContains(t, out, "O-0001", certificateStatusLabel(want))
	}
	if code, _, _ := runOversight(t, &oversightServer{}, "admin", "officer", "suspend", "--officer", "O-0001"); code != exitUsage {
		t.Errorf("suspend without --reason: exit %d, want %d", code, exitUsage)
	}
}

func TestRPC_EventsShowNewLabels(t *testing.T) {
	f := &oversightServer{events: &ruqiv1.ListEventsResponse{Events: []*ruqiv1.Event{
		{Seq: 1, Type: ruqiv1.EventType_EVENT_TYPE_LATE_REGISTERED},
		{Seq: 2, Type: ruqiv1.EventType_EVENT_TYPE_LEAD_OPENED},
		{Seq: 3, Type: ruqiv1.EventType_EVENT_TYPE_CERTIFICATE_CHANGED},
	}}}
	out := mustRun(t, f, "admin", "events", "list")
	assertContains(t, out, "事后补录报备", "生成问题线索", "执法证状态变更")
}

// A server without the new RPCs answers Unimplemented: exit 1, with a hint.
func TestRPC_UnimplementedOnOldServer(t *testing.T) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterSupervisionServiceServer(srv, ruqiv1.UnimplementedSupervisionServiceServer{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	a, _, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	if code := a.run([]string{"--server", "passthrough:///bufnet", "supervisor", "leads"}); code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	assertContains(t, errOut.String(), "（服务器不支持）", "服务器尚不支持此功能")
}

// A server older than the call, without the method at all, answers gRPC's
// "unknown method … for service …": said in Chinese as a server too old,
// where it was printed half in English (an upgrade trial, 2026-12-07).
func TestRPC_UnknownMethodOnOlderServer_SaidAsOld(t *testing.T) {
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	// The service, as an older server has it: without this method.
	srv.RegisterService(&grpc.ServiceDesc{ServiceName: "ruqi.v1.SupervisionService", HandlerType: (*any)(nil)}, struct{}{})
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	a, _, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	if code := a.run([]string{"--server", "passthrough:///bufnet", "supervisor", "leads"}); code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	assertContains(t, errOut.String(), "的版本较旧，没有这项功能")
	if first, _, _ := strings.Cut(errOut.String(), "\n"); strings.Contains(first, "unknown method") {
		t.Errorf("the error line is gRPC's English: %q", first)
	}
}

// selfSignedCert makes a CA-flagged certificate for host, and writes it to a
// PEM file for --tls-ca.
func selfSignedCert(t *testing.T, host string) (tls.Certificate, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: host},
		DNSNames:              []string{host},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, file
}

func TestTLS_RoundTripWithBearer(t *testing.T) {
	cert, ca := selfSignedCert(t, "bufnet")
	f := &oversightServer{}
	a, out, errOut := serveOn(t, f, map[string]string{envTLSCA: ca, envToken: "rq_supervisor"},
		grpc.Creds(credentials.NewServerTLSFromCert(&cert)))
	if code := a.run([]string{"--server", "passthrough:///bufnet", "supervisor", "leads"}); code != exitOK {
		t.Fatalf("exit %d\n%s%s", code, out, errOut)
	}
	f.mu.Lock()
	auth := f.authorization
	f.mu.Unlock()
	if auth != "Bearer rq_supervisor" {
		t.Errorf("authorization %q", auth)
	}
	assertContains(t, out.String(), "L-0001")
}

func TestTLS_PlainServerFails(t *testing.T) {
	_, ca := selfSignedCert(t, "bufnet")
	a, out, errOut := serveOn(t, &oversightServer{}, nil)
	code := a.run([]string{"--server", "passthrough:///bufnet", "--tls-ca", ca, "--timeout", "5s", "supervisor", "leads"})
	if code != exitError {
		t.Errorf("exit %d, want %d\n%s%s", code, exitError, out, errOut)
	}
	assertContains(t, errOut.String(), "TLS")
}

func TestTLS_MissingCAFile(t *testing.T) {
	a, _, errOut := serveOn(t, &oversightServer{}, nil)
	missing := filepath.Join(t.TempDir(), "none.pem")
	if code := a.run([]string{"--server", "passthrough:///bufnet", "--tls-ca", missing, "supervisor", "leads"}); code != exitError {
		t.Errorf("exit %d, want %d", code, exitError)
	}
	assertContains(t, errOut.String(), "读取 CA 证书", missing)
}

func TestBearerToken_RequiresSecurityOnlyOverTLS(t *testing.T) {
	if (bearerToken{token: "x"}).RequireTransportSecurity() {
		t.Error("plain connection: the token must not require transport security")
	}
	if !(bearerToken{token: "x", secure: true}).RequireTransportSecurity() {
		t.Error("TLS connection: the token must require transport security")
	}
}
