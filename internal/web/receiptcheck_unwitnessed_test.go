package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// uploadReceipt posts a receipt file to /receipts/check as the page's form
// does, and returns the page.
func uploadReceipt(h http.Handler, receipt []byte) string {
	_, page := postReceipt(h, receipt)
	return page
}

// postReceipt is uploadReceipt with the status.
func postReceipt(h http.Handler, receipt []byte) (int, string) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("receipt", "receipt.json")
	fw.Write(receipt)
	mw.Close()
	r := httptest.NewRequest(http.MethodPost, "/receipts/check", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code, w.Body.String()
}

// checkpointAPI answers GetCheckpoint with one signed checkpoint, and
// nothing else.
type checkpointAPI struct{ signed []byte }

func (c checkpointAPI) Invoke(_ context.Context, method string, _ any, reply any, _ ...grpc.CallOption) error {
	if r, ok := reply.(*ruqiv1.GetCheckpointResponse); ok {
		r.Checkpoint = string(c.signed)
		return nil
	}
	return fmt.Errorf("unexpected call %s", method)
}

func (checkpointAPI) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, fmt.Errorf("unexpected stream")
}

// A receipt whose checkpoint the log signed alone holds only once a
// checkpoint the witnesses cosigned is proved to extend it. One that the
// witnessed log does not extend is proved by nothing but the log's key,
// which is what witnesses are there not to trust (a log signing a fork):
// the page must not say it holds ("存证本身成立"), as it does of a
// witnessed receipt whose log was later rolled back. ruqi receipt verify
// --online counts it as not holding.
func TestReceiptCheck_Unwitnessed_NotExtended_DoesNotHold(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	event := func(seq uint64, uscc string) *ruqiv1.Event {
		e := &ruqiv1.Event{Seq: seq, Time: timestamppb.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
			Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, InspectionId: "INS-20261201-AAAAAAAA", EnterpriseUscc: uscc}
		store.Chain(nil, e)
		return e
	}
	first, forked := event(1, "91510104CY4C7RGWMR"), event(2, "91350100M000100Y43")
	h := rfc6962.DefaultHasher
	// The witnessed log: the first event alone.
	witnessedCP, err := l.Sign(1, tlog.LeafHash(first))
	if err != nil {
		t.Fatal(err)
	}
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "sifaju.test")
	w, err := tlog.NewWitness(wskey, []string{vkey}, filepath.Join(t.TempDir(), "witness.json"))
	if err != nil {
		t.Fatal(err)
	}
	cosig, err := w.AddCheckpoint(0, nil, witnessedCP)
	if err != nil {
		t.Fatal(err)
	}
	latest := append(append([]byte{}, witnessedCP...), cosig...)
	// A tree of two the log signed alone, never shown to the witness.
	forkCP, err := l.Sign(2, h.HashChildren(tlog.LeafHash(first), tlog.LeafHash(forked)))
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(&ruqiv1.Receipt{Event: forked, Checkpoint: string(forkCP), LeafIndex: 1,
		InclusionProof: [][]byte{tlog.LeafHash(first)}})
	if err != nil {
		t.Fatal(err)
	}

	policy := fmt.Sprintf("witness sfj %s https://sifaju.test\nquorum sfj\n", wvkey)
	page := uploadReceipt(Handler(Config{API: checkpointAPI{latest}, LogKey: vkey, WitnessPolicy: policy}), b)
	if strings.Contains(page, "存证成立") || strings.Contains(page, "存证本身成立") {
		t.Fatalf("a receipt signed by the log alone, not in the witnessed log, said to hold:\n%s", page)
	}
	if !strings.Contains(page, "存证不成立") || !strings.Contains(page, "没有见证签名") {
		t.Fatalf("want 存证不成立 and why (no cosignature):\n%s", page)
	}
}

// The server's own log key does not open its latest checkpoint (signed by
// another key under the log's name): the receipt holds, and the page says
// the server's checkpoint does not, to be reported, where it said
// "稍后可再核验一次" as of a call that failed (a review, 2026-12-07).
func TestReceiptCheck_ServerCheckpointNotTheLogs_SaidToReport(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	otherKey, _, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l, _ := tlog.New(skey)
	other, _ := tlog.New(otherKey)
	e := &ruqiv1.Event{Seq: 1, Time: timestamppb.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
		Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, InspectionId: "INS-20261201-AAAAAAAA", EnterpriseUscc: "91510104CY4C7RGWMR"}
	store.Chain(nil, e)
	cp, err := l.Sign(1, tlog.LeafHash(e))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := other.Sign(1, tlog.LeafHash(e))
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(&ruqiv1.Receipt{Event: e, Checkpoint: string(cp)})
	if err != nil {
		t.Fatal(err)
	}
	page := uploadReceipt(Handler(Config{API: checkpointAPI{forged}, LogKey: vkey}), b)
	if strings.Contains(page, "稍后") || !strings.Contains(page, "服务器的检查点不成立") || !strings.Contains(page, "报告司法局") {
		t.Fatalf("the server's checkpoint not the log's: want it said, to be reported, not to try later:\n%s", page)
	}
}
