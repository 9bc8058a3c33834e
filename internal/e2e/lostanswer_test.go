package e2e

import (
	"context"
	"io"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// rawCodec passes messages through the proxy as bytes.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(b []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), b...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

// lossyProxy stands between the CLI and the server as a flaky network does:
// it forwards every call, and for the next call of a method given to drop
// it lets the server answer, then tells the client the connection broke
// (UNAVAILABLE): the call took effect, its answer was lost.
type lossyProxy struct {
	addr string
	mu   sync.Mutex
	drop map[string]int // full method name → answers still to lose
}

func startLossyProxy(t *testing.T, target string) *lossyProxy {
	t.Helper()
	cc, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cc.Close() })
	p := &lossyProxy{drop: map[string]int{}}
	handler := func(_ any, ss grpc.ServerStream) error {
		method, _ := grpc.MethodFromServerStream(ss)
		md, _ := metadata.FromIncomingContext(ss.Context())
		cs, err := cc.NewStream(metadata.NewOutgoingContext(context.Background(), md.Copy()),
			&grpc.StreamDesc{ServerStreams: true, ClientStreams: true}, method)
		if err != nil {
			return err
		}
		p.mu.Lock()
		lose := p.drop[method] > 0
		if lose {
			p.drop[method]--
		}
		p.mu.Unlock()
		go func() {
			for {
				var m []byte
				if err := ss.RecvMsg(&m); err != nil {
					cs.CloseSend()
					return
				}
				if err := cs.SendMsg(&m); err != nil {
					return
				}
			}
		}()
		for {
			var m []byte
			if err := cs.RecvMsg(&m); err != nil {
				if lose {
					return status.Error(codes.Unavailable, "connection reset by peer")
				}
				if err == io.EOF {
					return nil
				}
				return err
			}
			if !lose {
				if err := ss.SendMsg(&m); err != nil {
					return err
				}
			}
		}
	}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(handler), grpc.ForceServerCodec(rawCodec{}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	p.addr = l.Addr().String()
	return p
}

// loseNext makes the next call of method lose its answer.
func (p *lossyProxy) loseNext(method string) {
	p.mu.Lock()
	p.drop[method]++
	p.mu.Unlock()
}

// cliVia runs the CLI against the proxy instead of the server.
func (w *world) cliVia(p *lossyProxy, token string, args ...string) cliResult {
	w.t.Helper()
	direct := w.grpcAddr
	w.grpcAddr = p.addr
	defer func() { w.grpcAddr = direct }()
	return w.cli(token, args...)
}

// Found by an agency's trial (2026-12-06), fixed since: an officer registers with a relative time (--from now+1h) and the answer
// is lost; the CLI prints the request id and the times to retry with. Doing
// exactly that must answer the inspection registered, not refuse it: the
// hint prints the times to the second, the lost call sent them to the
// nanosecond (time.Now), and the server compares them exactly, so the retry
// is refused as REQUEST_ID_REUSED "本次的企业、事项、人员或时段与之不同，未予报备",
// telling the officer nothing was registered although it was.
func TestLostAnswer_Register_RetryAsHinted_AnswersTheInspection(t *testing.T) {
	w := newWorld(t)
	p := startLossyProxy(t, w.grpcAddr)
	p.loseNext(ruqiv1.InspectionService_RegisterInspection_FullMethodName)
	args := w.registerArgs("now+1h", "now+5h")
	first := w.cliVia(p, w.officer, args...)
	if first.exit == 0 {
		t.Fatalf("the proxy lost no answer:\n%s", first.stdout)
	}
	m := regexp.MustCompile(`--request-id (\S+) --from (\S+) --to (\S+)`).FindStringSubmatch(first.stderr)
	if m == nil {
		t.Fatalf("no retry hint after a lost answer:\n%s", first.stderr)
	}
	retry := w.registerArgs(m[2], m[3])
	retry = append(retry, "--request-id", m[1], "-q")
	r := w.cli(w.officer, retry...)
	if r.exit != 0 {
		t.Errorf("retry as the CLI said (--request-id %s --from %s --to %s): exit %d\n%s", m[1], m[2], m[3], r.exit, r.stderr)
	}
}

// leadsOf lists the leads the region's supervisor sees for an enterprise.
func (w *world) leadsOf(uscc string) []*ruqiv1.Lead {
	w.t.Helper()
	supervisor := w.issueToken("supervisor", "510100")
	var resp ruqiv1.ListLeadsResponse
	mustUnmarshal(w.t, w.mustCLI(supervisor, "-o", "json", "supervisor", "leads"), &resp)
	var out []*ruqiv1.Lead
	for _, l := range resp.GetLeads() {
		if l.GetEnterpriseUscc() == uscc {
			out = append(out, l)
		}
	}
	return out
}

