package store

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func chainEvent() *ruqiv1.Event {
	return &ruqiv1.Event{Seq: 7, Time: timestamppb.New(time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)),
		Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, Actor: "enterprise:91510104CY4C7RGWMR", InspectionId: "INS-20261206-ABC",
		EnterpriseUscc: "91510104CY4C7RGWMR", OfficerId: "O-0001", Detail: "扫码核验通过"}
}

// Every field of a new event is under its hash: its seq, time and type
// too, which the v1 and v2 encodings left out (a receipt whose event was
// moved an hour, or turned from a check-in into a refusal, still verified).
func TestEventHash_V3CoversEveryField(t *testing.T) {
	prev := bytes.Repeat([]byte{0xab}, 32)
	base := chainEvent()
	Chain(prev, base)
	if HashVersion(base) != 3 || len(base.GetSalt()) != SaltSize || base.GetSalt()[0] != 3 {
		t.Fatalf("a new event's salt %x is not version 3", base.GetSalt())
	}
	want := EventHash(prev, base)
	for name, change := range map[string]func(*ruqiv1.Event){
		"seq":  func(e *ruqiv1.Event) { e.Seq++ },
		"time": func(e *ruqiv1.Event) { e.Time = timestamppb.New(e.GetTime().AsTime().Add(-time.Hour)) },
		"time by 2⁶⁴ ns": func(e *ruqiv1.Event) {
			e.Time = timestamppb.New(e.GetTime().AsTime().Add(time.Duration(1 << 62)).Add(time.Duration(1 << 62)).Add(time.Duration(1 << 62)).Add(time.Duration(1 << 62)))
		},
		"type":       func(e *ruqiv1.Event) { e.Type = ruqiv1.EventType_EVENT_TYPE_REFUSED },
		"actor":      func(e *ruqiv1.Event) { e.Actor = "officer:O-0001" },
		"inspection": func(e *ruqiv1.Event) { e.InspectionId = "INS-20261206-ABD" },
		"enterprise": func(e *ruqiv1.Event) { e.EnterpriseUscc = "91510104CY4C7RGWMS" },
		"officer":    func(e *ruqiv1.Event) { e.OfficerId = "O-0002" },
		"detail":     func(e *ruqiv1.Event) { e.Detail = "扫码核验未通过" },
		"salt":       func(e *ruqiv1.Event) { e.Salt = append([]byte{3}, bytes.Repeat([]byte{1}, SaltSize-1)...) },
	} {
		e := proto.Clone(base).(*ruqiv1.Event)
		change(e)
		if bytes.Equal(EventHash(prev, e), want) {
			t.Errorf("changing the event's %s leaves its hash as it was", name)
		}
	}
	if bytes.Equal(EventHash(bytes.Repeat([]byte{0xac}, 32), base), want) {
		t.Error("changing the previous hash leaves the event's hash as it was")
	}
}

// Events written before v3 keep the hash they were written with, or no log
// written before would verify: these are the hashes the code before v3 gave
// (computed with it, at 4276bb5).
func TestEventHash_LegacyEventsHashAsWritten(t *testing.T) {
	prev := bytes.Repeat([]byte{0xab}, 32)
	v1 := chainEvent()
	v2 := chainEvent()
	v2.Salt = bytes.Repeat([]byte{3}, 16) // a v2 salt may begin with 3: its length says v2
	for _, c := range []struct {
		e       *ruqiv1.Event
		version int
		want    string
	}{
		{v1, 1, "ce0fc597b38a1d3d52f3c5ffbea95424609d78cce7a840a4541c5c0f15faa35a"},
		{v2, 2, "a91fc1f5e660fcdc7f4f8d46bebc24a5a26a65d9c8c4d8e1f919563c50609d3a"},
	} {
		if got := HashVersion(c.e); got != c.version {
			t.Errorf("salt %x: version %d, want %d", c.e.GetSalt(), got, c.version)
		}
		if got := hex.EncodeToString(EventHash(prev, c.e)); got != c.want {
			t.Errorf("a v%d event hashes as %s, written as %s", c.version, got, c.want)
		}
	}
}

