package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// withBucket edits one bucket of a stopped server's bbolt file, as an
// operator with write access to the file would.
func withBucket(t *testing.T, path, bucket string, f func(*bbolt.Bucket)) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error { f(tx.Bucket([]byte(bucket))); return nil }); err != nil {
		t.Fatal(err)
	}
}

// receiptsOf fetches enterprise tok's receipts of one inspection, once
// every one of its events is in the log (among them one of each type
// wanted: a store that sequences after commit lists an event once
// sequenced), and verifies them offline.
func (w *world) receiptsOf(tok, inspectionID string, want ...ruqiv1.EventType) []*ruqiv1.Receipt {
	w.t.Helper()
	w.mustCLI("", "keys", "fetch")
	var out []*ruqiv1.Receipt
	eventually(w.t, "receipts of "+inspectionID, func() error {
		dir := w.t.TempDir()
		o := w.mustCLI(tok, "receipt", "get", "--dir", dir, "--inspection", inspectionID)
		if strings.Contains(o, "尚未入日志") {
			return errors.New("pending")
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if r := w.cli("", append([]string{"receipt", "verify"}, files...)...); r.exit != 0 {
			return fmt.Errorf("verify: exit %d %s%s", r.exit, r.stdout, r.stderr)
		}
		out = nil
		for _, f := range files {
			b, _ := os.ReadFile(f)
			var rc ruqiv1.Receipt
			if err := protojson.Unmarshal(b, &rc); err != nil {
				return err
			}
			out = append(out, &rc)
		}
		for _, typ := range want {
			if !slices.ContainsFunc(out, func(rc *ruqiv1.Receipt) bool { return rc.GetEvent().GetType() == typ }) {
				return fmt.Errorf("no receipt of %s yet", typ)
			}
		}
		return nil
	})
	return out
}

func receiptOfType(t *testing.T, rcs []*ruqiv1.Receipt, typ ruqiv1.EventType) *ruqiv1.Event {
	t.Helper()
	for _, rc := range rcs {
		if rc.GetEvent().GetType() == typ {
			return rc.GetEvent()
		}
	}
	t.Fatalf("no receipt of %s", typ)
	return nil
}

// 报备 is the step the reform rests on: who may come, for which items,
// when. Its receipt must hold that, or the record of it can be rewritten
// without a trace: here the operator swaps one registered officer for
// another in the stopped server's file (an officer who came without being
// registered, covered afterwards). The server, `admin events verify` and
// every receipt still pass, and the enterprise's receipt of the
// registration, verified offline, cannot show what was registered.
func TestLog_RegistrationRewrittenAtRest_ReceiptShowsWhatWasRegistered(t *testing.T) {
	needsBolt(t)
	w := newWorld(t, "-log-interval", "100ms")
	reg := w.register("now", "now+2h")
	id := reg.GetInspection().GetId()
	registered := reg.GetInspection().GetOfficerIds()
	regEvent := receiptOfType(t, w.receiptsOf(w.entA, id, ruqiv1.EventType_EVENT_TYPE_REGISTERED), ruqiv1.EventType_EVENT_TYPE_REGISTERED)

	w.stop()
	swapped := w.f.officers[2]
	withBucket(t, filepath.Join(w.dataDir, "ruqi.db"), "inspections", func(b *bbolt.Bucket) {
		in, err := store.DecodeInspection(id, b.Get([]byte(id)))
		if err != nil {
			t.Fatal(err)
		}
		in.OfficerIds[1] = swapped
		v, err := store.EncodeInspection(id, in)
		if err != nil {
			t.Fatal(err)
		}
		b.Put([]byte(id), v)
	})
	w.start()

	// The rewrite is what everyone is shown now.
	got, err := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA)).ListInspections(context.Background(), &ruqiv1.ListInspectionsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var shown []string
	for _, in := range got.GetInspections() {
		if in.GetInspectionId() == id {
			for _, o := range in.GetOfficers() {
				shown = append(shown, o.GetOfficerId())
			}
		}
	}
	if !slices.Contains(shown, swapped) {
		t.Fatalf("the rewrite did not take: officers shown %v", shown)
	}
	// Something must tell: the log holds what was registered.
	verify := w.cli(w.admin, "admin", "events", "verify")
	if !strings.Contains(regEvent.GetDetail(), "officers="+strings.Join(registered, ",")) {
		t.Errorf("the enterprise's receipt of the registration does not name the officers registered (%v): detail %q", registered, regEvent.GetDetail())
	}
	if verify.exit != 1 || !strings.Contains(verify.stderr, "存储的记录与事件日志不符") || !strings.Contains(verify.stdout, id) {
		t.Errorf("`admin events verify` after the rewrite: exit %d\n%s%s", verify.exit, verify.stdout, verify.stderr)
	}
}

