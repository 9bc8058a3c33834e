package tlog_test

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A receipt (存证) is a file an enterprise keeps and hands to whoever must
// believe it, and `ruqi receipt verify` reads it as protobuf JSON: whatever
// the file holds, Verifier.Receipt returns an error or proves an event the
// log really holds, at its sequence number, never panics and never proves
// an event nobody logged.
func FuzzVerifyReceipt(f *testing.F) {
	fx := newFixture(f)
	const n = 9
	fx.append(f, n, "91350100M000100Y43")
	fx.integrate(f)
	logged := make(map[uint64]*ruqiv1.Event, n)
	for seq := uint64(1); seq <= n; seq++ {
		rc := fx.receipt(f, seq)
		logged[seq] = rc.GetEvent()
		b, err := protojson.Marshal(rc)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if seq == 4 {
			f.Add(bytes.Replace(b, []byte(`"leafIndex":"3"`), []byte(`"leafIndex":"4"`), 1))
			f.Add([]byte(strings.Replace(string(b), `"seq":"4"`, `"seq":"18446744073709551615"`, 1)))
			f.Add(b[:len(b)/2])
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"event":{"seq":"1"},"inclusionProof":["AAAA"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		rc, err := tlog.ParseReceipt(b)
		if err != nil {
			return
		}
		got, err := fx.verify.Receipt(rc)
		if err != nil {
			if len(err.Error()) > 1024 {
				t.Fatalf("an error of %d bytes", len(err.Error()))
			}
			return
		}
		seq := got.Event.GetSeq()
		want, ok := logged[seq]
		if !ok || !proto.Equal(got.Event, want) {
			t.Fatalf("a receipt proves event %d as %v; the log holds %v", seq, got.Event, want)
		}
		if got.Checkpoint.Size != n {
			t.Fatalf("a receipt proves event %d in a log of %d, which was never signed", seq, got.Checkpoint.Size)
		}
	})
}
