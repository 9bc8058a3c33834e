package store

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// sameEvent stands for proto.Equal where the writer checks a lean record:
// it must tell apart two events that differ in any one field, as
// proto.Equal does, and a field added to Event must be added to it. Each
// field of Event's descriptor is set in both, then changed in one.
func TestSameEvent_EveryField(t *testing.T) {
	full := func() *ruqiv1.Event {
		e := &ruqiv1.Event{}
		m := e.ProtoReflect()
		fields := m.Descriptor().Fields()
		for i := range fields.Len() {
			m.Set(fields.Get(i), sample(t, m, fields.Get(i), 1))
		}
		return e
	}
	a, b := full(), full()
	if !sameEvent(a, b) || !proto.Equal(a, b) {
		t.Fatal("two events with the same fields differ")
	}
	fields := b.ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		b := full()
		m := b.ProtoReflect()
		m.Set(f, sample(t, m, f, 2))
		if proto.Equal(a, b) {
			t.Fatalf("field %s: the test's two values are equal", f.Name())
		}
		if sameEvent(a, b) || sameEvent(b, a) {
			t.Errorf("field %s: events that differ in it are the same to sameEvent; compare it there", f.Name())
		}
		m.Clear(f)
		if sameEvent(a, b) != proto.Equal(a, b) {
			t.Errorf("field %s unset: sameEvent says %v, proto.Equal %v", f.Name(), sameEvent(a, b), proto.Equal(a, b))
		}
	}
	// The time's seconds and nanoseconds each count; a time set to zero
	// is not a time unset; unknown fields count.
	b = full()
	b.Time.Nanos++
	if sameEvent(a, b) {
		t.Error("events a nanosecond apart are the same")
	}
	b = full()
	b.Time.Seconds++
	if sameEvent(a, b) {
		t.Error("events a second apart are the same")
	}
	b = full()
	b.Time = &timestamppb.Timestamp{}
	a.Time = nil
	if sameEvent(a, b) || sameEvent(b, a) {
		t.Error("an event without a time is the same as one at the zero time")
	}
	a, b = full(), full()
	b.ProtoReflect().SetUnknown(protoreflect.RawFields{0x98, 0x06, 0x01}) // field 99, varint 1
	if sameEvent(a, b) || sameEvent(b, a) {
		t.Error("an event with an unknown field is the same as one without")
	}
	b = full()
	b.GetTime().ProtoReflect().SetUnknown(protoreflect.RawFields{0x98, 0x06, 0x01})
	if sameEvent(a, b) {
		t.Error("a time with an unknown field is the same as one without")
	}
}

// sample is a value n (1 or 2) of field f of m, of the kinds Event has.
func sample(t *testing.T, m protoreflect.Message, f protoreflect.FieldDescriptor, n int) protoreflect.Value {
	t.Helper()
	if f.IsList() || f.IsMap() {
		t.Fatalf("field %s: a repeated field; give sameEvent and this test a way to compare it", f.Name())
	}
	switch f.Kind() {
	case protoreflect.Uint64Kind:
		return protoreflect.ValueOfUint64(uint64(n))
	case protoreflect.EnumKind:
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n))
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(string(rune('a' + n)))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{byte(n), 7})
	case protoreflect.MessageKind:
		if f.Message().FullName() == "google.protobuf.Timestamp" {
			return protoreflect.ValueOfMessage((&timestamppb.Timestamp{Seconds: int64(n), Nanos: int32(n)}).ProtoReflect())
		}
	}
	t.Fatalf("field %s of kind %v: give sameEvent and this test a way to compare it", f.Name(), f.Kind())
	return m.Get(f)
}
