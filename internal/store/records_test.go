package store_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func chained(prev []byte) *ruqiv1.Event {
	e := &ruqiv1.Event{Seq: 8, Time: timestamppb.New(time.Date(2026, 5, 1, 8, 0, 0, 17, time.UTC)), Type: ruqiv1.EventType_EVENT_TYPE_REGISTERED,
		Actor: "officer:O-0001", InspectionId: "INS-20260501-ABCDEFGH", EnterpriseUscc: "91510104CY4C7RGWMR", Detail: "INSPECTION_TYPE_ROUTINE", PrevHash: prev}
	store.Salt(e)
	e.Hash = store.EventHash(prev, e)
	return e
}

// A lean event is smaller than its protobuf and reads back the same, its
// hash unchanged, with prev_hash taken from its predecessor.
func TestEncodeEvent_Lean_ReadsBackWithSameHash(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, 32)
	e := chained(prev)
	b, err := store.EncodeEvent(e, prev)
	if err != nil {
		t.Fatal(err)
	}
	full, _ := proto.Marshal(e)
	if !store.IsLean(b) || len(b) >= len(full)-40 {
		t.Fatalf("lean event %d bytes, protobuf %d", len(b), len(full))
	}
	back, err := store.DecodeEvent(8, prev, b)
	if err != nil || !proto.Equal(back, e) || !bytes.Equal(store.EventHash(prev, back), e.GetHash()) {
		t.Fatalf("read back %v (%v), want %v", back, err, e)
	}
}

// An event whose prev_hash is not its predecessor's hash (a broken chain)
// keeps it, so that verification still sees the break.
func TestEncodeEvent_PrevHashNotPredecessors_Kept(t *testing.T) {
	e := chained(bytes.Repeat([]byte{7}, 32))
	other := bytes.Repeat([]byte{9}, 32)
	b, err := store.EncodeEvent(e, other)
	if err != nil {
		t.Fatal(err)
	}
	back, err := store.DecodeEvent(8, other, b)
	if err != nil || !bytes.Equal(back.GetPrevHash(), e.GetPrevHash()) {
		t.Fatalf("prev_hash %x (%v), want %x", back.GetPrevHash(), err, e.GetPrevHash())
	}
	// And the old protobuf form still reads.
	full, _ := proto.Marshal(e)
	if back, err := store.DecodeEvent(8, other, full); err != nil || !proto.Equal(back, e) {
		t.Fatalf("protobuf event read back %v (%v)", back, err)
	}
}

// A code is stored as its COSE message and URL prefix; token, key id and
// validity come back from the message.
func TestEncodeCode_StoresMessageOnce(t *testing.T) {
	now := time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)
	key, err := code.NewKey(now)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := code.Sign(key, code.Claims{TokenID: make([]byte, 16), Issuer: "ruqi", IssuedAt: now, NotBefore: now, Expiry: now.Add(time.Hour),
		InspectionID: "INS-20260501-ABCDEFGH", OfficerID: "O-0001", CertificateNumber: "510100000001", EnterpriseUSCC: "91510104CY4C7RGWMR"})
	if err != nil {
		t.Fatal(err)
	}
	tok := code.EncodeToken(msg)
	c := &ruqiv1.InspectionCode{InspectionId: "INS-20260501-ABCDEFGH", OfficerId: "O-0001", KeyId: key.ID, Token: tok,
		Url: "HTTPS://RUQI.EXAMPLE.GOV.CN/V/" + tok, QrPng: []byte("png"), NotBefore: timestamppb.New(now), ExpiresAt: timestamppb.New(now.Add(time.Hour))}
	b, err := store.EncodeCode(c)
	if err != nil {
		t.Fatal(err)
	}
	if !store.IsLean(b) || len(b) > len(msg)+40 {
		t.Fatalf("stored code %d bytes for a %d-byte message", len(b), len(msg))
	}
	back, err := store.DecodeCode(b)
	want := proto.CloneOf(c)
	want.QrPng = nil
	if err != nil || !proto.Equal(back, want) {
		t.Fatalf("read back %v (%v), want %v", back, err, want)
	}
	// A code whose fields do not follow from its message is kept whole.
	c.KeyId = "another"
	if b, _ := store.EncodeCode(c); store.IsLean(b) {
		t.Fatal("a code with a key id not in its message was stored lean")
	}
}

