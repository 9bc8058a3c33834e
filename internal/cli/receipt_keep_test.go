package cli

import (
	"bytes"
	"context"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// testLog is a log's signer and verifier key for receipts made in a test,
// and n events of one enterprise, chained: a registration, then scans.
func testLog(t *testing.T, n int) (*tlog.Log, string, []*ruqiv1.Event) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	var events []*ruqiv1.Event
	var prev []byte
	for i := 1; i <= n; i++ {
		typ := ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED
		if i == 1 {
			typ = ruqiv1.EventType_EVENT_TYPE_REGISTERED
		}
		e := &ruqiv1.Event{Seq: uint64(i), Type: typ, Time: timestamppb.Now(), EnterpriseUscc: "91510104CY4C7RGWMR", PrevHash: prev}
		store.Chain(prev, e)
		events, prev = append(events, e), e.Hash
	}
	return l, vkey, events
}

// receiptsServer answers ListReceipts with what the test sets.
type receiptsServer struct {
	ruqiv1.UnimplementedLogServiceServer
	mu       sync.Mutex
	receipts []*ruqiv1.Receipt
}

func (s *receiptsServer) set(rc ...*ruqiv1.Receipt) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.receipts = rc
}

func (s *receiptsServer) ListReceipts(context.Context, *ruqiv1.ListReceiptsRequest) (*ruqiv1.ListReceiptsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &ruqiv1.ListReceiptsResponse{Receipts: s.receipts}, nil
}

// serveReceipts serves a receiptsServer in process and returns it with a
// function that runs `ruqi receipt get --dir dir args…` against it, no
// keys cached, and returns its exit code and output.
func serveReceipts(t *testing.T) (*receiptsServer, func(dir string, args ...string) (int, string)) {
	t.Helper()
	srv := &receiptsServer{}
	lis := bufconn.Listen(1 << 20)
	g := grpc.NewServer()
	ruqiv1.RegisterLogServiceServer(g, srv)
	go g.Serve(lis)
	t.Cleanup(g.Stop)
	return srv, func(dir string, args ...string) (int, string) {
		a, out, errOut := testApp(nil)
		a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
		code := a.run(append([]string{"--server", "passthrough:///bufnet", "receipt", "get", "--dir", dir,
			"--keys-cache", filepath.Join(t.TempDir(), "none.json")}, args...))
		return code, out.String() + errOut.String()
	}
}

