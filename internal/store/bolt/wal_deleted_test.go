package bolt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Found by an operator's trial of a bad week (2026-12-06): with the disk
// full, an operator deletes ruqi.db.wal/ to free space while the server
// runs. The writer went on appending to and syncing the deleted segment,
// acknowledging every write as durable with no log on disk, and /healthz
// said ok: a power cut would lose what followed the file's last sync and
// find meta pages naming pages never written. The next checkpoint notices
// the segment gone and starts a new log in a new segment.
func TestCheckpoint_SegmentDeletedWhileRunning_NewLogStarted(t *testing.T) {
	checkpointEveryCommit(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 5)
	// Deleted between two of the writer's steps: a checkpoint is under way
	// after every commit, and one finishing while os.RemoveAll ran here
	// found the segment unlinked and started the new log inside the
	// directory being removed ("directory not empty"), as in
	// TestCheckpoint_FullSegmentDeletedWhileRunning_WritesAgain.
	var rmErr error
	s.onWriterDo(func() { rmErr = os.RemoveAll(walDir(path)) })
	if rmErr != nil {
		t.Fatal(rmErr)
	}
	// Writes go on; a checkpoint follows them and finds the log gone.
	deadline := time.Now().Add(10 * time.Second)
	for {
		writeSome(t, s, 5, 1)
		ns, err := segmentsIn(walDir(path))
		if err == nil && len(ns) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no segment on disk 10 s after the log was deleted (%v): writes are acknowledged with no log", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The new log holds what came after: a crash now recovers it.
	writeSome(t, s, 6, 10)
	want := dump(t, s.db)
	crash := crashImage(t, path)
	r, err := Open(crash, DefaultOptions())
	if err != nil {
		t.Fatalf("crash image after the new log: %v", err)
	}
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}

// The log deleted when its open segment was full, as on a full disk, where
// an operator deletes it to free space: no record could be appended (the
// next segment's directory was gone), so no checkpoint was recorded, and
// the writer, which looked for a deleted segment only after a checkpoint it
// could record, refused every write until a restart. The file is synced
// and the store writes again, in a new log.
func TestCheckpoint_FullSegmentDeletedWhileRunning_WritesAgain(t *testing.T) {
	checkpointEveryCommit(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 5)
	// The open segment is full, and the log is deleted between two of the
	// writer's steps: deleted from here while the writer ran, a checkpoint
	// finishing could make the next segment inside the directory being
	// removed ("directory not empty", CI 2026-12-07).
	var rmErr error
	s.onWriterDo(func() {
		s.wal.size = s.wal.off
		rmErr = os.RemoveAll(walDir(path))
	})
	if rmErr != nil {
		t.Fatal(rmErr)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; i++ {
		err := s.Update(context.Background(), appendOne(fmt.Sprintf("INS-after-%d", i)))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still refused 10 s after the full log was deleted: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	writeSome(t, s, 5, 5)
	want := dump(t, s.db)
	crash := crashImage(t, path)
	r, err := Open(crash, DefaultOptions())
	if err != nil {
		t.Fatalf("crash image after the log was deleted: %v", err)
	}
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}
