package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// ruqi admin compact rewrites the running server's file: the records and
// the chain are intact afterwards, the server serves again, and writes go
// on from the same head.
func TestAdminCompact_RunningServerKeepsRecords(t *testing.T) {
	needsBolt(t) // PostgreSQL compacts itself (VACUUM)
	w := newWorld(t)
	first := w.register("now", "now+4h")

	var resp ruqiv1.CompactStoreResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "admin", "compact"), &resp)
	if resp.GetPlans() != 1 || resp.GetBytesAfter() <= 0 || resp.GetBytesBefore() <= 0 {
		t.Fatalf("compact answered %v, want one plan and both sizes", &resp)
	}
	if out := w.mustCLI(w.admin, "admin", "compact"); !fieldsPresent(out, "压缩前", "压缩后", "每项检查（压缩后）") {
		t.Errorf("compact table lacks its fields:\n%s", out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	h, err := healthpb.NewHealthClient(w.conn("")).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || h.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health after compaction: %v %v, want SERVING", h, err)
	}
	got, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).GetInspection(ctx,
		&ruqiv1.GetInspectionRequest{InspectionId: first.GetInspection().GetId()})
	if err != nil || got.GetInspection().GetId() != first.GetInspection().GetId() {
		t.Fatalf("inspection after compaction: %v %v", got, err)
	}
	w.register("now+5h", "now+8h")
	var v ruqiv1.VerifyEventLogResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "admin", "events", "verify"), &v)
	if !v.GetIntact() || v.GetEvents() == 0 {
		t.Fatalf("event log after compaction and a write: %v", &v)
	}
}

func fieldsPresent(out string, names ...string) bool {
	for _, n := range names {
		if !strings.Contains(out, n) {
			return false
		}
	}
	return true
}
