package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// With PostgreSQL stopped every page and call answered UNAVAILABLE, but
// /healthz kept saying "ok" and gRPC health SERVING, for as long as no
// write reaches the store (docs/ARCHITECTURE.md, "Deployment": "PostgreSQL
// restarts | every call answers UNAVAILABLE …; health goes NOT_SERVING").
// Every user call fails at its token lookup, a read, so none ever writes:
// a load balancer keeps sending enterprises to a replica that can serve
// nothing (a trial of the pages, 2026-12-05). A read that finds the
// database out of reach now turns health NOT_SERVING too.
func TestPostgres_StoreDown_HealthNotServingWithoutAWrite(t *testing.T) {
	pg := pgtest.Start(t)
	w := newWorld(t, "-store", pg.NewDatabase(t))
	reg := w.register("now", "now+4h")
	pg.Kill()
	_, err := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).ScanCode(context.Background(), &ruqiv1.ScanCodeRequest{Code: reg.GetCodes()[0].GetToken()})
	if err == nil {
		t.Fatal("scan with PostgreSQL down succeeded")
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, code := w.health(t)
		if st == healthpb.HealthCheckResponse_NOT_SERVING && code == http.StatusServiceUnavailable {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("10 s after PostgreSQL stopped, calls fail but health is %v and /healthz %d", st, code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
