package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/code"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Lean record formats for the records a province writes by the million:
// events, codes and check-ins (docs/ARCHITECTURE.md, "Records and storage").
// A lean record starts with the byte 0x00, which neither binary protobuf (no
// field has number 0) nor JSON (which starts with '{') can start with, then
// a format byte; so a reader takes either the lean form or the older one, and
// records written before these formats read as they always did (bbolt files
// are rewritten when opened: internal/store/bolt/migrate.go). Each encoder
// checks that its lean form decodes back to exactly the record it was given
// and keeps the older form when it would not (a code whose token is not one
// of ours, an event whose prev_hash is not its predecessor's hash): nothing
// a record says is ever dropped.
const (
	leanMark      = 0x00
	leanEventV1   = 0x01
	leanCodeV1    = 0x02
	leanCheckInV1 = 0x03
	eventHasTime  = 1 << 0
	eventHasPrev  = 1 << 1 // prev_hash kept: it is not the predecessor's hash
	// The actor is most often the enterprise or the officer the event
	// names ("enterprise:<uscc>", "officer:<officer_id>"): then it is not
	// written, only this flag.
	eventActorEnterprise = 1 << 2
	eventActorOfficer    = 1 << 3
)

const (
	actorEnterprise = "enterprise:"
	actorOfficer    = "officer:"
)

// IsLean reports whether a stored record is in a lean format.
func IsLean(b []byte) bool { return len(b) > 1 && b[0] == leanMark }

// EncodeEvent returns the stored form of a sequenced event whose
// predecessor's hash is prev (nil for the first) and whose key is its seq.
// prev_hash is not written (it is the predecessor's hash, re-read when the
// event is read) and neither is seq (the key); the hash is, so that
// verification still recomputes every link and compares it with what was
// stored. Nothing about the event's hash changes: EventHash reads the same
// fields, salt included.
func EncodeEvent(e *ruqiv1.Event, prev []byte) ([]byte, error) {
	b := make([]byte, 0, 96+len(e.GetActor())+len(e.GetInspectionId())+len(e.GetEnterpriseUscc())+len(e.GetOfficerId())+len(e.GetDetail()))
	b = append(b, leanMark, leanEventV1)
	var flags uint64
	if !bytesEqual(e.GetPrevHash(), prev) {
		flags |= eventHasPrev
	}
	b = appendEventFields(b, e, flags, 0)
	b = appendBytes(b, e.GetSalt())
	b = appendBytes(b, e.GetHash())
	if flags&eventHasPrev != 0 {
		b = appendBytes(b, e.GetPrevHash())
	}
	if back, err := DecodeEvent(e.GetSeq(), prev, b); err != nil || !sameEvent(back, e) {
		return proto.MarshalOptions{Deterministic: true}.Marshal(e)
	}
	return b, nil
}

// DecodeEvent reads a stored event, lean or binary protobuf, whose key is
// seq and whose predecessor's hash is prev.
func DecodeEvent(seq uint64, prev, b []byte) (*ruqiv1.Event, error) {
	e := &ruqiv1.Event{}
	if !IsLean(b) {
		return e, proto.Unmarshal(b, e)
	}
	if b[1] != leanEventV1 {
		return nil, fmt.Errorf("event %d: unknown record format %#x", seq, b[1])
	}
	d := decoder{b: b[2:]}
	flags := d.eventFields(e, 0)
	e.Salt, e.Hash = d.bytes(), d.bytes()
	e.Seq, e.PrevHash = seq, cloneOrNil(prev)
	if flags&eventHasPrev != 0 {
		e.PrevHash = d.bytes()
	}
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("event %d: %w", seq, err)
	}
	return e, nil
}

