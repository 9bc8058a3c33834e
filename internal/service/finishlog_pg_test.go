package service_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/tlog"
)

// A clean stop leaves every event the server acknowledged in a signed
// checkpoint, on PostgreSQL too, where an acknowledged write's events wait in
// pending_events until the sequencer chains them (up to SequenceInterval
// later: business transactions do not wake it). Found by a review
// (2026-12-06): FinishLog integrated only what was sequenced, and the
// sequencing replica, stopped right after its last call, left that call's
// events out of the checkpoint.
func TestFinishLog_PostgresSequencer_IntegratesTheLastAcknowledgedEvents(t *testing.T) {
	pg, err := postgres.Open(context.Background(), pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.example/log")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, pg, "", func(c *service.Config) { c.Log = service.LogConfig{Log: l, Key: vkey} })
	for deadline := time.Now().Add(10 * time.Second); !pg.Sequencing(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the store never took the sequencer's lock")
		}
	}
	ctx := context.Background()
	if err := pg.WaitSequenced(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.FinishLog(ctx); err != nil {
		t.Fatal(err)
	}
	r := e.registrar(t, "AG-01")
	if _, err := r.register(e.dir.GetEnterprises()[1].GetUscc(), r.base); err != nil {
		t.Fatal(err)
	}
	// The last call in flight has ended; the server stops.
	if err := e.svc.FinishLog(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pg.WaitSequenced(ctx); err != nil { // only to count what was acknowledged
		t.Fatal(err)
	}
	var size, head uint64
	if err := pg.View(ctx, func(rd store.Reader) error {
		var err error
		if size, _, err = rd.LatestCheckpoint(); err != nil {
			return err
		}
		head, _, err = rd.Head()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if size != head {
		t.Errorf("after FinishLog the signed checkpoint covers %d of the %d events acknowledged", size, head)
	}
}
