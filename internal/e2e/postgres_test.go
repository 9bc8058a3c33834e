package e2e

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The same 64-at-once registration, on a server whose record is PostgreSQL:
// serializable transactions retried under contention give one joint
// inspection, one plan per agency.
func TestPostgres_ConcurrentRegistrations_OneJointInspection(t *testing.T) {
	pg := pgtest.Start(t)
	w := newWorld(t, "-store", pg.NewDatabase(t))
	concurrentRegistrations(t, w)
	if n := w.eventCount(); n == 0 {
		t.Fatal("no events in the log after 64 registrations")
	}
}

// -store selects PostgreSQL (no bbolt file is made); the log verifies whole.
// PostgreSQL dies: calls answer UNAVAILABLE naming the database; it comes
// back: the same server serves again without a restart.
func TestPostgres_StoreDown_UnavailableThenRecovers(t *testing.T) {
	pg := pgtest.Start(t)
	w := newWorld(t, "-store", pg.NewDatabase(t))
	if _, err := os.Stat(filepath.Join(w.dataDir, "ruqi.db")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a bbolt file was made beside a PostgreSQL store: %v", err)
	}
	reg := w.register("now", "now+4h")
	got, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "scan on PostgreSQL", got, ruqiv1.Verdict_VERDICT_VALID)
	before := w.eventCount() // verifies the chain, after waiting for the sequencer
	if before < 4 {
		t.Fatalf("%d events after a registration with 2 codes and a scan, want at least 4", before)
	}

	pg.Kill()
	enterprise := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA))
	_, err := enterprise.ScanCode(context.Background(), &ruqiv1.ScanCodeRequest{Code: reg.GetCodes()[0].GetToken()})
	if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "PostgreSQL") {
		t.Fatalf("scan with PostgreSQL down: %v, want UNAVAILABLE naming PostgreSQL", err)
	}

	pg.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err = enterprise.ScanCode(context.Background(), &ruqiv1.ScanCodeRequest{Code: reg.GetCodes()[0].GetToken()})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing 30s after PostgreSQL came back: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if after := w.eventCount(); after <= before {
		t.Fatalf("events %d after a scan once back, want more than %d", after, before)
	}
}