// appendEventFields writes an event's flags (those given and those it
// works out), time, type and strings, the time's seconds as the difference
// from base (0 for a single event, the previous event's in a block). The
// actor is not written when it is the enterprise or officer the event
// names.
func appendEventFields(b []byte, e *ruqiv1.Event, flags uint64, base int64) []byte {
	if e.GetTime() != nil {
		flags |= eventHasTime
	}
	actor := e.GetActor()
	switch {
	case e.GetEnterpriseUscc() != "" && actor == actorEnterprise+e.GetEnterpriseUscc():
		flags, actor = flags|eventActorEnterprise, ""
	case e.GetOfficerId() != "" && actor == actorOfficer+e.GetOfficerId():
		flags, actor = flags|eventActorOfficer, ""
	}
	b = binary.AppendUvarint(b, flags)
	if e.GetTime() != nil {
		b = binary.AppendVarint(b, e.GetTime().GetSeconds()-base)
		b = binary.AppendVarint(b, int64(e.GetTime().GetNanos()))
	}
	b = binary.AppendUvarint(b, uint64(e.GetType()))
	for _, s := range []string{actor, e.GetInspectionId(), e.GetEnterpriseUscc(), e.GetOfficerId(), e.GetDetail()} {
		b = appendBytes(b, []byte(s))
	}
	return b
}

// eventFields reads what appendEventFields wrote into e and returns the
// flags.
func (d *decoder) eventFields(e *ruqiv1.Event, base int64) uint64 {
	flags := d.uvarint()
	if flags&eventHasTime != 0 {
		e.Time = &timestamppb.Timestamp{Seconds: base + d.varint(), Nanos: int32(d.varint())}
	}
	e.Type = ruqiv1.EventType(d.uvarint())
	e.Actor, e.InspectionId, e.EnterpriseUscc, e.OfficerId, e.Detail = d.str(), d.str(), d.str(), d.str(), d.str()
	switch {
	case flags&eventActorEnterprise != 0:
		e.Actor = actorEnterprise + e.EnterpriseUscc
	case flags&eventActorOfficer != 0:
		e.Actor = actorOfficer + e.OfficerId
	}
	return flags
}

// EventHashOf reads the hash of a stored event without decoding the rest,
// for the next event's prev_hash.
func EventHashOf(b []byte) ([]byte, error) {
	if !IsLean(b) {
		e := &ruqiv1.Event{}
		if err := proto.Unmarshal(b, e); err != nil {
			return nil, err
		}
		return e.GetHash(), nil
	}
	e, err := DecodeEvent(0, nil, b)
	if err != nil {
		return nil, err
	}
	return e.GetHash(), nil
}

// EncodeCode returns the stored form of an inspection code: the binary
// COSE_Sign1 message once, and the part of the URL before the token. The
// token text is the message in base32 and the key id and validity are in
// the message, so all three are derived when read; the QR image is never
// stored. Inspection and officer ids are the record's key and in the
// message too.
func EncodeCode(c *ruqiv1.InspectionCode) ([]byte, error) {
	c = proto.CloneOf(c)
	c.QrPng = nil
	full := func() ([]byte, error) { return proto.MarshalOptions{Deterministic: true}.Marshal(c) }
	msg, err := code.DecodeToken(c.GetToken())
	if err != nil || !strings.HasSuffix(c.GetUrl(), c.GetToken()) {
		return full()
	}
	prefix := strings.TrimSuffix(c.GetUrl(), c.GetToken())
	b := make([]byte, 0, 4+len(prefix)+len(msg))
	b = append(b, leanMark, leanCodeV1)
	b = appendBytes(b, []byte(prefix))
	b = append(b, msg...)
	if back, err := DecodeCode(b); err != nil || !proto.Equal(back, c) {
		return full()
	}
	return b, nil
}

// DecodeCode reads a stored code, lean or binary protobuf.
func DecodeCode(b []byte) (*ruqiv1.InspectionCode, error) {
	c := &ruqiv1.InspectionCode{}
	if !IsLean(b) {
		return c, proto.Unmarshal(b, c)
	}
	if b[1] != leanCodeV1 {
		return nil, fmt.Errorf("code: unknown record format %#x", b[1])
	}
	d := decoder{b: b[2:]}
	prefix := d.str()
	if d.err != nil {
		return nil, fmt.Errorf("code: %w", d.err)
	}
	msg := d.b
	kid, cl, err := code.Parse(msg)
	if err != nil {
		return nil, fmt.Errorf("code: stored message: %w", err)
	}
	tok := code.EncodeToken(msg)
	c.InspectionId, c.OfficerId, c.KeyId = cl.InspectionID, cl.OfficerID, kid
	c.Token, c.Url = tok, prefix+tok
	c.NotBefore, c.ExpiresAt = timestamppb.New(cl.NotBefore), timestamppb.New(cl.Expiry)
	return c, nil
}

