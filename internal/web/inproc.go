package web

import (
	"context"
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/test/bufconn"
)

// InProcess serves the gRPC API on an in-memory connection for the web
// pages and returns a client of it, and a function that stops both.
//
// The pages call the API rather than the service's internals so that they
// hold no domain logic of their own: each call carries the signed-in user's
// token and passes the same interceptors (authentication, the role table,
// metrics, logging) and the same handlers with their object-level checks as
// a call from the CLI. register registers the handlers (service.Register);
// opts must be the public server's options without its TLS credentials:
// the bytes never leave the process, so there is nothing to encrypt, and
// no port is opened.
func InProcess(register func(grpc.ServiceRegistrar), opts ...grpc.ServerOption) (grpc.ClientConnInterface, func(), error) {
	lis := bufconn.Listen(1 << 20)
	gs := grpc.NewServer(opts...)
	register(gs)
	go func() { _ = gs.Serve(lis) }()
	// passthrough: the name is not resolved; the dialer ignores it.
	cc, err := grpc.NewClient("passthrough:///ruqi-in-process",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
	)
	if err != nil {
		gs.Stop()
		return nil, nil, fmt.Errorf("in-process gRPC client: %w", err)
	}
	stop := func() {
		cc.Close()
		done := make(chan struct{})
		go func() { gs.GracefulStop(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			gs.Stop()
		}
	}
	return cc, stop, nil
}
