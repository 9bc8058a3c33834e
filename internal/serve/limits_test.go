package serve

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// With every slot taken, a call is shed with RESOURCE_EXHAUSTED instead of
// queueing without bound; health checks still pass; a freed slot is reused.
func TestAdmission_Full_ShedsWithResourceExhausted(t *testing.T) {
	a := newAdmission(1, 0)
	inside, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	slow := func(ctx context.Context, req any) (any, error) { close(inside); <-release; return nil, nil }
	quick := func(ctx context.Context, req any) (any, error) { return "ok", nil }
	scan := &grpc.UnaryServerInfo{FullMethod: "/ruqi.v1.EnterpriseService/ScanCode"}
	go func() { _, err := a.unary(context.Background(), nil, scan, slow); done <- err }()
	<-inside

	if _, err := a.unary(context.Background(), nil, scan, quick); status.Code(err) != codes.ResourceExhausted {
		t.Errorf("call with no free slot: got %v, want ResourceExhausted", err)
	}
	health := &grpc.UnaryServerInfo{FullMethod: "/grpc.health.v1.Health/Check"}
	if _, err := a.unary(context.Background(), nil, health, quick); err != nil {
		t.Errorf("health check shed: %v", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := a.unary(context.Background(), nil, scan, quick); err != nil {
		t.Errorf("call after the slot was freed: %v", err)
	}
}

// A waiting call gives up when its caller does.
func TestAdmission_WaitingCall_EndsWithItsContext(t *testing.T) {
	a := newAdmission(1, 1<<62)
	a.slots <- struct{}{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.unary(ctx, nil, &grpc.UnaryServerInfo{FullMethod: "/x/Y"}, func(context.Context, any) (any, error) { return nil, nil })
	if status.Code(err) != codes.Canceled {
		t.Errorf("got %v, want Canceled", err)
	}
}
