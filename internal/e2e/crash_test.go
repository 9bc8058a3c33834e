package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
)

// The embedded default killed with kill -9 under load, five times: after
// each restart every registration acknowledged before the kill is in the
// file (the write-ahead log's recovery restores the last checkpoint and
// replays the groups bbolt had committed without syncing), the event log
// verifies, and no plan breaks 无事不扰.
func TestEmbedded_KilledUnderLoad_NothingAcknowledgedLost(t *testing.T) {
	needsBolt(t)
	w := newWorld(t)
	ents, err := readSampleEnterprises(40)
	if err != nil {
		t.Fatal(err)
	}
	p := &province{replicas: []*world{w}}
	path := filepath.Join(w.dataDir, "ruqi.db")
	total, replays := 0, 0
	for trial := range 5 {
		stop := make(chan struct{})
		l := runLoad(t, p, ents, func() []*world { return []*world{w} }, stop, 16)
		waitCount(l, int64(150*(trial+1)))
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = w.cmd.Wait()
		close(stop)
		acked := l.acknowledged()
		if len(acked) == 0 {
			t.Fatalf("trial %d: no registration acknowledged before the kill", trial)
		}
		if _, err := os.Stat(filepath.Join(path + ".wal")); err != nil {
			t.Fatalf("trial %d: no write-ahead log beside the file: %v", trial, err)
		}
		w.cmd = nil
		w.start() // recovers
		if strings.Contains(w.log.String(), "replayed the write-ahead log") {
			replays++
		}
		w.mustCLI(w.admin, "admin", "events", "verify") // fails the test if the chain or a checkpoint does not verify
		w.stop()
		st, err := bolt.Open(path, bolt.DefaultOptions())
		if err != nil {
			t.Fatalf("trial %d: reopen: %v", trial, err)
		}
		lost := 0
		err = st.View(context.Background(), func(r store.Reader) error {
			for id := range acked {
				if _, err := r.Inspection(id); err != nil {
					lost++
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if wrong := checkDecisions(t, st, ents); wrong > 0 {
			t.Errorf("trial %d: %d wrong decisions after recovery", trial, wrong)
		}
		st.Close()
		if lost > 0 {
			t.Fatalf("trial %d: %d of %d acknowledged registrations lost", trial, lost, len(acked))
		}
		total += len(acked)
		w.start()
	}
	// Checkpoints are 2 s apart and a trial is shorter: most kills leave
	// transactions only the log has.
	if replays == 0 {
		t.Error("no restart replayed the write-ahead log: the kills did not test recovery")
	}
	t.Logf("5 kills under load: %d acknowledged registrations, 0 lost; %d restarts replayed the log", total, replays)
}
