package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// rollbackLog serves checkpoints signed with the log's own key (the
// operator holds it) and answers GetConsistencyProof as the real server does
// (internal/service/log.go: from > to, or to > latest size, is
// INVALID_ARGUMENT PROOF_RANGE).
type rollbackLog struct {
	ruqiv1.UnimplementedLogServiceServer
	size uint64
	note []byte
}

func (l *rollbackLog) GetCheckpoint(context.Context, *ruqiv1.GetCheckpointRequest) (*ruqiv1.GetCheckpointResponse, error) {
	return &ruqiv1.GetCheckpointResponse{Size: l.size, Checkpoint: string(l.note)}, nil
}

func (l *rollbackLog) GetConsistencyProof(_ context.Context, req *ruqiv1.GetConsistencyProofRequest) (*ruqiv1.GetConsistencyProofResponse, error) {
	if req.GetFromSize() > req.GetToSize() || req.GetToSize() > l.size {
		return nil, status.Errorf(codes.InvalidArgument, "一致性证明的规模须满足 起 ≤ 止 ≤ %d（当前日志规模），收到 %d → %d", l.size, req.GetFromSize(), req.GetToSize())
	}
	return &ruqiv1.GetConsistencyProofResponse{}, nil
}

// `ruqi log verify` exits 3 when the log was rolled back. It used to ask the
// server for a proof before comparing sizes, and ended with the server's
// INVALID_ARGUMENT (exit 1, a passing error to a monitoring script).
// (Found by a read-only review, 2026-12-03.)
func TestLogVerify_RollbackExitsThree(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := tlog.New(skey)
	root := func(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }
	state := filepath.Join(t.TempDir(), "checkpoint")
	run := func(size uint64, r []byte) (int, string) {
		n, err := l.Sign(size, r)
		if err != nil {
			t.Fatal(err)
		}
		lis := bufconn.Listen(1 << 20)
		srv := grpc.NewServer()
		ruqiv1.RegisterLogServiceServer(srv, &rollbackLog{size: size, note: n})
		go srv.Serve(lis)
		defer srv.Stop()
		a, out, errOut := testApp(nil)
		a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
		code := a.run([]string{"--server", "passthrough:///bufnet", "log", "verify", "--log-key", vkey, "--state", state})
		return code, out.String() + errOut.String()
	}
	if code, out := run(5, root("five")); code != exitOK {
		t.Fatalf("first run: exit %d %s", code, out)
	}
	saved, _ := os.ReadFile(state)
	code, out := run(3, root("three")) // the operator truncated the log to 3 events and re-signed
	t.Logf("rolled back: exit %d\n%s", code, out)
	if after, _ := os.ReadFile(state); !bytes.Equal(after, saved) {
		t.Errorf("state overwritten by the rolled-back checkpoint")
	}
	if code != exitNotValid || !strings.Contains(out, "日志被回退") {
		t.Errorf("rolled-back log: exit %d, want %d and \"日志被回退\":\n%s", code, exitNotValid, out)
	}
}
