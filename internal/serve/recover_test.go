package serve

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

type panicStream struct{ grpc.ServerStream }

func (panicStream) Context() context.Context { return context.Background() }

// A panic in a streaming call (the directory's import, the backup) is
// Internal to its caller, as in a unary one, not the server's end.
func TestRecoverStream_PanicIsInternal(t *testing.T) {
	err := recoverStream(nil, panicStream{}, &grpc.StreamServerInfo{FullMethod: "/ruqi.v1.AdminService/ImportDirectoryStream"},
		func(any, grpc.ServerStream) error { panic("a bug") })
	if status.Code(err) != codes.Internal {
		t.Fatalf("a panicking stream handler: %v, want Internal", err)
	}
}
