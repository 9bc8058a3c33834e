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
	"github.com/ruqi/ruqi/internal/testutil/redistest"
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

// Two replicas on one PostgreSQL and one Redis share one record: a token
// issued at one works at the other, a code issued at one scans VALID at the
// other, plans of two agencies registered at different replicas become one
// joint inspection that a scan at either shows whole, and both see one
// intact event log of the same length.
func TestPostgres_TwoReplicas_ShareOneRecord(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	url := pg.NewDatabase(t)
	a := newWorld(t, "-store", url, "-redis-addr", rs.Addr())
	b := a.replica(t, "-store", url, "-redis-addr", rs.Addr())

	reg := b.register("now", "now+4h") // a's officer token, at b
	got, _ := a.scan(a.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "code issued at b, scanned at a", got, ruqiv1.Verdict_VERDICT_VALID)
	got, _ = b.scan(b.entA, reg.GetCodes()[1].GetToken())
	wantVerdict(t, "code issued at b, scanned at b", got, ruqiv1.Verdict_VERDICT_VALID)

	start := time.Now()
	p3, err := a.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], start, start.Add(4*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	p4, err := b.registerAs("AG-04", a.f.entB, a.f.itemsOf["AG-04"][:1], start, start.Add(6*time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if err != nil {
		t.Fatal(err)
	}
	if j := p4.GetJointInspection(); j == nil || len(j.GetInspectionIds()) != 2 || j.GetLeadAgencyId() != "AG-07" {
		t.Fatalf("plans registered at two replicas: joint %v, want both with AG-07 leading", j)
	}
	for name, w := range map[string]*world{"a": a, "b": b} {
		got, _ := w.scan(w.entB, p3.GetCodes()[0].GetToken())
		wantVerdict(t, "AG-07's code at "+name, got, ruqiv1.Verdict_VERDICT_VALID)
		if n := len(got.GetInspection().GetAgencies()); n != 2 {
			t.Fatalf("scan at %s shows %d agencies, want the whole joint inspection (2)", name, n)
		}
	}
	if na, nb := a.eventCount(), b.eventCount(); na != nb || na == 0 {
		t.Fatalf("event logs: %d events at a, %d at b; want one log", na, nb)
	}
}

// replica starts another server on w's store (serverArgs name it, with
// -store), with w's Merkle log key, as replicas that share a store share
// it; its world uses the tokens issued at w.
func (w *world) replica(t *testing.T, serverArgs ...string) *world {
	r := &world{server: startServer(t, append(serverArgs, "-log-key-file", filepath.Join(w.dataDir, "log.key"))...), f: w.f}
	r.officer, r.entA, r.entB = w.officer, w.entA, w.entB
	return r
}

// Replicas must decide on one policy (无事不扰): a replica started with
// another -policy-file (five inspections an agency a year where the others
// allow two) made a third plan of one agency in a year, a cap broken
// (an operator's trial, 2026-12-05). The replica started last publishes its
// policies' digest in the store; a replica on others registers nothing
// (UNAVAILABLE POLICY_DIFFERS, a message that says what to do) until
// restarted on the same file, while its scans go on.
func TestPostgres_ReplicaOnAnotherPolicy_RegistersNothing(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	url := pg.NewDatabase(t)
	a := newWorld(t, "-store", url, "-redis-addr", rs.Addr())
	loose := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(loose, []byte(`{"default": {"agency_per_year": 5}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	b := a.replica(t, "-store", url, "-redis-addr", rs.Addr(), "-policy-file", loose)

	start := time.Now().Add(time.Hour)
	window := func(day int) (time.Time, time.Time) {
		s := start.Add(time.Duration(day) * 24 * time.Hour)
		return s, s.Add(time.Hour)
	}
	from, to := window(0)
	reg, err := a.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], from, to, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if status.Code(err) != codes.Unavailable || !strings.Contains(status.Convert(err).Message(), "-policy-file") {
		t.Fatalf("a replica on policies other than the last started's: %v %v, want UNAVAILABLE naming -policy-file", reg, err)
	}
	for day := range 3 { // b's five a year allow three; a's two would not
		from, to := window(day)
		if _, err := b.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], from, to, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
			t.Fatalf("day %d at the replica started last: %v", day, err)
		}
	}
	// a restarted on b's file decides as b does.
	a.stop()
	a.args = append(a.args, "-policy-file", loose)
	a.start()
	from, to = window(3)
	if _, err := a.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], from, to, ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE); err != nil {
		t.Fatalf("a, restarted on the same policy file: %v", err)
	}
}

// A server on the replicas' PostgreSQL started without -redis-addr decides
// in process, on a state it seeded once and kept: the Redis replicas'
// plans written since are not in it, and it registered a third plan of one
// agency in a year where two are allowed (an operator's trial, 2026-12-06).
// Its seeds raise the store's fence, as the Redis coordinator's do, so that
// a state another coordinator built since is never decided on: the third
// plan is refused at either server, and so is a duplicate.
func TestPostgres_ServerWithoutRedisBesideReplicas_CapHolds(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	url := pg.NewDatabase(t)
	a := newWorld(t, "-store", url, "-redis-addr", rs.Addr())
	b := a.replica(t, "-store", url) // in process: the operator forgot -redis-addr

	start := time.Now().Add(time.Hour)
	window := func(day int) (time.Time, time.Time) {
		s := start.Add(time.Duration(day) * 24 * time.Hour)
		return s, s.Add(time.Hour)
	}
	routine := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	reg := func(w *world, agency string, day int) (*ruqiv1.RegisterInspectionResponse, error) {
		from, to := window(day)
		return w.registerAs(agency, a.f.entB, a.f.itemsOf[agency][:1], from, to, routine)
	}
	if _, err := reg(a, "AG-07", 0); err != nil {
		t.Fatalf("AG-07's first plan at the Redis replica: %v", err)
	}
	if _, err := reg(b, "AG-04", 1); err != nil { // b seeds the enterprise
		t.Fatalf("AG-04's plan at the server without Redis: %v", err)
	}
	if _, err := reg(a, "AG-07", 2); err != nil {
		t.Fatalf("AG-07's second plan at the Redis replica: %v", err)
	}
	if got, err := reg(b, "AG-07", 3); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("AG-07's third plan in a year at the server without Redis: %v %v, want RESOURCE_EXHAUSTED (FREQUENCY_CAP)", got, err)
	}
	if got, err := reg(b, "AG-07", 2); status.Code(err) != codes.AlreadyExists {
		t.Fatalf("AG-07's second plan again at the server without Redis: %v %v, want ALREADY_EXISTS (DUPLICATE_PLAN)", got, err)
	}
	if got, err := reg(a, "AG-07", 4); status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("AG-07's third plan in a year at the Redis replica: %v %v, want RESOURCE_EXHAUSTED (FREQUENCY_CAP)", got, err)
	}
}
