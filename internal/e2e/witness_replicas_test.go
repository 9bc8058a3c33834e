package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The same with two replicas on PostgreSQL and Redis: the witness is back
// after the last event, and the replica that sequences the log asks it
// again: the complaint's receipt, fetched at the other replica, meets the
// witness policy.
func TestPostgres_Replicas_WitnessBackAfterTheLastEvent_CheckpointCosigned(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	dbURL := pg.NewDatabase(t)
	dataDir := t.TempDir()
	logKey := newLogKey(t, filepath.Join(dataDir, "log.key"))
	wit := startWitness(t, logKey)
	policy := filepath.Join(dataDir, "witnesses.txt")
	wit.writePolicy(policy)
	args := []string{"-store", dbURL, "-redis-addr", rs.Addr(), "-log-key-file", filepath.Join(dataDir, "log.key"), "-witness-policy", policy, "-log-interval", "100ms", "-principal-rates", "off"}
	a := newWorld(t, args...)
	b := &world{server: startServer(t, args...), f: a.f}
	b.officer, b.entA, b.entB = a.officer, a.entA, a.entB
	a.register("now+1h", "now+2h")
	receiptsVerify := witnessedReceipts(t, b, logKey, policy)
	eventually(t, "the registration's receipt, witnessed", receiptsVerify)
	u, err := url.Parse(wit.url)
	if err != nil {
		t.Fatal(err)
	}
	wit.stop()
	b.mustCLI(b.entA, "company", "complain", "--officer", "自称王某", "--description", "未出示入企码")
	eventually(t, "the complaint in the log", func() error {
		out := b.mustCLI(b.entA, "receipt", "get", "--dir", t.TempDir())
		if strings.Contains(out, "尚未入日志") || !strings.Contains(out, "企业投诉") {
			return fmt.Errorf("not yet:\n%s", out)
		}
		return nil
	})
	restartWitnessAt(wit, u.Host)
	eventually(t, "the complaint's receipt, witnessed once the witness is back", receiptsVerify)
}

