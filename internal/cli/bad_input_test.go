package cli

import (
	"strings"
	"testing"

	"google.golang.org/grpc"
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
