package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
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
	size   uint64
	note   []byte
	halted string // GetCheckpointResponse.log_halted
}

func (l *rollbackLog) GetCheckpoint(context.Context, *ruqiv1.GetCheckpointRequest) (*ruqiv1.GetCheckpointResponse, error) {
	return &ruqiv1.GetCheckpointResponse{Size: l.size, Checkpoint: string(l.note), LogHalted: l.halted}, nil
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

// With a witness policy, a rolled-back log's checkpoint lacks the witnesses'
// cosignatures too (they refuse to cosign what does not extend what they
// saw): log verify said only "见证签名不足", which hid the rollback it had
// found (an audit trial, 2026-12-07). It holds the checkpoint to the one
// saved first; one without cosignatures is never saved.
func TestLogVerify_RollbackWithWitnessPolicy(t *testing.T) {
	w := newWitnessedLog(t)
	l, vkey, policy, state, root := w.log, w.vkey, w.policy, w.state, w.root
	run := func(size uint64, r []byte, cosigned bool) (int, string) {
		t.Helper()
		return w.verify(size, r, cosigned, "--witness-policy", policy)
	}
	if code, out := run(5, root("five"), false); code != exitNotValid || !strings.Contains(out, "见证签名不足") {
		t.Errorf("first run, no cosignature: exit %d, want %d and \"见证签名不足\":\n%s", code, exitNotValid, out)
	}
	if _, err := os.Stat(state); err == nil {
		t.Fatal("a checkpoint the witnesses did not cosign was saved as seen")
	}
	if code, out := run(5, root("five"), true); code != exitOK {
		t.Fatalf("cosigned: exit %d %s", code, out)
	}
	code, out := run(3, root("three"), false) // rolled back, re-signed; no witness cosigns it
	if code != exitNotValid || !strings.Contains(out, "日志被回退") {
		t.Errorf("rolled-back log under a policy: exit %d, want %d and \"日志被回退\":\n%s", code, exitNotValid, out)
	}
	// receipt verify --online and the page /receipts/check hold a
	// receipt's checkpoint to the server's the same way.
	v, err := tlog.NewVerifier(vkey, mustRead(t, policy))
	if err != nil {
		t.Fatal(err)
	}
	seen, err := v.Checkpoint(mustRead(t, state))
	if err != nil {
		t.Fatal(err)
	}
	rolledBack, _ := l.Sign(3, root("three"))
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterLogServiceServer(srv, &rollbackLog{size: 3, note: rolledBack})
	go srv.Serve(lis)
	defer srv.Stop()
	cc, err := grpc.NewClient("passthrough:///bufnet", grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	if _, err := v.LatestExtends(context.Background(), ruqiv1.NewLogServiceClient(cc), seen); !strings.Contains(fmt.Sprint(err), "日志被回退") {
		t.Errorf("a receipt's checkpoint held to a rolled-back log under a policy: %v, want \"日志被回退\"", err)
	}
	code, out = run(5, root("five"), false) // the same tree, its cosignature lost
	if code != exitNotValid || !strings.Contains(out, "见证签名不足") {
		t.Errorf("the log seen, not cosigned: exit %d, want %d and \"见证签名不足\":\n%s", code, exitNotValid, out)
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A checkpoint saved as seen without a witness policy (or under another
// one) is held to the log's key only: the policy the server publishes was
// added (ruqi keys fetch takes it), and every later `log verify` ended with
// "上次保存的检查点 … 不成立：检查点的见证签名不足" (exit 1) until the state
// file, and with it what the log is held to, was deleted. The server's
// latest checkpoint still has to meet the policy, and extend the saved one.
func TestLogVerify_WitnessPolicyAdded_SavedCheckpointStillHeld(t *testing.T) {
	w := newWitnessedLog(t)
	root := w.root
	run := func(size uint64, r []byte, withPolicy bool) (int, string) {
		t.Helper()
		if withPolicy {
			return w.verify(size, r, true, "--witness-policy", w.policy)
		}
		return w.verify(size, r, false)
	}
	if code, out := run(5, root("five"), false); code != exitOK {
		t.Fatalf("first run, no policy: exit %d %s", code, out)
	}
	// The same tree, cosigned now (rollbackLog proves no growth).
	if code, out := run(5, root("five"), true); code != exitOK || !strings.Contains(out, "规模仍为 5") {
		t.Errorf("policy added, the saved tree cosigned: exit %d, want %d and \"规模仍为 5\":\n%s", code, exitOK, out)
	}
	if code, out := run(3, root("three"), true); code != exitNotValid || !strings.Contains(out, "日志被回退") {
		t.Errorf("rolled back under the policy: exit %d, want %d and \"日志被回退\":\n%s", code, exitNotValid, out)
	}
}

// witnessedLog is a log key, a witness's key and a policy naming it, for
// log verify against a server (rollbackLog) serving checkpoints of any
// tree, cosigned or not.
type witnessedLog struct {
	t                   *testing.T
	log                 *tlog.Log
	vkey, policy, state string
	logVerifier         note.Verifier
	witness             note.Signer
}

func newWitnessedLog(t *testing.T) *witnessedLog {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, err := note.GenerateKey(rand.Reader, "sifaju.test/witness")
	if err != nil {
		t.Fatal(err)
	}
	w := &witnessedLog{t: t, vkey: vkey}
	if w.witness, err = fnote.NewSignerForCosignatureV1(wskey); err != nil {
		t.Fatal(err)
	}
	if w.logVerifier, err = note.NewVerifier(vkey); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	w.policy, w.state = filepath.Join(dir, "policy"), filepath.Join(dir, "checkpoint")
	if err := os.WriteFile(w.policy, []byte("witness w1 "+wvkey+" http://127.0.0.1:9\nquorum w1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w.log, _ = tlog.New(skey)
	return w
}

func (w *witnessedLog) root(s string) []byte { h := sha256.Sum256([]byte(s)); return h[:] }

// verify serves the log's checkpoint of a tree of size with root r,
// cosigned by the witness or not, and runs log verify with its state and
// the extra arguments.
func (w *witnessedLog) verify(size uint64, r []byte, cosigned bool, extra ...string) (int, string) {
	t := w.t
	t.Helper()
	n, err := w.log.Sign(size, r)
	if err != nil {
		t.Fatal(err)
	}
	if cosigned {
		// A witness's cosignature (cosignature/v1) over the checkpoint's
		// text, as tlog.Witness makes it.
		opened, err := note.Open(n, note.VerifierList(w.logVerifier))
		if err != nil {
			t.Fatal(err)
		}
		if n, err = note.Sign(opened, w.witness); err != nil {
			t.Fatal(err)
		}
	}
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterLogServiceServer(srv, &rollbackLog{size: size, note: n})
	go srv.Serve(lis)
	defer srv.Stop()
	a, out, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	code := a.run(append([]string{"--server", "passthrough:///bufnet", "log", "verify", "--log-key", w.vkey, "--state", w.state}, extra...))
	return code, out.String() + errOut.String()
}

// A log frozen on changed history (the integrator refusing to sign on
// top) read "✓ 规模仍为 33，与上次所见相同", exit 0 (a trial of the 司法局's
// witness, 2026-12-07). What the server says of it is a finding: exit 3.
func TestLogVerify_ServerSaysLogHalted_ExitsThree(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := tlog.New(skey)
	h := sha256.Sum256([]byte("five"))
	n, err := l.Sign(5, h[:])
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "checkpoint")
	run := func(log *rollbackLog) (int, string) {
		lis := bufconn.Listen(1 << 20)
		srv := grpc.NewServer()
		ruqiv1.RegisterLogServiceServer(srv, log)
		go srv.Serve(lis)
		defer srv.Stop()
		a, out, errOut := testApp(nil)
		a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
		code := a.run([]string{"--server", "passthrough:///bufnet", "log", "verify", "--log-key", vkey, "--state", state})
		return code, out.String() + errOut.String()
	}
	if code, out := run(&rollbackLog{size: 5, note: n}); code != exitOK {
		t.Fatalf("first run: exit %d %s", code, out)
	}
	const halted = "默克尔日志已停止签名：存储中已签名的事件被改动或删除"
	if code, out := run(&rollbackLog{size: 5, note: n, halted: halted}); code != exitNotValid || !strings.Contains(out, halted) {
		t.Errorf("a halted log: exit %d, want %d saying the server's word\n%s", code, exitNotValid, out)
	}
	// With a rollback found, the server's word goes with it (it read "日志
	// 被回退" alone: a review, 2026-12-07).
	h = sha256.Sum256([]byte("three"))
	n, err = l.Sign(3, h[:])
	if err != nil {
		t.Fatal(err)
	}
	const ahead = "见证方持有比本服务器更长的日志"
	if code, got := run(&rollbackLog{size: 3, note: n, halted: ahead}); code != exitNotValid || !strings.Contains(got, "日志被回退") || !strings.Contains(got, ahead) {
		t.Errorf("a rollback with the server's word: exit %d\n%s", code, got)
	}
}