// An officer suspended at one replica: the other officer's code of their
// inspection, scanned at another replica, is TOO_FEW_OFFICERS.
func TestPostgres_Replicas_SuspensionAtOne_TooFewOfficersAtTheOther(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	dbURL := pg.NewDatabase(t)
	a := newWorld(t, "-store", dbURL, "-redis-addr", rs.Addr())
	b := a.replica(t, "-store", dbURL, "-redis-addr", rs.Addr())
	reg := a.register("now", "now+4h")
	got, _ := b.scan(b.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "before", got, ruqiv1.Verdict_VERDICT_VALID)
	if _, err := ruqiv1.NewDirectoryServiceClient(a.conn(a.admin)).SetCertificateStatus(context.Background(), &ruqiv1.SetCertificateStatusRequest{
		OfficerId: a.f.officers[1], Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED, Reason: "暂扣"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "TOO_FEW_OFFICERS at b", func() error {
		got, _ := b.scan(b.entA, codeOf(t, reg, a.f.officers[0]).GetToken())
		if got.GetVerdict() != ruqiv1.Verdict_VERDICT_TOO_FEW_OFFICERS {
			return fmt.Errorf("verdict %s", got.GetVerdict())
		}
		return nil
	})
}

// Replicas must share one -witness-policy: only the replica that sequences
// the log asks witnesses to cosign, so which checkpoints are witnessed
// depended on which replica held the sequencer's lock. An operator's trial
// (2026-12-06) started one replica with a policy beside two without: it
// published the policy in /keys.json, no witness was ever asked, and every
// receipt fetched failed that policy, with nothing in any log. A server
// started with a policy other than the one of the server started before it
// on the store now says so at start, and so does one started without.
func TestPostgres_Replicas_AnotherWitnessPolicy_WarnedAtStart(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	dbURL := pg.NewDatabase(t)
	dataDir := t.TempDir()
	logKey := newLogKey(t, filepath.Join(dataDir, "log.key"))
	wit := startWitness(t, logKey)
	policy := filepath.Join(dataDir, "witnesses.txt")
	wit.writePolicy(policy)
	args := []string{"-store", dbURL, "-redis-addr", rs.Addr(), "-log-key-file", filepath.Join(dataDir, "log.key")}
	// startLog is a server's log up to its ready line.
	startLog := func(s *server) string {
		eventually(t, "the ready line", func() error {
			if !strings.Contains(s.log.String(), "ruqi server ready") {
				return errors.New("not yet")
			}
			return nil
		})
		return s.log.String()
	}
	a := newWorld(t, args...)
	if l := startLog(a.server); strings.Contains(l, "-witness-policy") {
		t.Fatalf("the first server on the store warned of a witness policy:\n%s", l)
	}
	if l := startLog(startServer(t, append(args, "-witness-policy", policy)...)); !strings.Contains(l, "-witness-policy") {
		t.Errorf("a replica started with a witness policy beside one without said nothing:\n%s", l)
	}
	if l := startLog(startServer(t, append(args, "-witness-policy", policy)...)); strings.Contains(l, "-witness-policy") {
		t.Errorf("a replica started with the same witness policy as the one before it warned:\n%s", l)
	}
	if l := startLog(startServer(t, args...)); !strings.Contains(l, "-witness-policy") {
		t.Errorf("a replica started without the witness policy of the one before it said nothing:\n%s", l)
	}
}

// The operator's trial (2026-12-06) again: a replica without a witness
// policy held the sequencer's lock, and a replica started after it with a
// policy published that policy in /keys.json while no witness was ever
// asked, so every receipt failed it. The server started last decides, as
// with -policy-file: the replica whose witness policy is no longer the
// store's stands aside from sequencing (saying so in its log, once, and on
// /healthz), the one on the store's policy sequences the events of both
// and has the witness cosign, and the stale one goes on serving scans and
// registrations.
func TestPostgres_Replicas_AnotherWitnessPolicy_StaleReplicaStandsAside(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	dbURL := pg.NewDatabase(t)
	dataDir := t.TempDir()
	logKey := newLogKey(t, filepath.Join(dataDir, "log.key"))
	wit := startWitness(t, logKey)
	policy := filepath.Join(dataDir, "witnesses.txt")
	wit.writePolicy(policy)
	args := []string{"-store", dbURL, "-redis-addr", rs.Addr(), "-log-key-file", filepath.Join(dataDir, "log.key"), "-log-interval", "100ms", "-principal-rates", "off"}
	// a, alone on the store, sequences from its start (the import's
	// events); b starts with a witness policy after it.
	a := newWorld(t, args...)
	b := &world{server: startServer(t, append(args, "-witness-policy", policy)...), f: a.f}
	b.officer, b.entA, b.entB = a.officer, a.entA, a.entB

	const standsAside = "stands aside from sequencing"
	eventually(t, "a saying it stands aside", func() error {
		if !strings.Contains(a.log.String(), standsAside) {
			return errors.New("not yet")
		}
		return nil
	})
	// The stale replica registers and scans on.
	reg := a.register("now", "now+2h")
	got, _ := a.scan(a.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "a scan at the replica standing aside", got, ruqiv1.Verdict_VERDICT_VALID)

	// Its registration's receipt, fetched at b, meets b's policy: b
	// sequenced it and had the witness cosign the checkpoint.
	eventually(t, "the registration's receipt from a, witnessed under b's policy", witnessedReceipts(t, b, logKey, policy))

	healthz := func(s *server) (int, string) {
		r, err := http.Get("http://" + s.httpAddr + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		body, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(body)
	}
	if code, body := healthz(a.server); code != http.StatusOK || !strings.Contains(body, "-witness-policy") {
		t.Errorf("a's /healthz: %d %q; want 200 naming -witness-policy", code, body)
	}
	if code, body := healthz(b.server); code != http.StatusOK || body != "ok\n" {
		t.Errorf("b's /healthz: %d %q; want 200 ok", code, body)
	}
	// Said once a minute, not at every look at the store's policy.
	time.Sleep(3 * time.Second)
	if n := strings.Count(a.log.String(), standsAside); n != 1 {
		t.Errorf("a said %d times that it stands aside; want once a minute:\n%s", n, a.log.String())
	}
	if strings.Contains(b.log.String(), standsAside) {
		t.Errorf("b, on the store's witness policy, said it stands aside:\n%s", b.log.String())
	}
}