// EncodeCheckIn returns the stored form of a check-in, whose key is its
// token id: ids, time and count in a few bytes instead of JSON.
func EncodeCheckIn(c *CheckIn) ([]byte, error) {
	b := make([]byte, 0, 32+len(c.InspectionID)+len(c.OfficerID)+len(c.USCC)+len(c.By))
	b = append(b, leanMark, leanCheckInV1)
	b = appendBytes(b, []byte(c.InspectionID))
	b = appendBytes(b, []byte(c.OfficerID))
	b = appendBytes(b, []byte(c.USCC))
	b = appendTime(b, c.At)
	b = binary.AppendVarint(b, int64(c.Scans))
	b = appendBytes(b, []byte(c.By))
	if back, err := DecodeCheckIn(c.TokenID, b); err != nil || !sameCheckIn(back, c) {
		return json.Marshal(c)
	}
	return b, nil
}

// DecodeCheckIn reads a stored check-in, lean or JSON, whose key is tokenID.
func DecodeCheckIn(tokenID, b []byte) (*CheckIn, error) {
	c := &CheckIn{}
	if !IsLean(b) {
		return c, json.Unmarshal(b, c)
	}
	if b[1] != leanCheckInV1 {
		return nil, fmt.Errorf("check-in: unknown record format %#x", b[1])
	}
	d := decoder{b: b[2:]}
	c.TokenID = cloneOrNil(tokenID)
	c.InspectionID, c.OfficerID, c.USCC = d.str(), d.str(), d.str()
	c.At = d.time()
	c.Scans = int(d.varint())
	c.By = d.str()
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("check-in: %w", err)
	}
	return c, nil
}

// zone is the fixed zone JSON gives a time read back with this offset, so
// that a lean check-in reads as its JSON did.
func zone(off int64) *time.Location {
	if off == 0 {
		return time.UTC
	}
	return time.FixedZone("", int(off))
}

// sameEvent is proto.Equal for events, without reflection: the check that
// a lean event reads back as it was given runs on every append and on
// every event of a sealed block, in the store's one writer, where
// proto.Equal was about 3% of the writer's CPU on the province-year
// (docs/BENCHMARKS.md, 2026-12-07). Every field of Event is compared, and
// the unknown ones; TestSameEvent_EveryField fails when a field is added
// to Event and not here.
func sameEvent(a, b *ruqiv1.Event) bool {
	return a.GetSeq() == b.GetSeq() && sameTimestamp(a.GetTime(), b.GetTime()) && a.GetType() == b.GetType() &&
		a.GetActor() == b.GetActor() && a.GetInspectionId() == b.GetInspectionId() &&
		a.GetEnterpriseUscc() == b.GetEnterpriseUscc() && a.GetOfficerId() == b.GetOfficerId() &&
		a.GetDetail() == b.GetDetail() && bytesEqual(a.GetPrevHash(), b.GetPrevHash()) &&
		bytesEqual(a.GetHash(), b.GetHash()) && bytesEqual(a.GetSalt(), b.GetSalt()) &&
		bytesEqual(a.ProtoReflect().GetUnknown(), b.ProtoReflect().GetUnknown())
}

// sameTimestamp is proto.Equal for timestamps: set or not, then every
// field.
func sameTimestamp(a, b *timestamppb.Timestamp) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.GetSeconds() == b.GetSeconds() && a.GetNanos() == b.GetNanos() &&
		bytesEqual(a.ProtoReflect().GetUnknown(), b.ProtoReflect().GetUnknown())
}

func sameCheckIn(a, b *CheckIn) bool {
	_, ao := a.At.Zone()
	_, bo := b.At.Zone()
	return bytesEqual(a.TokenID, b.TokenID) && a.InspectionID == b.InspectionID && a.OfficerID == b.OfficerID &&
		a.USCC == b.USCC && a.At.Equal(b.At) && ao == bo && a.Scans == b.Scans && a.By == b.By
}

func appendBytes(b, v []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(v)))
	return append(b, v...)
}

func bytesEqual(a, b []byte) bool { return string(a) == string(b) }

// cloneOrNil copies b, keeping nil and empty apart as protobuf does not
// (both read back as empty).
func cloneOrNil(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

var errShort = errors.New("record ends early")

// decoder reads the lean formats; the first error sticks.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.err = errShort
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return cloneOrNil(v)
}

