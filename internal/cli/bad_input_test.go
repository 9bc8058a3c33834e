package cli

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A reason typed in a GBK terminal is not sent: it was refused by gRPC's
// own marshalling, said as "grpc: error while marshaling: string field
// contains invalid UTF-8（服务器内部错误）" with the hint that the
// registration might have taken effect (a trial of bad input, 2026-12-07).
func TestCLI_FlagNotUTF8_SaidBeforeSending(t *testing.T) {
	f := &oversightServer{}
	code, _, stderr := runOversight(t, f, append([]string{"officer", "register"},
		withBase("--from", "now+2h", "--duration", "1h", "--late-reason", "\xb2\xe2\xca\xd4")...)...)
	if code != exitUsage || !strings.Contains(stderr, "late_reason") || !strings.Contains(stderr, "不是有效的 UTF-8") {
		t.Errorf("exit %d, want %d naming the field:\n%s", code, exitUsage, stderr)
	}
	for _, wrong := range []string{"grpc:", "服务器内部错误", "可能已"} {
		if strings.Contains(stderr, wrong) {
			t.Errorf("says %q:\n%s", wrong, stderr)
		}
	}
	if f.request("RegisterInspection") != nil {
		t.Error("the request was sent")
	}
}

// A request over the server's 1 MiB is refused by gRPC before the server's
// code runs, in English: "grpc: received message larger than max (1200050
// vs. 1048576)" (a trial of bad input, 2026-12-07, with a draw list of
// 60,000 enterprises).
func TestCLI_RequestOverTheLimit_SaidInChinese(t *testing.T) {
	f := &oversightServer{}
	a, _, errOut := serveOn(t, f, nil, grpc.MaxRecvMsgSize(1<<20))
	code := a.run(append([]string{"--server", "passthrough:///bufnet", "officer", "register"},
		withBase("--from", "now+2h", "--duration", "1h", "--reason", strings.Repeat("查", 500_000))...))
	stderr := errOut.String()
	// gRPC's own words may follow on a line of their own, for whoever
	// helps; the error line is in Chinese.
	line, _, _ := strings.Cut(stderr, "\n")
	if code == exitOK || !strings.Contains(line, "消息过大") || !strings.Contains(line, "上限 1.0 MiB") || strings.Contains(line, "grpc:") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

// pagedEvents answers ListEvents as the server does a --latest listing of a
// long stretch: a page at a time, each going on from the last.
type pagedEvents struct {
	ruqiv1.UnimplementedAdminServiceServer
	events []*ruqiv1.Event
	page   int
	calls  []*ruqiv1.ListEventsRequest
}

func (p *pagedEvents) ListEvents(_ context.Context, req *ruqiv1.ListEventsRequest) (*ruqiv1.ListEventsResponse, error) {
	p.calls = append(p.calls, req)
	from := 0
	if !req.GetLatest() {
		from = int(req.GetAfterSeq())
	}
	page := p.page
	if l := int(req.GetLimit()); l > 0 && l < page {
		page = l
	}
	resp := &ruqiv1.ListEventsResponse{}
	for _, e := range p.events[from:] {
		if len(resp.Events) == page {
			resp.NextAfterSeq = e.GetSeq() - 1
			break
		}
		resp.Events = append(resp.Events, e)
	}
	return resp, nil
}

// `admin events list --latest --limit 3` listed the oldest three events of
// the log's last 50,000, "--warnings --latest" the stretch's oldest
// warnings (a trial of the replicas, 2026-12-07): it reads to the end now,
// as the dashboard does, and lists the newest.
func TestAdminEventsList_Latest_ListsTheNewest(t *testing.T) {
	p := &pagedEvents{page: 4}
	for i := 1; i <= 10; i++ {
		p.events = append(p.events, &ruqiv1.Event{Seq: uint64(i), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, Time: timestamppb.Now(),
			InspectionId: fmt.Sprintf("INS-20261207-AAAAAA%02d", i)})
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterAdminServiceServer(srv, p)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	a, out, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	if code := a.run([]string{"--server", "passthrough:///bufnet", "admin", "events", "list", "--latest", "--limit", "3"}); code != exitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for i := 1; i <= 7; i++ {
		if strings.Contains(out.String(), fmt.Sprintf("AAAAAA%02d", i)) {
			t.Errorf("event %d of 10 listed, want only the newest three:\n%s", i, out)
		}
	}
	for i := 8; i <= 10; i++ {
		if !strings.Contains(out.String(), fmt.Sprintf("AAAAAA%02d", i)) {
			t.Errorf("event %d of 10 not listed:\n%s", i, out)
		}
	}
	if !strings.Contains(errOut.String(), "较早的 7 条未列出") || strings.Contains(out.String(), "--after") {
		t.Errorf("what was left out, or a hint to go on past the end:\n%s%s", out, errOut)
	}
	// Each call answers as many as it may, not three.
	if len(p.calls) != 3 || !p.calls[0].GetLatest() || p.calls[0].GetLimit() != 0 || p.calls[1].GetLatest() || p.calls[1].GetAfterSeq() != 4 {
		t.Errorf("calls %v", p.calls)
	}
}

// A refusal without a code whose default request id (the reason's and the
// day's) named an earlier one is told how to record another: a second
// officer turned away the same day was the first refusal (a trial as an
// enterprise, 2026-12-07). With --request-id given, nothing is added.
func TestCompanyRefuse_RepeatedByDefaultID_SaysHowToRecordAnother(t *testing.T) {
	f := &oversightServer{refused: &ruqiv1.RefuseInspectionResponse{LeadId: "L-0123456789ABCDEF", Repeated: true, Message: "此前已记录拒绝检查"}}
	code, _, stderr := runOversight(t, f, "company", "refuse", "--reason", "执法人员未出示入企码")
	if code != exitOK || !strings.Contains(stderr, "--request-id 另一个编号") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	code, _, stderr = runOversight(t, f, "company", "refuse", "--reason", "执法人员未出示入企码", "--request-id", "mine-1")
	if code != exitOK || strings.Contains(stderr, "--request-id 另一个编号") {
		t.Errorf("with --request-id: exit %d:\n%s", code, stderr)
	}
}