// `receipt get` wrote whatever the server sent over the file of the same
// event: after the server's log was rewritten, a second run replaced the
// enterprise's genuine receipt with one that did not hold, and said
// "已保存" (a trial of the 司法局's witness, 2026-12-07). A saved receipt
// now stays unless it does not hold and the new one does; one that does
// not hold is said, exit 3, and saved beside as evidence; a genuine one on
// a later checkpoint is not saved again.
func TestReceiptGet_KeepsWhatTheEnterpriseHolds(t *testing.T) {
	l, vkey, ev := testLog(t, 3)
	e1, e2, e3 := ev[0], ev[1], ev[2]
	l1, l2 := tlog.LeafHash(e1), tlog.LeafHash(e2)
	signed, err := l.Sign(2, rfc6962.DefaultHasher.HashChildren(l1, l2))
	if err != nil {
		t.Fatal(err)
	}
	genuine := &ruqiv1.Receipt{Event: e2, LeafIndex: 1, InclusionProof: [][]byte{l1}, Checkpoint: string(signed)}
	// The server's log rewritten: event 2 says another enterprise scanned.
	forged := proto.Clone(genuine).(*ruqiv1.Receipt)
	forged.Event.EnterpriseUscc = "91510104DER9Q51RK3"

	srv, receiptGet := serveReceipts(t)
	dir := t.TempDir()
	get := func() (int, string) { return receiptGet(dir, "--log-key", vkey) }
	file := filepath.Join(dir, "receipt-2.json")
	read := func() []byte {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	srv.set(genuine)
	if code, got := get(); code != exitOK || !strings.Contains(got, receiptNew) {
		t.Fatalf("first get: exit %d\n%s", code, got)
	}
	kept := read()
	if code, got := get(); code != exitOK || !strings.Contains(got, receiptSame) {
		t.Errorf("the same receipt again: exit %d\n%s", code, got)
	}

	srv.set(forged)
	code, got := get()
	if code != exitNotValid || !strings.Contains(got, "不成立") || !strings.Contains(got, "报告司法局") {
		t.Errorf("a receipt that does not hold: exit %d, want %d saying so\n%s", code, exitNotValid, got)
	}
	if !bytes.Equal(read(), kept) {
		t.Errorf("the enterprise's genuine receipt was overwritten by one that does not hold")
	}
	beside, _ := filepath.Glob(filepath.Join(dir, "receipt-2-*.json"))
	if len(beside) != 1 {
		t.Errorf("the server's other receipt of event 2 saved as %v, want one file beside the kept one", beside)
	}

	// The log grown: event 2's receipt on a later checkpoint holds, as the
	// saved one does, and adds nothing.
	l3 := tlog.LeafHash(e3)
	signed3, err := l.Sign(3, rfc6962.DefaultHasher.HashChildren(rfc6962.DefaultHasher.HashChildren(l1, l2), l3))
	if err != nil {
		t.Fatal(err)
	}
	later := &ruqiv1.Receipt{Event: e2, LeafIndex: 1, InclusionProof: [][]byte{l1, l3}, Checkpoint: string(signed3)}
	srv.set(later)
	if code, got := get(); code != exitOK || !strings.Contains(got, receiptKept) || !bytes.Equal(read(), kept) {
		t.Errorf("a later receipt of a held event: exit %d\n%s", code, got)
	}
	if all, _ := filepath.Glob(filepath.Join(dir, "receipt-2*.json")); len(all) != 2 {
		t.Errorf("files of event 2: %v, want the kept one and the evidence only", all)
	}

	// A saved receipt that does not hold, written at receipt-2.json by an
	// older version: moved aside, as evidence, for the genuine one.
	forgedBytes, err := os.ReadFile(beside[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, forgedBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove(beside[0])
	srv.set(genuine)
	if code, got := get(); code != exitOK || !strings.Contains(got, "原文件不成立，改名保留为") || !bytes.Equal(read(), kept) {
		t.Errorf("a genuine receipt over a saved one that does not hold: exit %d\n%s", code, got)
	}
	if b, _ := os.ReadFile(beside[0]); !bytes.Equal(b, forgedBytes) {
		t.Errorf("the saved receipt that did not hold was not kept aside as %s", beside[0])
	}

	// A saved receipt that does not hold (a file damaged) gives way to one
	// that does.
	if err := os.WriteFile(file, bytes.Replace(kept, []byte("SCAN"), []byte("SCAM"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	srv.set(genuine)
	if code, got := get(); code != exitOK || !strings.Contains(got, receiptReplaced) || !bytes.Equal(read(), kept) {
		t.Errorf("a genuine receipt over a damaged file: exit %d\n%s", code, got)
	}
}

// A receipt that does not hold, sent when nothing is saved yet, is
// evidence: saved under a name of its own, never at receipt-<seq>.json,
// where the genuine one fetched later would replace it (a review,
// 2026-12-07). Without keys nothing is checked, and a saved file that is
// not a receipt at all (cut short) is still replaced.
func TestReceiptGet_EvidenceNeverReplaced_DamagedReplacedWithoutKeys(t *testing.T) {
	l, vkey, ev := testLog(t, 2)
	l1, l2 := tlog.LeafHash(ev[0]), tlog.LeafHash(ev[1])
	signed, err := l.Sign(2, rfc6962.DefaultHasher.HashChildren(l1, l2))
	if err != nil {
		t.Fatal(err)
	}
	genuine := &ruqiv1.Receipt{Event: ev[1], LeafIndex: 1, InclusionProof: [][]byte{l1}, Checkpoint: string(signed)}
	forged := proto.Clone(genuine).(*ruqiv1.Receipt)
	forged.Event.EnterpriseUscc = "91510104DER9Q51RK3"
	srv, receiptGet := serveReceipts(t)
	dir := t.TempDir()
	get := func(keys ...string) (int, string) { return receiptGet(dir, keys...) }
	file := filepath.Join(dir, "receipt-2.json")

	srv.set(forged)
	if code, got := get("--log-key", vkey); code != exitNotValid {
		t.Fatalf("a receipt that does not hold: exit %d\n%s", code, got)
	}
	evidence, _ := filepath.Glob(filepath.Join(dir, "receipt-2-*.json"))
	if _, err := os.Stat(file); err == nil || len(evidence) != 1 {
		t.Fatalf("a receipt that does not hold saved at %s (want none there) and beside as %v", file, evidence)
	}
	srv.set(genuine)
	if code, got := get("--log-key", vkey); code != exitOK || !strings.Contains(got, receiptNew) {
		t.Errorf("the genuine receipt after: exit %d\n%s", code, got)
	}
	if b, err := os.ReadFile(evidence[0]); err != nil || len(b) == 0 {
		t.Errorf("the evidence is gone: %v", err)
	}

	// Without keys: a file cut short is replaced, a receipt kept.
	if err := os.WriteFile(file, []byte(`{"event": {"seq": "2"`), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, got := get(); code != exitOK || !strings.Contains(got, "原文件已损坏") {
		t.Errorf("without keys, over a file cut short: exit %d\n%s", code, got)
	}
	if _, err := tlog.ParseReceipt(mustRead(t, file)); err != nil {
		t.Errorf("the file cut short was not replaced by the receipt: %v", err)
	}
}

// A receipt waiting for its witnesses was replaced by a witnessed one of
// the same event without a look at what each recorded: the log had signed
// two versions of event 2, and the unwitnessed one, the proof of it, was
// overwritten (a review, 2026-12-07). It is kept aside.
func TestReceiptGet_UnwitnessedReceiptOfAnotherVersionKeptAside(t *testing.T) {
	l, vkey, ev := testLog(t, 2)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "sifaju.test")
	w, err := tlog.NewWitness(wskey, []string{vkey}, filepath.Join(t.TempDir(), "w.json"))
	if err != nil {
		t.Fatal(err)
	}
	policy := filepath.Join(t.TempDir(), "policy.txt")
	if err := os.WriteFile(policy, []byte("witness sfj "+wvkey+" http://127.0.0.1:1\nquorum sfj\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	forked := proto.Clone(ev[1]).(*ruqiv1.Event)
	forked.Detail = "forked"
	store.Chain(ev[0].Hash, forked)
	l1 := tlog.LeafHash(ev[0])
	fsigned, err := l.Sign(2, rfc6962.DefaultHasher.HashChildren(l1, tlog.LeafHash(forked)))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := l.Sign(2, rfc6962.DefaultHasher.HashChildren(l1, tlog.LeafHash(ev[1])))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := w.AddCheckpoint(0, nil, signed)
	if err != nil {
		t.Fatal(err)
	}
	srv, receiptGet := serveReceipts(t)
	dir := t.TempDir()
	srv.set(&ruqiv1.Receipt{Event: forked, LeafIndex: 1, InclusionProof: [][]byte{l1}, Checkpoint: string(fsigned)})
	receiptGet(dir, "--log-key", vkey, "--witness-policy", policy)
	forkBytes := mustRead(t, filepath.Join(dir, "receipt-2.json"))
	srv.set(&ruqiv1.Receipt{Event: ev[1], LeafIndex: 1, InclusionProof: [][]byte{l1}, Checkpoint: string(append(bytes.Clone(signed), sigs...))})
	code, out := receiptGet(dir, "--log-key", vkey, "--witness-policy", policy)
	all, _ := filepath.Glob(filepath.Join(dir, "receipt-2*.json"))
	kept := false
	for _, f := range all {
		if bytes.Equal(mustRead(t, f), forkBytes) {
			kept = true
		}
	}
	if !kept || !strings.Contains(out, "两个版本") || code != exitNotValid {
		t.Errorf("the unwitnessed receipt of another version of event 2 is gone or not said, exit %d (want %d); files %v\n%s", code, exitNotValid, all, out)
	}
}

// An event hashed before v3 read "记入后未被改动" with its type and time,
// which its receipt does not prove (a review, 2026-12-07).
func TestReceiptHeldText_LegacyEventTypeAndTimeNotVouchedFor(t *testing.T) {
	got := &tlog.VerifiedReceipt{Event: &ruqiv1.Event{Seq: 5, Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, EnterpriseUscc: "91510104CY4C7RGWMR"}, Checkpoint: &log.Checkpoint{Size: 9}}
	if got.LegacyNote() == "" {
		t.Fatal("the test's event is not of the old format")
	}
	if s := receiptHeldText(got); !strings.Contains(s, "时间和类型未经核验") {
		t.Errorf("an old-format event said as %q", s)
	}
}
