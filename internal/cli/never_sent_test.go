package cli

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// A call whose deadline passed while gRPC still waited for a connection
// (a server process stopped, SIGSTOP: the kernel accepts the TCP
// connection, the HTTP/2 handshake never answers) was never sent: gRPC's
// picker gave up before any stream. The CLI told the officer
// "报备可能已经生效…--request-id…" (an operator's trial, 2026-12-06), as it
// does not for a dial that failed.
func TestMayHaveSucceeded_DeadlineBeforeAConnection_NeverSent(t *testing.T) {
	for _, err := range []error{
		status.Error(codes.DeadlineExceeded, "context deadline exceeded while waiting for connections to become ready"),
		status.Error(codes.Canceled, "context canceled while waiting for connections to become ready"),
		status.Error(codes.DeadlineExceeded, "latest balancer error: connection error: desc = \"transport: authentication handshake failed: context deadline exceeded\""),
	} {
		if mayHaveSucceeded(err) {
			t.Errorf("%v: said it may have taken effect; it was never sent", err)
		}
	}
	// A deadline once the call was sent may have let it take effect.
	if !mayHaveSucceeded(status.Error(codes.DeadlineExceeded, "context deadline exceeded")) {
		t.Error("a deadline after the call was sent: said it cannot have taken effect")
	}
}
