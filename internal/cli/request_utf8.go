package cli

import (
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// A flag typed in a terminal that is not UTF-8 (a reason typed in a GBK
// console) or a list read from such a file could not be sent: grpc-go's
// marshalling refused it as Internal, "grpc: error while marshaling:
// string field contains invalid UTF-8（服务器内部错误）", with the hint that
// the step may already have taken effect (a trial of bad input,
// 2026-12-07). The request is looked at before it is sent, and the field
// named.

// notUTF8Field is the name of the first text field of m, at any depth,
// that is not UTF-8; "" if every one is.
func notUTF8Field(m proto.Message) string {
	if m == nil {
		return ""
	}
	return notUTF8In(m.ProtoReflect())
}

func notUTF8In(m protoreflect.Message) string {
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		found = notUTF8Value(fd, v)
		return found == ""
	})
	return found
}

func notUTF8Value(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch {
	case fd.IsList():
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			if bad := notUTF8Scalar(fd, l.Get(i)); bad != "" {
				return bad
			}
		}
	case fd.IsMap():
		var bad string
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(k.String()) {
				bad = string(fd.Name())
			} else {
				bad = notUTF8Scalar(fd.MapValue(), mv)
			}
			return bad == ""
		})
		return bad
	default:
		return notUTF8Scalar(fd, v)
	}
	return ""
}

func notUTF8Scalar(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.StringKind:
		if !utf8.ValidString(v.String()) {
			return string(fd.Name())
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return notUTF8In(v.Message())
	}
	return ""
}
