package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/testutil/redistest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// ruqi admin backup copies the running server's file; a server started on
// the copy as the README's restore says (the copy as ruqi.db, the data
// directory's log.key and admin.token beside it) holds every registration
// acknowledged before the backup, its codes still scan valid, its log
// verifies, and it goes on registering. The backup refuses to overwrite a
// file, and only an administrator may take one.
func TestAdminBackup_RestoredServerKeepsWhatWasAcknowledged(t *testing.T) {
	needsBolt(t) // PostgreSQL: pg_basebackup, pg_dump
	w := newWorld(t)
	first := w.register("now", "now+4h")

	out := filepath.Join(t.TempDir(), "backup.db")
	var rep struct {
		Bytes        int64  `json:"bytes"`
		LastEventSeq uint64 `json:"lastEventSeq"`
		SHA256       string `json:"sha256"`
	}
	if err := json.Unmarshal([]byte(w.mustCLI(w.admin, "-o", "json", "admin", "backup", out)), &rep); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Size() != rep.Bytes || rep.LastEventSeq == 0 || len(rep.SHA256) != 64 {
		t.Fatalf("backup %+v, file %v %v", rep, fi, err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v: it holds the signing keys, want 0600", fi.Mode().Perm())
	}
	if left, err := filepath.Glob(out + ".*.part"); err != nil || len(left) != 0 {
		t.Errorf("a .part file was left (a second link to the keys): %v %v", left, err)
	}
	if r := w.cli(w.admin, "admin", "backup", out); r.exit == 0 || !strings.Contains(r.stderr, "已存在") {
		t.Errorf("a backup onto an existing file: exit %d, %s; want a refusal", r.exit, r.stderr)
	}
	if r := w.cli(w.officer, "admin", "backup", filepath.Join(t.TempDir(), "x.db")); r.exit == 0 {
		t.Errorf("an officer took a backup: %s", r.stdout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st, err := ruqiv1.NewAdminServiceClient(w.conn(w.entA)).BackupStore(ctx, &ruqiv1.BackupStoreRequest{}); err == nil {
		if _, err = st.Recv(); status.Code(err) != codes.PermissionDenied {
			t.Errorf("an enterprise's backup: %v, want PERMISSION_DENIED", err)
		}
	}
	// Written after the backup: gone with the restore.
	later := w.register("now+5h", "now+8h")
	w.restoreFrom(out)

	got, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).GetInspection(ctx,
		&ruqiv1.GetInspectionRequest{InspectionId: first.GetInspection().GetId()})
	if err != nil || got.GetInspection().GetId() != first.GetInspection().GetId() {
		t.Fatalf("the inspection registered before the backup, after the restore: %v %v", got, err)
	}
	if _, err := ruqiv1.NewInspectionServiceClient(w.conn(w.officer)).GetInspection(ctx,
		&ruqiv1.GetInspectionRequest{InspectionId: later.GetInspection().GetId()}); status.Code(err) != codes.NotFound {
		t.Errorf("the inspection registered after the backup, after the restore: %v, want NOT_FOUND", err)
	}
	scanned, _ := w.scan(w.entA, first.GetCodes()[0].GetUrl())
	wantVerdict(t, "a code issued before the backup, scanned after the restore", scanned, ruqiv1.Verdict_VERDICT_VALID)
	var v ruqiv1.VerifyEventLogResponse
	mustUnmarshal(t, w.mustCLI(w.admin, "-o", "json", "admin", "events", "verify"), &v)
	if !v.GetIntact() || v.GetEvents() <= rep.LastEventSeq {
		t.Fatalf("event log after the restore: %v; the backup ended at %d", &v, rep.LastEventSeq)
	}
	w.register("now+9h", "now+12h")
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// A store restored from a backup is behind what Redis saw of it: the
// coordinator's states count plans registered after the backup, which the
// store no longer holds. At start the server finds the store behind and
// drops them (an operator's trial, 2026-12-05, was refused "重复报备" as a
// duplicate of an inspection that did not exist, with FLUSHDB the only
// way out): the agency registers the lost visit again.
func TestRedis_StoreRestored_StatesOfLostPlansDropped(t *testing.T) {
	needsBolt(t) // the restore through ruqi admin backup; PostgreSQL's is pg_dump's
	rs := redistest.Start(t)
	w := newWorld(t, "-redis-addr", rs.Addr())
	w.register("now+1h", "now+2h")
	out := filepath.Join(t.TempDir(), "backup.db")
	w.mustCLI(w.admin, "admin", "backup", out)
	w.register("now+5h", "now+8h") // after the backup: lost by the restore
	w.restoreFrom(out)
	w.register("now+5h", "now+8h")
}

// The store is restored from the wrong backup (B1), the
// replicas serve a little, then it is restored from the right one (B2).
// B2's log is longer than the one Redis last saw, but it is another
// history: its plan X is unknown to Redis, which holds Z (registered on B1)
// instead. The states are dropped again (an operator's second trial,
// 2026-12-05: FollowStore compared sequence numbers only, kept them, and,
// the enterprise's fence being 1 in both histories, accepted a duplicate
// of X).
func TestRedis_StoreRestoredToADivergentHistory_StatesDropped(t *testing.T) {
	needsBolt(t)
	rs := redistest.Start(t)
	w := newWorld(t, "-redis-addr", rs.Addr())
	w.register("now+1h", "now+2h")
	b1 := filepath.Join(t.TempDir(), "b1.db")
	w.mustCLI(w.admin, "admin", "backup", b1)
	w.registerFor(w.f.entB, "now+20h", "now+22h") // X: entB's first plan, in B2 only
	w.register("now+5h", "now+6h")                // more business before B2: its log is longer
	b2 := filepath.Join(t.TempDir(), "b2.db")
	w.mustCLI(w.admin, "admin", "backup", b2)
	w.restoreFrom(b1)                             // the wrong backup: X is lost, states dropped
	w.registerFor(w.f.entB, "now+40h", "now+42h") // Z, on the wrong history
	w.restoreFrom(b2)                             // the right one: holds X, not Z
	r := w.cli(w.officer, "officer", "register", "--enterprise", w.f.entB,
		"--items", strings.Join(w.f.items, ","), "--officers", strings.Join(w.f.officers[:2], ","),
		"--from", "now+20h30m", "--to", "now+21h", "--type", "routine", "--reason", "日常监督检查")
	if r.exit == 0 || !strings.Contains(r.stderr, "DUPLICATE_PLAN") {
		t.Fatalf("a plan overlapping X (which the restored store holds) was accepted: exit %d, %s%s", r.exit, r.stdout, r.stderr)
	}
}
