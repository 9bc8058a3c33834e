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

// requestCodec is gRPC's proto codec, except for a request it cannot
// decode: a text that is not UTF-8, which proto3 refuses, or bytes that are
// no protobuf message at all (a truncated field, a tag of field number 0).
// gRPC answers either with Internal and its own English ("grpc: failed to
// unmarshal the received message"), before any interceptor sees the call
// (trials of bad input, 2026-12-06: the second on GetDraw, which takes no
// token). Here such a request decodes to an empty message carrying a mark
// (notUTF8Mark, notMessageMark), and the interceptors refuse it as the
// client's mistake, in Chinese.
//
// The mark travels in the message, not in a table beside it: a call can
// fail after its request is decoded and before any interceptor runs (a
// second message on a unary method, a client that resets the stream), and
// a table's entry for it stayed for good, a leak any client could grow
// without signing in (a review, 2026-12-06).
type requestCodec struct{ encoding.CodecV2 }

func newRequestCodec() requestCodec { return requestCodec{encoding.GetCodecV2(encproto.Name)} }

// notUTF8Mark and notMessageMark are the unknown fields requestCodec leaves
// in a request it could not decode: the highest field number, which no
// ruqi message uses.
var (
	notUTF8Mark    = protowire.AppendString(protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType), "ruqi: text not UTF-8")
	notMessageMark = protowire.AppendString(protowire.AppendTag(nil, protowire.MaxValidNumber, protowire.BytesType), "ruqi: not a message")
)

func (c requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok {
		return err
	}
	mark := notMessageMark
	if strings.Contains(err.Error(), "invalid UTF-8") {
		mark = notUTF8Mark
	}
	proto.Reset(m)
	m.ProtoReflect().SetUnknown(mark)
	return nil
}

// undecodable is the refusal of a request requestCodec marked, nil for
// any other.
func undecodable(ctx context.Context, req any) error {
	m, ok := req.(proto.Message)
	if !ok {
		return nil
	}
	switch u := m.ProtoReflect().GetUnknown(); {
	case bytes.Equal(u, notUTF8Mark):
		return service.Status(ctx, domain.Invalidf("TEXT_NOT_UTF8", "所填文字不是有效的 UTF-8 编码（常见于乱码或以其他编码保存的文件），请检查后重试"))
	case bytes.Equal(u, notMessageMark):
		return service.Status(ctx, domain.Invalidf("REQUEST_MALFORMED", "请求内容无法解析：不是本服务接口的有效消息（可能被截断或已损坏），请使用 ruqi 命令行工具或升级客户端后重试"))
	}
	return nil
}

// refuseNotUTF8Unary answers a request requestCodec marked (not UTF-8, or
// no message), before admission, sign-in and rates spend anything on it.
func refuseNotUTF8Unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := undecodable(ctx, req); err != nil {
		return nil, err
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
	return undecodable(s.Context(), m)
}