func (d *decoder) str() string { return string(d.bytes()) }

func (d *decoder) done() error {
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%d bytes left over", len(d.b))
	}
	return d.err
}

// Lean inspections: the binary protobuf without what the record repeats.
// The id is the record's key; a result names the inspection, its agency and
// enterprise again, is mostly recorded by whoever registered the plan and
// when it was completed; and the registering officer is mostly the first
// of the plan's officers. Each repetition left out is a flag (about 120 of
// 330 bytes of a simulated plan with its result).
const (
	leanInspectionV1 = 0x05

	inspIDIsKey            = 1 << 0
	inspResultID           = 1 << 1
	inspResultAgency       = 1 << 2
	inspResultUSCC         = 1 << 3
	inspResultByRegistrant = 1 << 4
	inspResultAtCompleted  = 1 << 5
	inspRegisteredByFirst  = 1 << 6
)

// EncodeInspection returns the stored form of an inspection kept under the
// key id.
func EncodeInspection(id string, in *ruqiv1.Inspection) ([]byte, error) {
	full := func() ([]byte, error) { return proto.MarshalOptions{Deterministic: true}.Marshal(in) }
	m := proto.CloneOf(in)
	var flags uint64
	if m.GetId() == id && id != "" {
		flags, m.Id = flags|inspIDIsKey, ""
	}
	if r := m.GetResult(); r != nil {
		if r.GetInspectionId() == in.GetId() && r.GetInspectionId() != "" {
			flags, r.InspectionId = flags|inspResultID, ""
		}
		if r.GetAgencyId() == in.GetAgencyId() && r.GetAgencyId() != "" {
			flags, r.AgencyId = flags|inspResultAgency, ""
		}
		if r.GetEnterpriseUscc() == in.GetEnterpriseUscc() && r.GetEnterpriseUscc() != "" {
			flags, r.EnterpriseUscc = flags|inspResultUSCC, ""
		}
		if r.GetRecordedBy() == in.GetRegisteredBy() && r.GetRecordedBy() != "" {
			flags, r.RecordedBy = flags|inspResultByRegistrant, ""
		}
		if r.GetRecordedAt() != nil && proto.Equal(r.GetRecordedAt(), in.GetCompletedAt()) {
			flags, r.RecordedAt = flags|inspResultAtCompleted, nil
		}
	}
	if len(in.GetOfficerIds()) > 0 && in.GetRegisteredBy() == actorOfficer+in.GetOfficerIds()[0] {
		flags, m.RegisteredBy = flags|inspRegisteredByFirst, ""
	}
	pb, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	b := binary.AppendUvarint([]byte{leanMark, leanInspectionV1}, flags)
	b = append(b, pb...)
	if back, err := DecodeInspection(id, b); err != nil || !proto.Equal(back, in) {
		return full()
	}
	return b, nil
}

// DecodeInspection reads a stored inspection, lean or binary protobuf,
// kept under the key id.
func DecodeInspection(id string, b []byte) (*ruqiv1.Inspection, error) {
	in := &ruqiv1.Inspection{}
	if !IsLean(b) {
		return in, proto.Unmarshal(b, in)
	}
	if b[1] != leanInspectionV1 {
		return nil, fmt.Errorf("inspection %s: unknown record format %#x", id, b[1])
	}
	flags, n := binary.Uvarint(b[2:])
	if n <= 0 {
		return nil, fmt.Errorf("inspection %s: %w", id, errShort)
	}
	if err := proto.Unmarshal(b[2+n:], in); err != nil {
		return nil, fmt.Errorf("inspection %s: %w", id, err)
	}
	if flags&inspIDIsKey != 0 {
		in.Id = id
	}
	if flags&inspRegisteredByFirst != 0 && len(in.GetOfficerIds()) > 0 {
		in.RegisteredBy = actorOfficer + in.GetOfficerIds()[0]
	}
	if r := in.GetResult(); r != nil {
		if flags&inspResultID != 0 {
			r.InspectionId = in.GetId()
		}
		if flags&inspResultAgency != 0 {
			r.AgencyId = in.GetAgencyId()
		}
		if flags&inspResultUSCC != 0 {
			r.EnterpriseUscc = in.GetEnterpriseUscc()
		}
		if flags&inspResultByRegistrant != 0 {
			r.RecordedBy = in.GetRegisteredBy()
		}
		if flags&inspResultAtCompleted != 0 {
			r.RecordedAt = proto.CloneOf(in.GetCompletedAt())
		}
	}
	return in, nil
}

