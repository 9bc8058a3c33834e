package bolt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/store"
)

// Found by an operator's trial of a bad week (2026-12-06): ruqi.db deleted
// while the server runs (an operator freeing space, a wrong rm). The
// writer went on committing into the deleted file through its open
// descriptor and /healthz said ok; at the next stop every record went with
// it. The next checkpoint writes the open file back to its path (as a
// compaction does) and the store goes on there: a stop and an open
// afterwards find every write.
func TestCheckpoint_FileDeletedWhileRunning_WrittenBack(t *testing.T) {
	checkpointEveryCommit(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 20)
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for i := 20; ; i++ {
		writeSome(t, s, i, 1)
		if _, err := os.Stat(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			s.Close()
			t.Fatal("ruqi.db still missing 10 s after it was deleted: every write goes into a file that a stop deletes")
		}
		time.Sleep(10 * time.Millisecond)
	}
	writeSome(t, s, 1000, 5)
	want := dump(t, s.db)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := openAt(t, path)
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}

// Another file moved in at the path while the server runs (a restore done
// without stopping it) is not overwritten; writes are refused from the
// next checkpoint, since the next start opens the file now at the path and
// would not find them. The file moved back, writes go on.
func TestCheckpoint_FileReplacedWhileRunning_WritesRefused(t *testing.T) {
	checkpointEveryCommit(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 5)
	aside := path + ".aside"
	// The file moved aside and another written in between two of the
	// writer's steps: from here, a checkpoint (one is under way after
	// every commit) finishing between the rename and the write found the
	// path empty and wrote the open file back there, and the write then
	// truncated the store's own file under its mapping (SIGBUS).
	var moveErr error
	s.onWriterDo(func() {
		if moveErr = os.Rename(path, aside); moveErr == nil {
			moveErr = os.WriteFile(path, []byte("another file"), 0o600)
		}
	})
	if moveErr != nil {
		t.Fatal(moveErr)
	}
	refused := false
	for i, deadline := 5, time.Now().Add(10*time.Second); time.Now().Before(deadline); i++ {
		if err := s.Update(context.Background(), appendOne(fmt.Sprintf("INS-%d", i))); err != nil {
			refused = true
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Fatal("writes still acknowledged 10 s after the file was replaced")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "another file" {
		t.Fatalf("the file moved in was changed: %q %v", b, err)
	}
	if err := os.Rename(aside, path); err != nil {
		t.Fatal(err)
	}
	// The health probe's empty writes pass the checkpoints that find it back.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err := s.Update(context.Background(), appendOne("back")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("writes still refused 10 s after the file was moved back")
		}
	}
}

// A compaction while another file stands at the path does not swap its
// copy in over that file: keepFile leaves a file moved in alone (the next
// start opens it), but `ruqi admin compact` renamed the open file's copy
// over it, the file moved in was gone, and writes were taken again into
// the old store.
func TestCompact_FileReplacedWhileRunning_NotOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 5)
	// Between two of the writer's steps, as above: a timed checkpoint
	// could otherwise write the open file back between the two.
	var moveErr error
	s.onWriterDo(func() {
		if moveErr = os.Rename(path, path+".aside"); moveErr == nil {
			moveErr = os.WriteFile(path, []byte("another file"), 0o600)
		}
	})
	if moveErr != nil {
		t.Fatal(moveErr)
	}
	if _, err := s.Compact(context.Background()); err == nil {
		t.Error("a compaction while another file stands at the path succeeded")
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "another file" {
		t.Fatalf("the file moved in was replaced by the compaction: %d bytes, %v", len(b), err)
	}
}

// A review (2026-12-06): when the rename that writes a deleted file back
// failed, the compaction's reopen opened the empty path, a new empty store
// that then took the writes, the records of the deleted file lost at the
// next stop. The open file stays serving, writes refused, and is written
// back once the rename works.
func TestCheckpoint_FileDeletedAndWriteBackFails_OpenFileKept(t *testing.T) {
	checkpointEveryCommit(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 20)
	want := dump(t, s.db)
	failWriteBack.Store(true)
	t.Cleanup(func() { failWriteBack.Store(false) })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	refused := false
	for i, deadline := 0, time.Now().Add(10*time.Second); time.Now().Before(deadline); i++ {
		if err := s.Update(context.Background(), appendOne(fmt.Sprintf("INS-%d", i))); err != nil {
			refused = true
			break
		}
		want = dump(t, s.db)
		time.Sleep(10 * time.Millisecond)
	}
	if !refused {
		t.Fatal("writes still acknowledged 10 s after the file was deleted and could not be written back")
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("a file stands at the path though the write-back failed: a new, empty store was opened")
	}
	failWriteBack.Store(false)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.Update(context.Background(), func(store.Tx) error { return nil }); err == nil {
			if _, err := os.Stat(path); err == nil {
				break
			}
		}
		if time.Now().After(deadline) {
			s.Close()
			t.Fatal("not written back 10 s after the rename works again")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	r := openAt(t, path)
	defer r.Close()
	got := dump(t, r.db)
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %q after the write-back: %q, want %q (the deleted file's records lost)", k, got[k], v)
		}
	}
}
