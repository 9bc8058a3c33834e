package cli

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/merkle/rfc6962"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A genuine receipt of an event the server's log no longer holds (restored
// from a backup taken before it: the log went back) is the enterprise's
// evidence. `receipt verify --online` said "✗ 事件 2：…日志被回退" and
// "1 份存证不成立", as of a forged receipt, where the page /receipts/check
// says the receipt holds and to report it (an enterprise's trial of a
// restore, 2026-12-07). It still exits 3, and says the receipt holds.
func TestReceiptVerifyOnline_LogRolledBack_SaysTheReceiptHolds(t *testing.T) {
	l, vkey, ev := testLog(t, 2)
	e1, e2 := ev[0], ev[1]
	l1, l2 := tlog.LeafHash(e1), tlog.LeafHash(e2)
	signed2, err := l.Sign(2, rfc6962.DefaultHasher.HashChildren(l1, l2))
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(&ruqiv1.Receipt{Event: e2, LeafIndex: 1, InclusionProof: [][]byte{l1}, Checkpoint: string(signed2)})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "receipt-2.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// The log restored to one event, signed again with its key.
	signed1, err := l.Sign(1, l1)
	if err != nil {
		t.Fatal(err)
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterLogServiceServer(srv, &rollbackLog{size: 1, note: signed1})
	go srv.Serve(lis)
	defer srv.Stop()
	a, out, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	code := a.run([]string{"--server", "passthrough:///bufnet", "receipt", "verify", "--online", "--log-key", vkey,
		"--keys-cache", filepath.Join(t.TempDir(), "none.json"), file})
	got := out.String() + errOut.String()
	if code != exitNotValid || !strings.Contains(got, "日志被回退") || !strings.Contains(got, "存证本身成立") ||
		!strings.Contains(got, "报告司法局") || strings.Contains(got, "1 份存证不成立") {
		t.Fatalf("a genuine receipt against a rolled-back log: exit %d, want %d saying the receipt holds, the log went back, and to report it:\n%s", code, exitNotValid, got)
	}
	args := []string{"-o", "json", "--server", "passthrough:///bufnet", "receipt", "verify", "--online", "--log-key", vkey,
		"--keys-cache", filepath.Join(t.TempDir(), "none.json"), file}
	a, out, _ = testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	wantFinding(t, a.run(args), out.String(), findingLogNotExtended)

	// The same receipt altered: the receipt is what does not hold.
	if err := os.WriteFile(file, []byte(strings.Replace(string(b), "SCAN_VERIFIED", "SCAN_REJECTED", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	a, out, _ = testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	wantFinding(t, a.run(args), out.String(), findingReceipt)
}
