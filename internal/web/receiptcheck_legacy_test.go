package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// unreachableAPI is a server whose own API does not answer: the page
// checks the receipt offline and says it could not compare it with the
// log of today.
type unreachableAPI struct{}

func (unreachableAPI) Invoke(context.Context, string, any, any, ...grpc.CallOption) error {
	return errors.New("unreachable")
}

func (unreachableAPI) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, errors.New("unreachable")
}

// A receipt of an event hashed before v3 proves neither its time nor its
// type: the page that checks it must not say the event is unchanged, as
// it does of a v3 event, when its time was moved and its type changed in
// the file (a v2 event's hash does not see either).
func TestReceiptCheck_LegacyEvent_DoesNotSayUnchanged(t *testing.T) {
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	receipt := func(e *ruqiv1.Event) []byte {
		signed, err := l.Sign(1, tlog.LeafHash(e))
		if err != nil {
			t.Fatal(err)
		}
		b, err := protojson.Marshal(&ruqiv1.Receipt{Event: e, Checkpoint: string(signed)})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	ev := func() *ruqiv1.Event {
		return &ruqiv1.Event{Seq: 1, Time: timestamppb.New(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)),
			Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, InspectionId: "INS-20261201-AAAAAAAA", EnterpriseUscc: "91510104CY4C7RGWMR"}
	}
	v2 := ev()
	v2.Salt = bytes.Repeat([]byte{7}, store.SaltSize-1) // as versions before v3 salted
	v2.Hash = store.EventHash(nil, v2)
	if store.HashVersion(v2) != 2 {
		t.Fatalf("hash version %d, want 2", store.HashVersion(v2))
	}
	kept := receipt(v2)
	var rc ruqiv1.Receipt
	if err := protojson.Unmarshal(kept, &rc); err != nil {
		t.Fatal(err)
	}
	rc.Event.Time.Seconds -= 30 * 86400
	rc.Event.Type = ruqiv1.EventType_EVENT_TYPE_REFUSED
	moved, _ := protojson.Marshal(&rc)
	v3 := ev()
	store.Chain(nil, v3)

	h := Handler(Config{API: unreachableAPI{}, LogKey: vkey})
	check := func(b []byte) string {
		t.Helper()
		code, page := postReceipt(h, b)
		if code != http.StatusOK {
			t.Fatalf("status %d\n%s", code, page)
		}
		return page
	}
	for name, b := range map[string][]byte{"v2 as kept": kept, "v2 moved and retyped": moved} {
		page := check(b)
		if !strings.Contains(page, "存证成立") || !strings.Contains(page, "时间和事件类型不在哈希之内") {
			t.Errorf("%s: no verdict or no note:\n%s", name, page)
		}
		if strings.Contains(page, "事件未被改动") {
			t.Errorf("%s: the page says the event is unchanged, though its time and type are not under its hash:\n%s", name, page)
		}
	}
	if page := check(receipt(v3)); !strings.Contains(page, "事件未被改动") || strings.Contains(page, "不在哈希之内") {
		t.Errorf("v3: want the event unchanged and no note:\n%s", page)
	}
}
