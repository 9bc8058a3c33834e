package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// grownLog serves a checkpoint of two leaves and the consistency proof
// from one leaf to it.
type grownLog struct {
	ruqiv1.UnimplementedLogServiceServer
	note  []byte
	proof [][]byte
}

func (l *grownLog) GetCheckpoint(context.Context, *ruqiv1.GetCheckpointRequest) (*ruqiv1.GetCheckpointResponse, error) {
	return &ruqiv1.GetCheckpointResponse{Size: 2, Checkpoint: string(l.note)}, nil
}

func (l *grownLog) GetConsistencyProof(context.Context, *ruqiv1.GetConsistencyProofRequest) (*ruqiv1.GetConsistencyProofResponse, error) {
	return &ruqiv1.GetConsistencyProofResponse{Proof: l.proof}, nil
}

// twoEvents are a log's first two events, chained, and their leaf hashes.
func twoEvents() (e1 *ruqiv1.Event, l1, l2 []byte) {
	e1 = &ruqiv1.Event{Seq: 1, Type: ruqiv1.EventType_EVENT_TYPE_REGISTERED, Time: timestamppb.Now(), EnterpriseUscc: "91510104CY4C7RGWMR"}
	store.Chain(nil, e1)
	e2 := &ruqiv1.Event{Seq: 2, Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, Time: timestamppb.Now(), EnterpriseUscc: "91510104CY4C7RGWMR", PrevHash: e1.Hash}
	store.Chain(e1.Hash, e2)
	return e1, tlog.LeafHash(e1), tlog.LeafHash(e2)
}

// logApp serves log on an in-memory listener and returns an app that
// dials it (--server passthrough:///bufnet).
func logApp(t *testing.T, log ruqiv1.LogServiceServer) (*app, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterLogServiceServer(srv, log)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	a, out, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	return a, out, errOut
}

// A genuine receipt, cosigned, checked --online while the server's newest
// checkpoint, which extends the receipt's, is not cosigned yet (the log
// signs before its witnesses answer; a witness down keeps it so): nothing
// is wrong with the receipt, and /receipts/check says it holds and that it
// could not compare yet. receipt verify said "1 份存证不成立", as of a
// forged receipt (a review, 2026-12-07). It still exits 3 (docs/SECURITY.md:
// the commands refuse such a checkpoint; run again), saying why.
func TestReceiptVerifyOnline_ServerCheckpointAwaitsWitnesses_NotSaidNotToHold(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, err := note.GenerateKey(rand.Reader, "sifaju.test/witness")
	if err != nil {
		t.Fatal(err)
	}
	witness, err := fnote.NewSignerForCosignatureV1(wskey)
	if err != nil {
		t.Fatal(err)
	}
	logVerifier, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	l, _ := tlog.New(skey)
	e1, l1, l2 := twoEvents()
	signed1, err := l.Sign(1, l1)
	if err != nil {
		t.Fatal(err)
	}
	opened, err := note.Open(signed1, note.VerifierList(logVerifier))
	if err != nil {
		t.Fatal(err)
	}
	if signed1, err = note.Sign(opened, witness); err != nil {
		t.Fatal(err)
	}
	signed2, err := l.Sign(2, rfc6962.DefaultHasher.HashChildren(l1, l2)) // not cosigned yet
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b, err := protojson.Marshal(&ruqiv1.Receipt{Event: e1, LeafIndex: 0, Checkpoint: string(signed1)})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "receipt-1.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(dir, "policy")
	if err := os.WriteFile(policy, []byte("witness w1 "+wvkey+" http://127.0.0.1:9\nquorum w1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, out, errOut := logApp(t, &grownLog{note: signed2, proof: [][]byte{l2}})
	code := a.run([]string{"--server", "passthrough:///bufnet", "receipt", "verify", "--online", "--log-key", vkey,
		"--witness-policy", policy, "--keys-cache", filepath.Join(dir, "none.json"), file})
	got := out.String() + errOut.String()
	if code != exitNotValid || strings.Contains(got, "存证不成立") || !strings.Contains(got, "见证签名") || !strings.Contains(got, "稍后再运行") {
		t.Fatalf("a genuine receipt, the server's newest checkpoint not cosigned yet: exit %d, want %d, not said not to hold, saying why and to run again:\n%s", code, exitNotValid, got)
	}
	a, out, _ = logApp(t, &grownLog{note: signed2, proof: [][]byte{l2}})
	code = a.run([]string{"-o", "json", "--server", "passthrough:///bufnet", "receipt", "verify", "--online", "--log-key", vkey,
		"--witness-policy", policy, "--keys-cache", filepath.Join(dir, "none.json"), file})
	wantFinding(t, code, out.String(), findingWitnessesPending)
}

// A genuine receipt checked --online against a server whose newest
// checkpoint does not open with the log's key (signed by another key under
// the log's name): the receipt holds, the server's log cannot be compared,
// and that is a finding to report, not "N 份存证不成立" as of a forged
// receipt (a review, 2026-12-07). Exit 3.
func TestReceiptVerifyOnline_ServerCheckpointNotTheLogs_ReceiptHoldsAndSaidToReport(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, err := note.GenerateKey(rand.Reader, "ruqi.test/log") // the log's name, another key
	if err != nil {
		t.Fatal(err)
	}
	l, _ := tlog.New(skey)
	other, _ := tlog.New(otherKey)
	e1, l1, l2 := twoEvents()
	signed1, err := l.Sign(1, l1)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Sign(2, rfc6962.DefaultHasher.HashChildren(l1, l2))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b, err := protojson.Marshal(&ruqiv1.Receipt{Event: e1, LeafIndex: 0, Checkpoint: string(signed1)})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "receipt-1.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	a, out, errOut := logApp(t, &grownLog{note: forged, proof: [][]byte{l2}})
	code := a.run([]string{"--server", "passthrough:///bufnet", "receipt", "verify", "--online", "--log-key", vkey,
		"--keys-cache", filepath.Join(dir, "none.json"), file})
	got := out.String() + errOut.String()
	if code != exitNotValid || strings.Contains(got, "份存证不成立") || !strings.Contains(got, "存证本身成立") ||
		!strings.Contains(got, "服务器的检查点不成立") || !strings.Contains(got, "报告司法局") {
		t.Fatalf("a genuine receipt, the server's checkpoint not the log's: exit %d, want %d, the receipt said to hold and the server's checkpoint to be reported:\n%s", code, exitNotValid, got)
	}
	a, out, _ = logApp(t, &grownLog{note: forged, proof: [][]byte{l2}})
	code = a.run([]string{"-o", "json", "--server", "passthrough:///bufnet", "receipt", "verify", "--online", "--log-key", vkey,
		"--keys-cache", filepath.Join(dir, "none.json"), file})
	wantFinding(t, code, out.String(), findingServerCheckpoint)
}

// wantFinding checks `receipt verify -o json` of one receipt: exit 3, not
// valid, with finding f, where a script told a genuine receipt against a
// rolled-back log from a forged one only by extended_by_server.
func wantFinding(t *testing.T, code int, out, f string) {
	t.Helper()
	var v struct {
		Receipts []struct {
			Valid   bool   `json:"valid"`
			Finding string `json:"finding"`
		} `json:"receipts"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || code != exitNotValid || len(v.Receipts) != 1 || v.Receipts[0].Valid || v.Receipts[0].Finding != f {
		t.Fatalf("-o json: exit %d (%v), want %d and finding %q:\n%s", code, err, exitNotValid, f, out)
	}
}
