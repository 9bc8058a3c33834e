package e2e

import (
	"context"

	"errors"
	"fmt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
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
	receiptsVerify := func() error {
		dir := t.TempDir()
		out := b.mustCLI(b.entA, "receipt", "get", "--dir", dir)
		if strings.Contains(out, "尚未入日志") {
			return errors.New("pending")
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) == 0 {
			return errors.New("no receipt yet")
		}
		args := append([]string{"receipt", "verify", "--log-key", logKey, "--witness-policy", policy}, files...)
		if r := b.cli("", args...); r.exit != 0 {
			return fmt.Errorf("receipt verify: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	}
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
