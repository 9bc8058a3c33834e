package e2e

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The third routine inspection of one enterprise by one agency in a year is
// refused (涟源: 2 a year), and the refusal says all of what to do: the
// message ends "请按个案检查报备（有事必到）", not "请按个案检查…".
func TestFrequencyCap_MessageNotClipped(t *testing.T) {
	w := newWorld(t)
	w.register("now+1h", "now+2h")
	w.register("now+3h", "now+4h")
	r := w.cli(w.officer, w.registerArgs("now+5h", "now+6h")...)
	if r.exit != 1 || !strings.Contains(r.stderr, "FREQUENCY_CAP") {
		t.Fatalf("third registration: exit %d, want 1 and FREQUENCY_CAP:\n%s%s", r.exit, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "请按个案检查报备（有事必到）") {
		t.Errorf("the cap's message is cut short:\n%s", r.stderr)
	}
}

// An officer fetching the code of a cancelled inspection is told it is
// cancelled, not handed a QR (and a PNG) that the enterprise's scan will
// reject with "企业有权拒绝检查".
func TestOfficerCode_CancelledInspection_Said(t *testing.T) {
	w := newWorld(t)
	id := w.register("now+1h", "now+2h").GetInspection().GetId()
	w.mustCLI(w.officer, "officer", "cancel", "--inspection", id, "--reason", "企业停业")
	png := filepath.Join(t.TempDir(), "code.png")
	r := w.cli(w.officer, "officer", "code", "--inspection", id, "--officer", w.f.officers[0], "--png", png)
	if r.exit == 0 && !strings.Contains(r.stdout+r.stderr, "已撤销") {
		t.Errorf("officer code of a cancelled inspection: exit 0, nothing says it is cancelled:\n%s%s", r.stdout, r.stderr)
	}
}

// A role that may not call a command is told so in its words, without the
// gRPC method's path.
func TestPermissionDenied_NoMethodPath(t *testing.T) {
	w := newWorld(t)
	r := w.cli(w.entA, "officer", "prior", "--enterprise", w.f.entA)
	if r.exit != 1 {
		t.Fatalf("exit %d, want 1:\n%s", r.exit, r.stderr)
	}
	if strings.Contains(r.stderr, "/ruqi.v1.") || strings.Contains(r.stderr, "Service/") {
		t.Errorf("the refusal names the gRPC method:\n%s", r.stderr)
	}
}

// An amendment sent twice (the answer lost, the command run again) is one
// new version, not two identical ones the head must then approve past.
func TestPlanAmend_RetryWritesOneVersion(t *testing.T) {
	w := newWorld(t)
	file := w.cli(w.officer, "plan", "file", "-q", "--type", "special", "--title", "餐饮食品安全专项检查",
		"--region", "510104", "--items", w.f.items[0], "--from", "2026-12-01", "--to", "2027-01-01")
	if file.exit != 0 {
		t.Fatalf("plan file: exit %d\n%s", file.exit, file.stderr)
	}
	plan := strings.TrimSpace(file.stdout)
	w.mustCLI(w.officer, "plan", "amend", plan, "--emergency", "--reason", "食物中毒事件", "--region", "510100")
	again := w.cli(w.officer, "plan", "amend", plan, "--emergency", "--reason", "食物中毒事件", "--region", "510100")
	if again.exit != 1 || !strings.Contains(again.stderr, "PLAN_AMENDMENT_EMPTY") || !strings.Contains(again.stderr, "已经生效") {
		t.Errorf("the same amendment again: exit %d, want 1 saying it took effect before:\n%s", again.exit, again.stderr)
	}
	var got ruqiv1.Plan
	mustUnmarshal(t, w.mustCLI(w.officer, "-o", "json", "plan", "show", plan), &got)
	if n := len(got.GetVersions()); n != 2 {
		t.Errorf("the same amendment twice made %d versions, want 2 (the filing and one amendment)", n)
	}
}

// Ctrl-C while a plan is being filed may leave it filed: the officer is told
// so, with the request id to retry with, as after a timeout. Without it the
// second run files a second plan. The server takes the call and never
// answers it: one that never finished the connection's handshake was never
// sent the call, and the CLI says nothing was filed then (an operator's
// trial, 2026-12-06; this test's server had been such a one).
func TestPlanFile_CtrlC_SaysRequestID(t *testing.T) {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		<-stream.Context().Done() // takes every call, answers none
		return stream.Context().Err()
	}))
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	cmd := exec.Command(filepath.Join(binDir, "ruqi"), "--server", lis.Addr().String(), "--timeout", "60s",
		"--token", "rq_x", "plan", "file", "--type", "routine", "--title", "12月日常检查",
		"--enterprises", "91510104CY4C7RGWMR", "--items", "CI-0001", "--from", "2026-12-20", "--to", "2027-01-01")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	_ = cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("Ctrl-C did not stop the call:\n%s", errb.String())
	}
	if !strings.Contains(errb.String(), "--request-id") {
		t.Errorf("after Ctrl-C nothing says the plan may be filed or how to retry without filing it twice:\n%q", errb.String())
	}
}