// eventsOnly is a Reader of a log held in memory: VerifyChain and
// LegacyDigest read events only.
type eventsOnly struct {
	Reader
	es []*ruqiv1.Event
}

func (r eventsOnly) Events(after uint64, fn func(*ruqiv1.Event) error) error {
	for _, e := range r.es[after:] {
		if err := fn(proto.Clone(e).(*ruqiv1.Event)); err != nil {
			if err == ErrStop {
				return nil
			}
			return err
		}
	}
	return nil
}

// A log of legacy events, then v3 events and the event that seals them:
// intact as written; a legacy event's time or type changed afterwards
// breaks it at the seal, where before the seal nothing would have noticed.
func TestVerifyChain_LegacySeal(t *testing.T) {
	var es []*ruqiv1.Event
	var prev []byte
	add := func(e *ruqiv1.Event, legacy bool) {
		e.Seq = uint64(len(es) + 1)
		e.PrevHash = prev
		if legacy {
			e.Salt = bytes.Repeat([]byte{byte(e.Seq)}, 16)
			e.Hash = EventHash(prev, e)
		} else {
			Chain(prev, e)
		}
		prev = e.GetHash()
		es = append(es, e)
	}
	for i := 0; i < 3; i++ {
		add(chainEvent(), true)
	}
	detail, err := LegacyDigest(eventsOnly{es: es})
	if err != nil || !strings.HasPrefix(detail, "events 1-3 sha256:") {
		t.Fatalf("legacy digest %q, %v", detail, err)
	}
	// A v3 event, then a v2 one, as an older replica left sequencing
	// beside a newer one writes it (an upgrade trial), before the seal
	// lands: the seal holds the legacy events at the head, and the later v2
	// one does not make it read as broken.
	add(chainEvent(), false)
	add(chainEvent(), true)
	add(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_LEGACY_EVENTS_SEALED, Actor: "system", Detail: detail}, false)
	if d, err := LegacyDigest(eventsOnly{es: es}); d != detail || err != nil {
		t.Fatalf("the digest reads on to %q (%v) past the legacy events", d, err)
	}
	// The late one is said as such, not sealed (an upgrade trial,
	// 2026-12-07: all four were said sealed), and so is one written after
	// the seal.
	if rep, err := VerifyChain(eventsOnly{es: es}); err != nil || !rep.Intact || rep.Events != 6 || rep.Legacy != 4 || rep.SealedAt != 6 ||
		rep.LegacyLate != 1 || rep.FirstLegacyLate != 5 {
		t.Fatalf("sealed log as written: %+v, %v", rep, err)
	}
	add(chainEvent(), true)
	if rep, err := VerifyChain(eventsOnly{es: es}); err != nil || !rep.Intact || rep.Legacy != 5 || rep.LegacyLate != 2 || rep.FirstLegacyLate != 5 {
		t.Fatalf("a legacy event after the seal: %+v, %v", rep, err)
	}
	es, prev = es[:6], es[5].GetHash()
	for name, change := range map[string]func(*ruqiv1.Event){
		"time": func(e *ruqiv1.Event) { e.Time = timestamppb.New(e.GetTime().AsTime().Add(-time.Hour)) },
		"type": func(e *ruqiv1.Event) { e.Type = ruqiv1.EventType_EVENT_TYPE_REFUSED },
	} {
		changed := make([]*ruqiv1.Event, len(es))
		for i, e := range es {
			changed[i] = proto.Clone(e).(*ruqiv1.Event)
		}
		change(changed[1])
		if rep, _ := VerifyChain(eventsOnly{es: changed[:3]}); !rep.Intact {
			t.Fatalf("legacy events alone, %s changed: broken at %d; their hash was thought not to cover it", name, rep.FirstBrokenSeq)
		}
		if rep, _ := VerifyChain(eventsOnly{es: changed}); rep.Intact || rep.FirstBrokenSeq != 6 {
			t.Errorf("legacy event 2's %s changed after the seal: %+v, want broken at the seal (6)", name, rep)
		}
	}
}
