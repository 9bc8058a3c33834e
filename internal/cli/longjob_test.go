package cli

import (
	"context"
	"net"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/test/bufconn"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// longJobServer answers the log's verification and records how long the
// CLI gave the call.
type longJobServer struct {
	ruqiv1.UnimplementedAdminServiceServer
	left time.Duration
}

func (f *longJobServer) run(t *testing.T, args ...string) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	ruqiv1.RegisterAdminServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()
	a, out, errOut := testApp(nil)
	a.dialer = func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }
	if code := a.run(append([]string{"--server", "passthrough:///bufnet", "--token", "t"}, args...)); code != exitOK {
		t.Fatalf("ruqi %v: exit %d\n%s%s", args, code, out, errOut)
	}
}

func (f *longJobServer) VerifyEventLog(ctx context.Context, _ *ruqiv1.VerifyEventLogRequest) (*ruqiv1.VerifyEventLogResponse, error) {
	if d, ok := ctx.Deadline(); ok {
		f.left = time.Until(d)
	}
	return &ruqiv1.VerifyEventLogResponse{Intact: true}, nil
}

// The log's verification takes as long as the store is large (about 9 s
// for 100,000 plans on bbolt): it is not held to the 10-second default of
// other calls, only to a --timeout given.
func TestAdminEventsVerify_NotHeldToTheDefaultTimeout(t *testing.T) {
	f := &longJobServer{}
	f.run(t, "admin", "events", "verify")
	if f.left < time.Hour {
		t.Errorf("verify without --timeout given %v, want no 10-second bound", f.left)
	}
	f.run(t, "--timeout", "30s", "admin", "events", "verify")
	if f.left > 30*time.Second {
		t.Errorf("verify with --timeout 30s given %v", f.left)
	}
}