func TestEncodeCheckIn_ReadsBack(t *testing.T) {
	for _, at := range []time.Time{time.Date(2026, 5, 1, 8, 0, 0, 5, time.FixedZone("", 8*3600)), time.Date(2026, 5, 1, 8, 0, 0, 0, time.UTC)} {
		c := &store.CheckIn{TokenID: []byte("0123456789abcdef"), InspectionID: "INS-1", OfficerID: "O-1", USCC: "9151", At: at, Scans: 2, By: "device:T-1"}
		b, err := store.EncodeCheckIn(c)
		if err != nil {
			t.Fatal(err)
		}
		back, err := store.DecodeCheckIn(c.TokenID, b)
		_, bo := back.At.Zone()
		_, co := at.Zone()
		if err != nil || !store.IsLean(b) || !back.At.Equal(at) || bo != co || back.Scans != 2 || back.By != c.By || back.USCC != c.USCC || !bytes.Equal(back.TokenID, c.TokenID) {
			t.Fatalf("read back %+v (%v), want %+v", back, err, c)
		}
	}
}

// Stored bytes are ours, but a damaged file must give an error, not a panic.
func FuzzDecodeLean(f *testing.F) {
	prev := bytes.Repeat([]byte{7}, 32)
	ev, _ := store.EncodeEvent(chained(prev), prev)
	ci, _ := store.EncodeCheckIn(&store.CheckIn{TokenID: []byte("t"), InspectionID: "I", At: time.Unix(5, 0)})
	f.Add(ev)
	f.Add(ci)
	f.Add([]byte{0, 2, 3, 'a', 'b', 'c', 0xd2})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = store.DecodeEvent(1, prev, b)
		_, _ = store.DecodeCode(b)
		_, _ = store.DecodeCheckIn([]byte("t"), b)
		_, _ = store.EventHashOf(b)
	})
}

// An actor that is the enterprise or the officer the event names is not
// written twice, and reads back as it was.
func TestEncodeEvent_ActorNamedByEvent_NotRepeated(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, 32)
	for _, actor := range []string{"enterprise:91510104CY4C7RGWMR", "officer:O-0001", "admin:root", "enterprise:9151"} {
		e := chained(prev)
		e.Actor, e.OfficerId = actor, "O-0001"
		e.Hash = store.EventHash(prev, e)
		b, err := store.EncodeEvent(e, prev)
		if err != nil {
			t.Fatal(err)
		}
		back, err := store.DecodeEvent(8, prev, b)
		if err != nil || !proto.Equal(back, e) {
			t.Fatalf("%s: read back %v (%v)", actor, back, err)
		}
		if derived := actor == "enterprise:91510104CY4C7RGWMR" || actor == "officer:O-0001"; derived == bytes.Contains(b, []byte(actor)) {
			t.Errorf("%s: stored %q", actor, b)
		}
	}
}

func chain(n int, prev []byte) []*ruqiv1.Event {
	var es []*ruqiv1.Event
	for i := 0; i < n; i++ {
		e := &ruqiv1.Event{Seq: uint64(17 + i), Time: timestamppb.New(time.Date(2026, 5, 1, 8, i/5, 0, 17*i, time.UTC)), Type: ruqiv1.EventType(1 + i%4),
			Actor: "officer:O-0001", InspectionId: fmt.Sprintf("INS-20260501-ABCDEF%02d", i/3), EnterpriseUscc: "91510104CY4C7RGWMR", OfficerId: "O-0001", Detail: "key 5b4de30edbf2b331", PrevHash: prev}
		if i == 2 {
			e.Time, e.Actor = nil, "system" // no time, an actor that is not named by the event
		}
		store.Salt(e)
		e.Hash = store.EventHash(prev, e)
		prev = e.Hash
		es = append(es, e)
	}
	return es
}

