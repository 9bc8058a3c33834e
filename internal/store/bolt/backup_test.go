package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func putPlans(t *testing.T, s *Store, from, to int) {
	t.Helper()
	err := s.Update(context.Background(), func(tx store.Tx) error {
		for i := from; i < to; i++ {
			id := fmt.Sprintf("INS-%06d", i)
			if err := tx.PutInspection(&ruqiv1.Inspection{Id: id, EnterpriseUscc: "91350100M000100Y43", AgencyId: "AG-01"}); err != nil {
				return err
			}
			if err := appendOne(id)(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A backup is the store as it stood when the backup began: what was
// committed before is in the copy, including commits the write-ahead log
// has not yet checkpointed into a synced file; what was written while the
// copy was being made is not. A server opens the copy alone (no log beside
// it) and goes on from its head.
func TestBackup_CopyIsTheStoreWhenItBegan(t *testing.T) {
	noAutoCheckpoint(t)
	s := openTest(t)
	ctx := context.Background()
	putPlans(t, s, 0, 300)
	if s.Stats().Checkpoints != 0 {
		t.Fatal("a checkpoint was taken: the test wants commits only the log holds")
	}
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var info store.BackupInfo
	err = s.Backup(ctx, func(i store.BackupInfo) error {
		info = i
		// Written while the copy is made: not in it.
		putPlans(t, s, 300, 310)
		return nil
	}, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	if info.LastEvent != 300 {
		t.Errorf("backup's last event = %d, want 300", info.LastEvent)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != info.Bytes {
		t.Fatalf("copy: %v, %v; want %d bytes", fi, err, info.Bytes)
	}

	c := openAt(t, path)
	defer c.Close()
	if got := c.Stats().Plans; got != 300 {
		t.Errorf("copy holds %d plans, want 300", got)
	}
	if err := c.View(ctx, func(r store.Reader) error {
		if _, err := r.Inspection("INS-000299"); err != nil {
			return fmt.Errorf("the last plan before the backup: %w", err)
		}
		if _, err := r.Inspection("INS-000300"); !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("a plan written during the backup: %v, want not found", err)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// The chain goes on from the copy's head.
	if err := c.Update(ctx, appendOne("after-restore")); err != nil {
		t.Fatal(err)
	}
	if err := c.View(ctx, func(r store.Reader) error {
		seq, _, err := r.Head()
		if err == nil && seq != 301 {
			err = fmt.Errorf("head after one more event = %d, want 301", seq)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// One compaction or backup at a time: a compaction's swap would wait for
// the backup's read, and every read behind the swap.
func TestBackup_OneMaintenanceAtATime(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	putPlans(t, s, 0, 10)
	var compactErr, secondErr error
	err := s.Backup(ctx, func(store.BackupInfo) error {
		_, compactErr = s.Compact(ctx)
		secondErr = s.Backup(ctx, func(store.BackupInfo) error { return nil }, discard{})
		return nil
	}, discard{})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(compactErr, store.ErrMaintenanceRunning) {
		t.Errorf("compaction during a backup: %v, want ErrMaintenanceRunning", compactErr)
	}
	if !errors.Is(secondErr, store.ErrMaintenanceRunning) {
		t.Errorf("a second backup: %v, want ErrMaintenanceRunning", secondErr)
	}
	if _, err := s.Compact(ctx); err != nil {
		t.Errorf("compaction after the backup: %v", err)
	}
}

// A backup whose context ends stops writing (a client gone, a server
// shutting down), and the store goes on.
func TestBackup_StopsWhenItsContextEnds(t *testing.T) {
	s := openTest(t)
	putPlans(t, s, 0, 10)
	ctx, cancel := context.WithCancel(context.Background())
	w := &countingWriter{}
	err := s.Backup(ctx, func(store.BackupInfo) error { cancel(); return nil }, w)
	if !errors.Is(err, context.Canceled) || w.n != 0 {
		t.Fatalf("backup after its context ended: %v, %d bytes written; want context.Canceled and none", err, w.n)
	}
	if err := s.Update(context.Background(), appendOne("after")); err != nil {
		t.Fatal(err)
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

type countingWriter struct{ n int }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// A local copy that does not fit (a full disk; here the process's file
// size limit, which fails the same write with EFBIG) is ErrNoSpace, leaves
// nothing behind, and sends nothing.
func TestBackup_NoRoomForTheCopy(t *testing.T) {
	s := openTest(t)
	putPlans(t, s, 0, 300)
	var was unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 4096, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	began := false
	err := s.Backup(context.Background(), func(store.BackupInfo) error { began = true; return nil }, discard{})
	if rerr := unix.Setrlimit(unix.RLIMIT_FSIZE, &was); rerr != nil {
		t.Fatal(rerr)
	}
	if !errors.Is(err, store.ErrNoSpace) || began {
		t.Fatalf("backup without room: %v (begun %t), want ErrNoSpace before anything is sent", err, began)
	}
	left, err := filepath.Glob(filepath.Join(filepath.Dir(s.path), ".ruqi-backup-*"))
	if err != nil || len(left) != 0 {
		t.Fatalf("left behind: %v %v", left, err)
	}
	if err := s.Update(context.Background(), appendOne("after")); err != nil {
		t.Fatal(err)
	}
}

// A client that stalls while the copy is sent holds no read transaction:
// pages freed by later commits are reused, and the file does not grow. With
// the copy streamed from the transaction itself, 150 rewrites of the same
// records grew it by 12.8 MB where they grew it by nothing alone (a
// read-only review, 2026-12-04).
func TestBackup_StalledClientDoesNotGrowTheFile(t *testing.T) {
	checkpointEveryCommit(t)
	const rounds = 150
	grow := func(stall bool) int64 {
		s := openTest(t)
		rewritePlans(t, s, 0)
		rewritePlans(t, s, 1)
		g := &gate{entered: make(chan struct{}), release: make(chan struct{})}
		done := make(chan error, 1)
		if stall {
			go func() { done <- s.Backup(context.Background(), func(store.BackupInfo) error { return nil }, g) }()
			<-g.entered
		}
		before := sizeOf(t, s)
		for r := 2; r < rounds; r++ {
			rewritePlans(t, s, r)
		}
		after := sizeOf(t, s)
		if stall {
			close(g.release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
		return after - before
	}
	base, held := grow(false), grow(true)
	t.Logf("file growth over %d rewrites of the same records: %d bytes alone, %d bytes with a stalled backup", rounds, base, held)
	if held > 4*base+(4<<20) {
		t.Fatalf("a stalled backup grew the file by %d bytes (%d without it) while the data stayed the same size", held, base)
	}
}

func rewritePlans(t *testing.T, s *Store, round int) {
	t.Helper()
	if err := s.Update(context.Background(), func(tx store.Tx) error {
		for i := 0; i < 300; i++ {
			if err := tx.PutInspection(&ruqiv1.Inspection{Id: fmt.Sprintf("INS-%06d", i), EnterpriseUscc: "91350100M000100Y43",
				AgencyId: "AG-01", LateReason: fmt.Sprintf("round %d padding padding padding padding", round)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func sizeOf(t *testing.T, s *Store) int64 {
	t.Helper()
	fi, err := os.Stat(s.path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// gate holds the first write until released: a client that stops reading.
type gate struct {
	entered, release chan struct{}
	first            bool
}

func (g *gate) Write(p []byte) (int, error) {
	if !g.first {
		g.first = true
		close(g.entered)
		<-g.release
	}
	return len(p), nil
}

// BenchmarkBackup: a backup of a file of 100,000 plans (an inspection and
// an event each) to nowhere: the local copy and its reading back, in bytes
// per second (docs/BENCHMARKS.md, "Backup").
func BenchmarkBackup(b *testing.B) {
	s, err := Open(filepath.Join(b.TempDir(), "ruqi.db"), DefaultOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 100_000; i += 1000 {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for j := i; j < i+1000; j++ {
				id := fmt.Sprintf("INS-%08d", (j*7919)%100_000)
				if err := tx.PutInspection(&ruqiv1.Inspection{Id: id, EnterpriseUscc: "91350100M000100Y43", AgencyId: "AG-01"}); err != nil {
					return err
				}
				if err := appendOne(id)(tx); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		var size int64
		if err := s.Backup(context.Background(), func(i store.BackupInfo) error { size = i.Bytes; return nil }, discard{}); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(size)
		b.ReportMetric(float64(size)/1e6, "MB/backup")
	}
}

// A backup restored beside the write-ahead log of the file it was copied
// from, after that file was compacted (which numbers its transactions from
// one again) and the server died, is refused and left as it was: the log is
// not the copy's. The copy's meta pages name transactions far past any the
// log holds, which no file the log was kept for can. The log was replayed
// onto it, the copy's meta pages overwritten, and the server served a
// broken event chain (an operator's trial of the README's restore,
// 2026-12-04).
func TestWAL_RefusesTheLogBesideARestoredBackup(t *testing.T) {
	noAutoCheckpoint(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 300)
	backup := backupFile(t, s)
	if _, err := s.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, 300, 20)            // logged after the compaction's checkpoint
	restored := beside(t, path, backup) // the crashed server's log, left in place
	before, err := os.ReadFile(restored)
	if err != nil {
		t.Fatal(err)
	}
	if r, err := Open(restored, DefaultOptions()); err == nil {
		r.Close()
		t.Fatal("opened a restored backup with the write-ahead log of a file compacted since")
	} else if !strings.Contains(err.Error(), "ruqi.db.wal") {
		t.Errorf("the refusal does not say which log to move aside: %v", err)
	}
	after, err := os.ReadFile(restored)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("the refused open changed the restored file")
	}
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

// A backup whose copy would leave the disk without room for the store's
// own writes is refused before it writes anything: a full disk would fail
// the log, and the store with it.
func TestBackup_LeavesRoomForTheStoresWrites(t *testing.T) {
	if _, ok := freeBytes(t.TempDir()); !ok {
		t.Skip("free space cannot be told on this system")
	}
	s := openTest(t)
	putPlans(t, s, 0, 10)
	was := backupHeadroom
	backupHeadroom = 1 << 62 // more than any disk has
	t.Cleanup(func() { backupHeadroom = was })
	began := false
	err := s.Backup(context.Background(), func(store.BackupInfo) error { began = true; return nil }, discard{})
	if !errors.Is(err, store.ErrNoSpace) || began {
		t.Fatalf("backup without headroom: %v (begun %t), want ErrNoSpace before anything is sent", err, began)
	}
	left, err := filepath.Glob(filepath.Join(filepath.Dir(s.path), ".ruqi-backup-*"))
	if err != nil || len(left) != 0 {
		t.Fatalf("left behind: %v %v", left, err)
	}
}