// The enterprise's evaluation of the agency (评价) is the step that checks
// the officers' conduct; its receipt must hold what it said. Here the
// operator turns an overall 1 with "certificate not shown" into a 5 with
// "shown" in the stopped server's file: the 司法局 reads the 5, every
// check passes, and the enterprise's verified receipt of its evaluation
// says only that it evaluated.
func TestLog_EvaluationRewrittenAtRest_ReceiptShowsTheScore(t *testing.T) {
	needsBolt(t)
	w := newWorld(t, "-log-interval", "100ms")
	reg := w.register("now", "now+2h")
	id := reg.GetInspection().GetId()
	w.closeWithResults(w.officer, id)
	w.mustCLI(w.entA, "company", "evaluate", "--inspection", id, "--certificate-shown=false",
		"--rights-explained=false", "--conducted-properly=false", "--overall", "1")
	evEvent := receiptOfType(t, w.receiptsOf(w.entA, id, ruqiv1.EventType_EVENT_TYPE_EVALUATED), ruqiv1.EventType_EVENT_TYPE_EVALUATED)

	w.stop()
	withBucket(t, filepath.Join(w.dataDir, "ruqi.db"), "evaluations", func(b *bbolt.Bucket) {
		var ev ruqiv1.Evaluation
		if err := proto.Unmarshal(b.Get([]byte(id)), &ev); err != nil {
			t.Fatal(err)
		}
		ev.Overall, ev.CertificateShown, ev.RightsExplained, ev.ConductedProperly = 5, true, true, true
		v, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&ev)
		b.Put([]byte(id), v)
	})
	w.start()

	wantEvaluationRewriteSeen(t, w, id, evEvent)
}

// wantEvaluationRewriteSeen checks, after an evaluation of 1/5 was rewritten
// to 5/5 at rest, that the rewrite took, that the enterprise's receipt of
// its evaluation holds its answers, and that `admin events verify` names the
// record.
func wantEvaluationRewriteSeen(t *testing.T, w *world, id string, evEvent *ruqiv1.Event) {
	t.Helper()
	sup := w.issueToken("supervisor", "510000")
	evs, err := ruqiv1.NewSupervisionServiceClient(w.conn(sup)).ListEvaluations(context.Background(), &ruqiv1.ListEvaluationsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var shown *ruqiv1.Evaluation
	for _, ev := range evs.GetEvaluations() {
		if ev.GetInspectionId() == id {
			shown = ev
		}
	}
	if shown.GetOverall() != 5 {
		t.Fatalf("the rewrite did not take: the 司法局 reads %v", shown)
	}
	verify := w.cli(w.admin, "admin", "events", "verify")
	if !strings.Contains(evEvent.GetDetail(), "certificate=false rights=false proper=false overall=1") {
		t.Errorf("the enterprise's receipt of its evaluation does not hold its answers: detail %q", evEvent.GetDetail())
	}
	if verify.exit != 1 || !strings.Contains(verify.stderr, "存储的记录与事件日志不符") || !strings.Contains(verify.stdout, id) {
		t.Errorf("`admin events verify` after the rewrite: exit %d\n%s%s", verify.exit, verify.stdout, verify.stderr)
	}
}

// The same on PostgreSQL: one UPDATE of the evaluation's row, and nothing
// in the log, the checks or the enterprise's receipt tells.
func TestPostgres_EvaluationRewritten_ReceiptShowsTheScore(t *testing.T) {
	pg := pgtest.Start(t)
	url := pg.NewDatabase(t)
	w := newWorld(t, "-store", url, "-log-interval", "100ms")
	reg := w.register("now", "now+2h")
	id := reg.GetInspection().GetId()
	w.closeWithResults(w.officer, id)
	w.mustCLI(w.entA, "company", "evaluate", "--inspection", id, "--certificate-shown=false",
		"--rights-explained=false", "--conducted-properly=false", "--overall", "1")
	evEvent := receiptOfType(t, w.receiptsOf(w.entA, id, ruqiv1.EventType_EVENT_TYPE_EVALUATED), ruqiv1.EventType_EVENT_TYPE_EVALUATED)

	w.stop()
	db := url[strings.LastIndex(url, "/")+1 : strings.Index(url, "?")]
	var ev ruqiv1.Evaluation
	ev.InspectionId, ev.EnterpriseUscc, ev.AgencyId = id, w.f.entA, reg.GetInspection().GetAgencyId()
	ev.Overall, ev.CertificateShown, ev.RightsExplained, ev.ConductedProperly = 5, true, true, true
	v, _ := proto.MarshalOptions{Deterministic: true}.Marshal(&ev)
	pg.Exec(t, db, "UPDATE evaluations SET rec = $1 WHERE inspection_id = $2", v, id)
	w.start()

	wantEvaluationRewriteSeen(t, w, id, evEvent)
}