// A sealed block reads back as its events, hashes recomputed and the last
// one stored, in far fewer bytes than the events one by one.
func TestEncodeEventBlock_ReadsBackSmaller(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, 32)
	es := chain(16, prev)
	b, err := store.EncodeEventBlock(es, prev)
	if err != nil || b == nil {
		t.Fatalf("block %v %v", b, err)
	}
	single, p := 0, prev
	for _, e := range es {
		v, _ := store.EncodeEvent(e, p)
		single, p = single+len(v), e.GetHash()
	}
	if len(b) > single/2 {
		t.Errorf("block %d bytes, single events %d", len(b), single)
	}
	back, err := store.DecodeEventBlock(17, prev, b)
	if err != nil || len(back) != len(es) {
		t.Fatalf("read back %d events: %v", len(back), err)
	}
	for i := range es {
		if !proto.Equal(back[i], es[i]) {
			t.Fatalf("event %d reads\n%v\nwant\n%v", i, back[i], es[i])
		}
	}
}

// Events whose chain is broken are not sealed: a block would recompute
// their hashes and hide the break.
func TestEncodeEventBlock_BrokenChain_NotSealed(t *testing.T) {
	prev := bytes.Repeat([]byte{7}, 32)
	for name, edit := range map[string]func([]*ruqiv1.Event){
		"edited field":  func(es []*ruqiv1.Event) { es[5].Detail = "changed" },
		"other prev":    func(es []*ruqiv1.Event) { es[5].PrevHash = prev },
		"seq gap":       func(es []*ruqiv1.Event) { es[5].Seq++ },
		"other hash":    func(es []*ruqiv1.Event) { es[15].Hash = prev },
		"first follows": func(es []*ruqiv1.Event) { es[0].PrevHash = nil },
	} {
		es := chain(16, prev)
		edit(es)
		if b, err := store.EncodeEventBlock(es, prev); b != nil || err != nil {
			t.Errorf("%s: sealed (%v)", name, err)
		}
	}
}

// A lean inspection leaves out what it repeats (its key, its result's ids,
// registrant and time) and reads back the same; one that repeats nothing
// reads back too.
func TestEncodeInspection_ReadsBackSmaller(t *testing.T) {
	at := timestamppb.New(time.Date(2026, 5, 1, 8, 0, 0, 17, time.UTC))
	in := &ruqiv1.Inspection{Id: "INS-20260501-ABCDEFGH", AgencyId: "AG-19", EnterpriseUscc: "91510104CY4C7RGWMR", CheckItemIds: []string{"CI-0099"},
		OfficerIds: []string{"O-1579", "O-0799"}, WindowStart: at, WindowEnd: at, Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, Reason: "年度日常监督检查",
		State: ruqiv1.InspectionState_INSPECTION_STATE_COMPLETED, RegisteredAt: at, RegisteredBy: "officer:O-1579", FirstCheckedInAt: at, CompletedAt: at,
		Result: &ruqiv1.InspectionResult{InspectionId: "INS-20260501-ABCDEFGH", AgencyId: "AG-19", EnterpriseUscc: "91510104CY4C7RGWMR", Summary: "检查结果",
			Items: []*ruqiv1.ItemResult{{CheckItemId: "CI-0099"}}, RecordedAt: at, RecordedBy: "officer:O-1579"}}
	full, _ := proto.Marshal(in)
	for name, c := range map[string]struct {
		in      *ruqiv1.Inspection
		smaller int
	}{
		"repeats":         {in, 100},
		"repeats nothing": {&ruqiv1.Inspection{Id: "INS-1", RegisteredBy: "admin", OfficerIds: []string{"O-1"}, Result: &ruqiv1.InspectionResult{InspectionId: "INS-2", RecordedBy: "officer:O-1"}}, -20},
	} {
		b, err := store.EncodeInspection(c.in.GetId(), c.in)
		if err != nil {
			t.Fatal(err)
		}
		if c.smaller > 0 && len(b) > len(full)-c.smaller {
			t.Errorf("%s: %d bytes, protobuf %d", name, len(b), len(full))
		}
		back, err := store.DecodeInspection(c.in.GetId(), b)
		if err != nil || !proto.Equal(back, c.in) {
			t.Errorf("%s: read back %v (%v), want %v", name, back, err, c.in)
		}
	}
	// Under another key the id is kept, and protobuf still reads.
	b, _ := store.EncodeInspection("other", in)
	if back, err := store.DecodeInspection("other", b); err != nil || !proto.Equal(back, in) {
		t.Errorf("under another key: %v (%v)", back, err)
	}
	if back, err := store.DecodeInspection(in.GetId(), full); err != nil || !proto.Equal(back, in) {
		t.Errorf("protobuf: %v (%v)", back, err)
	}
}

