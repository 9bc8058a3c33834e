package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// `receipt get --inspection A` says how many of A's events are not yet in
// the log. Here every event of A is in the log and another inspection's
// (B's) are not: the command says A's receipts are still on the way
// (另有 N 个事件尚未入日志，几秒后再取) and counts B's events (an operator's
// trial, 2026-12-06). The log is integrated at each start and then not for
// an hour, so which events are in it is certain.
func TestReceiptGet_OneInspection_PendingCountsOnlyItsEvents(t *testing.T) {
	w := newWorld(t, "-log-interval", "1h")
	a := w.register("now", "now+2h").GetInspection().GetId()
	w.restart() // integrates A's events at start
	eventually(t, "A's receipts in the log", func() error {
		out := w.mustCLI(w.entA, "receipt", "get", "--dir", t.TempDir(), "--inspection", a)
		if strings.Contains(out, "已保存 0 份") {
			return fmt.Errorf("none yet:\n%s", out)
		}
		return nil
	})
	w.register("now+3h", "now+5h") // B: events not in the log for an hour

	out := w.mustCLI(w.entA, "-o", "json", "receipt", "get", "--dir", t.TempDir(), "--inspection", a)
	var resp ruqiv1.ListReceiptsResponse
	mustUnmarshal(t, out, &resp)
	if len(resp.GetReceipts()) == 0 {
		t.Fatalf("no receipt of A: %s", out)
	}
	if resp.GetPending() != 0 {
		t.Errorf("receipt get --inspection %s: pending %d, want 0: every event of A is in the log (the pending ones are another inspection's)", a, resp.GetPending())
	}
	text := w.mustCLI(w.entA, "receipt", "get", "--dir", t.TempDir(), "--inspection", a)
	if strings.Contains(text, "尚未入日志") {
		t.Errorf("the enterprise is told A's receipts are still on the way:\n%s", lastLines(text, 1))
	}
}

// On PostgreSQL an event is written unsequenced and chained by the
// sequencer after commit. An event committed and not yet sequenced has no
// receipt yet, and `receipt get` must say one is on the way: here it says
// "已保存 0 份存证" and nothing more, and the enterprise, which has just
// scanned the code, is told it has no receipt to wait for. The sequencer's
// lock is held by the test (a sequencer lagging, or its replica just
// killed and the lock not yet taken over), so the event stays unsequenced.
func TestPostgres_ReceiptGet_UnsequencedEventsArePending(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.NewDatabase(t)
	w := newWorld(t, "-store", url, "-log-interval", "200ms")
	w.stop()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_lock($1)", int64(0x72757169736571)); err != nil {
		t.Fatal(err)
	}
	w.start()

	reg := w.register("now", "now+2h")
	id := reg.GetInspection().GetId()
	got, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken())
	wantVerdict(t, "scan", got, ruqiv1.Verdict_VERDICT_VALID)

	out := w.mustCLI(w.entA, "-o", "json", "receipt", "get", "--dir", t.TempDir(), "--inspection", id)
	var resp ruqiv1.ListReceiptsResponse
	mustUnmarshal(t, out, &resp)
	if len(resp.GetReceipts()) == 0 && resp.GetPending() == 0 {
		t.Errorf("after a registration and a check-in not yet sequenced: %d receipts and pending %d; want their events counted as pending (尚未入日志)", len(resp.GetReceipts()), resp.GetPending())
	}
}

// Two replicas import the directory at once, one of them with an item it
// adds and the other with the same new item under another legal basis:
// one text is published, the other import refused (ITEM_TEXT_FIXED); and an
// officer suspended in ruqi stays suspended through both imports.
func TestProvince_TwoReplicasImportAtOnce(t *testing.T) {
	pg, rs := pgtest.Start(t), redistest.Start(t)
	url := pg.NewDatabase(t)
	a := newWorld(t, "-store", url, "-redis-addr", rs.Addr())
	b := a.replica(t, "-store", url, "-redis-addr", rs.Addr())
	officer := a.f.officersOf["AG-07"][0]
	dirc := ruqiv1.NewDirectoryServiceClient(a.conn(a.admin))
	if _, err := dirc.SetCertificateStatus(context.Background(), &ruqiv1.SetCertificateStatusRequest{OfficerId: officer,
		Status: ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED, Reason: "涉嫌违规执法，暂扣"}); err != nil {
		t.Fatal(err)
	}
	base := sampleDirectory(t)
	item := proto.CloneOf(base.GetCheckItems()[0])
	item.Id = "CI-9001"
	files := make([]string, 2)
	for i := range files {
		d := proto.CloneOf(base)
		it := proto.CloneOf(item)
		it.LegalBasis.Article = fmt.Sprintf("第%d条", 10+i)
		d.CheckItems = append(d.CheckItems, it)
		b, _ := protojson.Marshal(d)
		files[i] = filepath.Join(t.TempDir(), "directory.json")
		if err := os.WriteFile(files[i], b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	res := make([]cliResult, 2)
	for i, w := range []*world{a, b} {
		wg.Add(1)
		go func() { defer wg.Done(); res[i] = w.cli(w.admin, "admin", "import", files[i]) }()
	}
	wg.Wait()
	ok := 0
	for i, r := range res {
		if r.exit == 0 {
			ok++
		} else if !strings.Contains(r.stderr, "CI-9001") {
			t.Errorf("import %d: exit %d\n%s%s", i, r.exit, r.stdout, r.stderr)
		}
	}
	if ok != 1 {
		t.Errorf("two imports at once with one new item under two legal bases: %d succeeded, want 1\n%v", ok, res)
	}
	for i, w := range []*world{a, b} {
		o, err := ruqiv1.NewDirectoryServiceClient(w.conn(w.admin)).ListOfficers(context.Background(), &ruqiv1.ListOfficersRequest{AgencyId: "AG-07"})
		if err != nil {
			t.Fatal(err)
		}
		for _, of := range o.GetOfficers() {
			if of.GetId() == officer && of.GetCertificateStatus() != ruqiv1.CertificateStatus_CERTIFICATE_STATUS_SUSPENDED {
				t.Errorf("replica %d: %s is %s after two imports, want still suspended", i, officer, of.GetCertificateStatus())
			}
		}
	}
	_, err := a.registerAs("AG-07", a.f.entB, a.f.itemsOf["AG-07"][:1], time.Now(), time.Now().Add(time.Hour), ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE)
	if status.Code(err) == codes.OK {
		// registerAs uses officersOf[:2], whose first is suspended.
		t.Errorf("registration with a suspended officer accepted after two imports")
	}
}