// Lean access tokens: the fields in a few bytes each instead of JSON, and
// not the hash, which is the record's key.
const (
	leanAccessTokenV1 = 0x06

	tokenHashIsKey  = 1 << 0
	tokenHasRevoked = 1 << 1
	tokenHasExpiry  = 1 << 2
	tokenHasParent  = 1 << 3
)

// EncodeAccessToken returns the stored form of an access token kept under
// the key key (its hash). It keeps the JSON when the lean form would not
// read back as the JSON does (a field added to AccessToken and not here).
func EncodeAccessToken(key []byte, a *AccessToken) ([]byte, error) {
	js, err := json.Marshal(a)
	if err != nil {
		return nil, err
	}
	var flags uint64
	if bytesEqual(a.Hash, key) && len(key) > 0 {
		flags |= tokenHashIsKey
	}
	if !a.RevokedAt.IsZero() {
		flags |= tokenHasRevoked
	}
	if !a.ExpiresAt.IsZero() {
		flags |= tokenHasExpiry
	}
	if a.Parent != "" {
		flags |= tokenHasParent
	}
	b := []byte{leanMark, leanAccessTokenV1}
	b = binary.AppendUvarint(b, flags)
	b = appendBytes(b, []byte(a.ID))
	if flags&tokenHashIsKey == 0 {
		b = appendBytes(b, a.Hash)
	}
	b = binary.AppendUvarint(b, uint64(a.Role))
	for _, s := range []string{a.Subject, a.Description, a.Kind, a.Label} {
		b = appendBytes(b, []byte(s))
	}
	b = appendTime(b, a.CreatedAt)
	if flags&tokenHasRevoked != 0 {
		b = appendTime(b, a.RevokedAt)
	}
	if flags&tokenHasExpiry != 0 {
		b = appendTime(b, a.ExpiresAt)
	}
	if flags&tokenHasParent != 0 {
		b = appendBytes(b, []byte(a.Parent))
	}
	back, err := DecodeAccessToken(key, b)
	if err != nil {
		return js, nil
	}
	if bjs, err := json.Marshal(back); err != nil || string(bjs) != string(js) {
		return js, nil
	}
	return b, nil
}

// DecodeAccessToken reads a stored access token, lean or JSON, kept under
// the key key.
func DecodeAccessToken(key, b []byte) (*AccessToken, error) {
	a := &AccessToken{}
	if !IsLean(b) {
		return a, json.Unmarshal(b, a)
	}
	if b[1] != leanAccessTokenV1 {
		return nil, fmt.Errorf("access token: unknown record format %#x", b[1])
	}
	d := decoder{b: b[2:]}
	flags := d.uvarint()
	a.ID = d.str()
	if flags&tokenHashIsKey != 0 {
		a.Hash = cloneOrNil(key)
	} else {
		a.Hash = d.bytes()
	}
	a.Role = ruqiv1.Role(d.uvarint())
	a.Subject, a.Description, a.Kind, a.Label = d.str(), d.str(), d.str(), d.str()
	a.CreatedAt = d.time()
	if flags&tokenHasRevoked != 0 {
		a.RevokedAt = d.time()
	}
	if flags&tokenHasExpiry != 0 {
		a.ExpiresAt = d.time()
	}
	if flags&tokenHasParent != 0 {
		a.Parent = d.str()
	}
	if err := d.done(); err != nil {
		return nil, fmt.Errorf("access token: %w", err)
	}
	return a, nil
}

// appendTime writes a time as seconds, nanoseconds and zone offset: what
// its JSON says.
func appendTime(b []byte, t time.Time) []byte {
	b = binary.AppendVarint(b, t.Unix())
	b = binary.AppendUvarint(b, uint64(t.Nanosecond()))
	_, off := t.Zone()
	return binary.AppendVarint(b, int64(off))
}

func (d *decoder) time() time.Time {
	sec, nsec, off := d.varint(), d.uvarint(), d.varint()
	return time.Unix(sec, int64(nsec)).In(zone(off))
}
