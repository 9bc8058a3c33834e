package serve

import (
	"context"
	"strings"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	encproto "google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
)

// requestCodec is gRPC's proto codec, except for a request holding a text
// that is not UTF-8: proto3 refuses to decode it, and gRPC answers that
// with Internal and its own English ("grpc: failed to unmarshal the
// received message"), before any interceptor sees the call (a trial of bad
// input, 2026-12-06). Here such a request decodes to an empty message,
// marked in notUTF8, and the first interceptor refuses it as the client's
// mistake, in Chinese.
type requestCodec struct{ encoding.CodecV2 }

func newRequestCodec() requestCodec { return requestCodec{encoding.GetCodecV2(encproto.Name)} }

// notUTF8 holds the requests requestCodec decoded empty, until the call's
// interceptor takes them out (refuseNotUTF8Unary, notUTF8Stream.RecvMsg):
// each is taken out in the same call that put it there, so nothing stays.
var notUTF8 sync.Map

func (c requestCodec) Unmarshal(data mem.BufferSlice, v any) error {
	err := c.CodecV2.Unmarshal(data, v)
	m, ok := v.(proto.Message)
	if err == nil || !ok || !strings.Contains(err.Error(), "invalid UTF-8") {
		return err
	}
	proto.Reset(m)
	notUTF8.Store(m, struct{}{})
	return nil
}

func notUTF8Error(ctx context.Context) error {
	return service.Status(ctx, domain.Invalidf("TEXT_NOT_UTF8", "所填文字不是有效的 UTF-8 编码（常见于乱码或以其他编码保存的文件），请检查后重试"))
}

// refuseNotUTF8Unary answers a request requestCodec marked. It comes before
// every interceptor that may answer without calling on (admission, sign-in,
// rates), so that each mark is taken out.
func refuseNotUTF8Unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if _, bad := notUTF8.LoadAndDelete(req); bad {
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
	if _, bad := notUTF8.LoadAndDelete(m); bad {
		return notUTF8Error(s.Context())
	}
	return nil
}