// A lean access token reads back as its JSON did, in far fewer bytes,
// whatever its times' zones and whichever times it has.
func TestEncodeAccessToken_ReadsBackAsJSON(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	created := time.Date(2026, 12, 2, 4, 16, 46, 712306631, time.UTC)
	for name, a := range map[string]*store.AccessToken{
		"enterprise device": {ID: "tok-0004d6bbcf10", Hash: bytes.Repeat([]byte{3}, 32), Role: ruqiv1.Role(2), Subject: "915101085GTY84YDBY",
			Description: "ruqi simulate（模拟）", CreatedAt: created, ExpiresAt: created.AddDate(0, 3, 0), Kind: store.TokenDevice, Label: "前台", Parent: "tok-00aabbccddee"},
		"revoked, no expiry, another zone": {ID: "admin", Hash: bytes.Repeat([]byte{4}, 32), Role: ruqiv1.Role(1), CreatedAt: created.In(shanghai), RevokedAt: created.Add(time.Hour).In(shanghai)},
		"zero":                             {},
	} {
		js, _ := json.Marshal(a)
		b, err := store.EncodeAccessToken(a.Hash, a)
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != "" && (!store.IsLean(b) || len(b) > len(js)/2) {
			t.Errorf("%s: %d bytes, JSON %d", name, len(b), len(js))
		}
		back, err := store.DecodeAccessToken(a.Hash, b)
		if err != nil {
			t.Fatal(err)
		}
		var want store.AccessToken
		_ = json.Unmarshal(js, &want)
		bjs, _ := json.Marshal(back)
		if string(bjs) != string(js) || !back.CreatedAt.Equal(want.CreatedAt) || back.CreatedAt.Location().String() != want.CreatedAt.Location().String() {
			t.Errorf("%s: reads back %s, want %s", name, bjs, js)
		}
	}
	// Under another key the hash is kept.
	a := &store.AccessToken{ID: "t", Hash: []byte("h"), CreatedAt: created}
	b, _ := store.EncodeAccessToken([]byte("other"), a)
	if back, err := store.DecodeAccessToken([]byte("other"), b); err != nil || string(back.Hash) != "h" {
		t.Errorf("under another key: %+v (%v)", back, err)
	}
}

// Whatever an event holds, its stored form reads back as it: lean where the
// lean format keeps every field, the protobuf otherwise (EncodeEvent checks
// with sameEvent, which must agree with proto.Equal).
func FuzzEncodeEvent_ReadsBack(f *testing.F) {
	f.Add(uint64(8), int64(1777600000), int32(5), int32(3), "officer:O-0001", "INS-1", "91510104CY4C7RGWMR", "O-0001", "check-in device", []byte{1}, []byte{2}, []byte{3}, true)
	f.Add(uint64(1), int64(-62135596800), int32(-1), int32(99), "", "", "", "", "", []byte(nil), []byte(nil), []byte(nil), false)
	f.Fuzz(func(t *testing.T, seq uint64, sec int64, nanos, typ int32, actor, ins, uscc, officer, detail string, prev, hash, salt []byte, timed bool) {
		e := &ruqiv1.Event{Seq: seq, Type: ruqiv1.EventType(typ), Actor: actor, InspectionId: ins, EnterpriseUscc: uscc,
			OfficerId: officer, Detail: detail, PrevHash: prev, Hash: hash, Salt: salt}
		if timed {
			e.Time = &timestamppb.Timestamp{Seconds: sec, Nanos: nanos}
		}
		for _, chainPrev := range [][]byte{prev, nil, {9}} {
			b, err := store.EncodeEvent(e, chainPrev)
			if err != nil {
				return // not UTF-8: the protobuf refuses it too
			}
			back, err := store.DecodeEvent(seq, chainPrev, b)
			if err != nil || !proto.Equal(back, e) {
				t.Fatalf("event %v stored as %x reads back as %v (%v)", e, b, back, err)
			}
		}
	})
}