// Found by an agency's trial (2026-12-06), fixed since: an enterprise's complaint whose answer was lost, sent again: one
// complaint, one lead for the 司法局. The CLI sends no request id and the
// API takes none, so the retry opens a second lead and counts a second
// complaint.
func TestLostAnswer_Complain_RetryIsOneLead(t *testing.T) {
	w := newWorld(t)
	p := startLossyProxy(t, w.grpcAddr)
	p.loseNext(ruqiv1.EnterpriseService_Complain_FullMethodName)
	args := []string{"company", "complain", "--officer", "自称王某", "--at", "2026-12-01 10:00", "--description", "未出示入企码"}
	if r := w.cliVia(p, w.entA, args...); r.exit == 0 {
		t.Fatalf("the proxy lost no answer:\n%s", r.stdout)
	}
	w.mustCLI(w.entA, args...)
	if leads := w.leadsOf(w.f.entA); len(leads) != 1 {
		t.Errorf("one complaint sent twice (its first answer lost) made %d leads, want 1: %v", len(leads), leads)
	}
}

// Found by an agency's trial (2026-12-06), fixed since: the same for a refusal of a visit without any code: the API makes it
// idempotent by request_id (RefuseInspectionRequest.request_id), but the
// CLI never sends one, so the retry opens a second refusal lead.
func TestLostAnswer_RefuseWithoutCode_RetryIsOneLead(t *testing.T) {
	w := newWorld(t)
	p := startLossyProxy(t, w.grpcAddr)
	p.loseNext(ruqiv1.EnterpriseService_RefuseInspection_FullMethodName)
	args := []string{"company", "refuse", "--reason", "执法人员未出示入企码"}
	if r := w.cliVia(p, w.entA, args...); r.exit == 0 {
		t.Fatalf("the proxy lost no answer:\n%s", r.stdout)
	}
	w.mustCLI(w.entA, args...)
	if leads := w.leadsOf(w.f.entA); len(leads) != 1 {
		t.Errorf("one refusal sent twice (its first answer lost) made %d leads, want 1: %v", len(leads), leads)
	}
}

// Found by an agency's trial (2026-12-06), fixed since: after a lost answer of a step that has no request id (cancel, record a
// result), the CLI says only that the server cannot be reached and to
// check it is running; the step did take effect, and the officer's retry is
// then refused (ALREADY_CANCELLED, INSPECTION_COMPLETED, exit 1). As for
// registration, the CLI should say the step may have taken effect.
func TestLostAnswer_CancelAndResult_SayMayHaveTakenEffect(t *testing.T) {
	w := newWorld(t)
	p := startLossyProxy(t, w.grpcAddr)
	ins := w.register("now", "now+2h").GetInspection().GetId()
	p.loseNext(ruqiv1.InspectionService_RecordResult_FullMethodName)
	args := []string{"officer", "result", "--inspection", ins, "--close"}
	for _, it := range w.f.items {
		args = append(args, "--item", it+"=no-problem")
	}
	r := w.cliVia(p, w.officer, args...)
	if r.exit == 0 || !strings.Contains(r.stderr, "可能已经") {
		t.Errorf("result, answer lost: exit %d, want a word that it may have been recorded:\n%s", r.exit, r.stderr)
	}
	ins2 := w.registerFor(w.f.entB, "now+1h", "now+2h").GetInspection().GetId()
	p.loseNext(ruqiv1.InspectionService_CancelInspection_FullMethodName)
	r = w.cliVia(p, w.officer, "officer", "cancel", "--inspection", ins2, "--reason", "企业停产")
	if r.exit == 0 || !strings.Contains(r.stderr, "可能已经") {
		t.Errorf("cancel, answer lost: exit %d, want a word that it may have been cancelled:\n%s", r.exit, r.stderr)
	}
}

// Found by an operator's trial (2026-12-06), fixed since: an enterprise complains about a visit in
// the morning and, in the same words, about another in the afternoon (the
// same self-styled officer came back). The CLI's request id is derived from
// the words and the day, so the server answers the morning's lead; the CLI
// prints "已提交投诉" with that lead id as if recorded, and the second visit
// is never before the 司法局. A refusal repeated the same way says
// "此前已记录拒绝检查…不重复记录"; a complaint says nothing.
func TestComplain_SameWordsSameDay_SaysNotRecordedAgain(t *testing.T) {
	w := newWorld(t)
	args := []string{"company", "complain", "--officer", "自称王某", "--description", "未出示入企码，强行进入仓库检查"}
	first := w.mustCLI(w.entA, args...)
	second := w.mustCLI(w.entA, args...)
	t.Logf("first:\n%s\nsecond:\n%s", first, second)
	if leads := w.leadsOf(w.f.entA); len(leads) == 1 && !strings.Contains(second, "已记录") && !strings.Contains(second, "不重复") {
		t.Errorf("a second complaint in the same words on the same day was merged into lead %s, and the CLI said it was submitted:\n%s", leads[0].GetId(), second)
	}
}

