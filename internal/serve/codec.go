package serve

import (
	"bytes"
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
)

// requestCodec is gRPC's proto codec, except for a request holding a text
// that is not UTF-8: proto3 refuses to decode it, and gRPC answers that
// with Internal and its own English ("grpc: failed to unmarshal the
// received message"), before any interceptor sees the call (a trial of bad
// input, 2026-12-06). Here such a request decodes to an empty message
// carrying notUTF8Mark, and the interceptors refuse it as the client's
// mistake, in Chinese.
//
// The mark travels in the message, not in a table beside it: a call can
// fail after its request is decoded and before any interceptor runs (a
// second message on a unary method, a client that resets the stream), and
// a table's entry for it stayed for good, a leak any client could grow
// without signing in (a review, 2026-12-06).
type requestCodec struct{ encoding.CodecV2 }

func newRequestCodec() requestCodec { return requestCodec{encoding.GetCodecV2(encproto.Name)} }

// notUTF8Mark is the unknown field requestCodec leaves in a request it
// could not decode: the highest field number, which no ruqi message uses.
var notUTF8Mark = protowire.AppendString(protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType), "ruqi: text not UTF-8")

func (c requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok || !strings.Contains(err.Error(), "invalid UTF-8") {
		return err
	}
	proto.Reset(m)
	m.ProtoReflect().SetUnknown(notUTF8Mark)
	return nil
}

// notUTF8 reports whether requestCodec marked req.
func notUTF8(req any) bool {
	m, ok := req.(proto.Message)
	return ok && bytes.Equal(m.ProtoReflect().GetUnknown(), notUTF8Mark)
}

func notUTF8Error(ctx context.Context) error {
	return service.Status(ctx, domain.Invalidf("TEXT_NOT_UTF8", "所填文字不是有效的 UTF-8 编码（常见于乱码或以其他编码保存的文件），请检查后重试"))
}

// refuseNotUTF8Unary answers a request requestCodec marked, before
// admission, sign-in and rates spend anything on it.
func refuseNotUTF8Unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if notUTF8(req) {
		return nil, notUTF8Error(ctx)
	}
	return handler(ctx, req)
}

// refuseNotUTF8Stream does the same for each message a stream receives.
func refuseNotUTF8Stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, notUTF8Stream{ss})
}

type notUTF8Stream struct{ grpc.ServerStream }

func (s notUTF8Stream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if notUTF8(m) {
		return notUTF8Error(s.Context())
	}
	return nil
}