// Found by an operator's trial (2026-12-06), fixed since: after a lost answer the CLI prints its
// hint before the error it is about, and then the generic "请确认服务器…已启动"
// under it: read top to bottom, "此操作可能已经记录。原样再运行一次即可" comes
// first, then 错误：无法连接服务器, then advice to check that the server is
// running, which it was (it recorded the complaint).
func TestLostAnswer_ErrorLineFirst_NoServerDownAdvice(t *testing.T) {
	w := newWorld(t)
	px := startLossyProxy(t, w.grpcAddr)
	px.loseNext(ruqiv1.EnterpriseService_Complain_FullMethodName)
	r := w.cliVia(px, w.entA, "company", "complain", "--description", "未出示入企码")
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if !strings.HasPrefix(lines[0], "错误：") {
		t.Errorf("the first line after a lost answer is not the error line:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "已启动且可以连通") {
		t.Errorf("a lost answer (the server took the call) is followed by advice to check the server is running:\n%s", r.stderr)
	}
}

// Reported (2026-12-06): `ruqi plan publish` whose answer
// was lost (the plan was published) and which the officer runs again, as a
// retry: the server refused it, PLAN_ALREADY_PUBLISHED, and the CLI exited
// 1 as if nothing had been published. Publishing what is published is
// answered with the plan as it is, writes nothing, and says so; exit 0.
func TestLostAnswer_PlanPublish_RetrySucceeds(t *testing.T) {
	pw := newPlanWorld(t)
	p := startLossyProxy(t, pw.grpcAddr)
	id := strings.TrimSpace(pw.mustCLI(pw.officer, "plan", "file", "-q", "--type", "routine", "--title", "十二月日常检查",
		"--enterprises", pw.f.entA, "--items", pw.f.items[0], "--from", "now-1h", "--to", "now+720h"))
	p.loseNext(ruqiv1.PlanService_PublishPlan_FullMethodName)
	if r := pw.cliVia(p, pw.officer, "plan", "publish", id); r.exit == 0 {
		t.Fatalf("the proxy lost no answer:\n%s", r.stdout)
	}
	before := pw.eventCount()
	r := pw.cli(pw.officer, "plan", "publish", id)
	if r.exit != 0 {
		t.Fatalf("publish again after a lost answer: exit %d\n%s", r.exit, r.stderr)
	}
	if !strings.Contains(r.stdout, "此前已公示") {
		t.Errorf("the retry does not say the plan was published before:\n%s", r.stdout)
	}
	if after := pw.eventCount(); after != before {
		t.Errorf("the retry wrote %d events, want none", after-before)
	}
	var got ruqiv1.Plan
	mustUnmarshal(t, pw.mustCLI(pw.officer, "-o", "json", "plan", "show", id), &got)
	if vs := got.GetVersions(); len(vs) != 1 || vs[0].GetState() != ruqiv1.PlanState_PLAN_STATE_PUBLISHED {
		t.Errorf("after the retry the plan holds %v", vs)
	}
}

// As publication: a head whose approval's answer was lost runs the same
// command again and is told the version was approved before (exit 0), not
// refused PLAN_ALREADY_APPROVED over a plan it had approved (noticed by a
// review of the publication's fix, 2026-12-06). Nothing is written again.
func TestLostAnswer_PlanApprove_RetrySucceeds(t *testing.T) {
	pw := newPlanWorld(t)
	p := startLossyProxy(t, pw.grpcAddr)
	id := strings.TrimSpace(pw.mustCLI(pw.officer, "plan", "file", "-q", "--type", "special", "--title", "燃气安全专项检查",
		"--enterprises", pw.f.entA, "--items", pw.f.items[0], "--from", "now-1h", "--to", "now+720h", "--reason", "冬季燃气安全"))
	p.loseNext(ruqiv1.PlanService_ApprovePlan_FullMethodName)
	if r := pw.cliVia(p, pw.head, "plan", "approve", id, "--version", "1"); r.exit == 0 {
		t.Fatalf("the proxy lost no answer:\n%s", r.stdout)
	}
	before := pw.eventCount()
	r := pw.cli(pw.head, "plan", "approve", id, "--version", "1")
	if r.exit != 0 {
		t.Fatalf("approve again after a lost answer: exit %d\n%s", r.exit, r.stderr)
	}
	if !strings.Contains(r.stdout, "此前已批准") {
		t.Errorf("the retry does not say the version was approved before:\n%s", r.stdout)
	}
	if after := pw.eventCount(); after != before {
		t.Errorf("the retry wrote %d events, want none", after-before)
	}
	var got ruqiv1.Plan
	mustUnmarshal(t, pw.mustCLI(pw.officer, "-o", "json", "plan", "show", id), &got)
	if vs := got.GetVersions(); len(vs) != 1 || vs[0].GetState() != ruqiv1.PlanState_PLAN_STATE_APPROVED {
		t.Errorf("after the retry the plan holds %v", vs)
	}
}
