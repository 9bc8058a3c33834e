package bolt

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ruqi/ruqi/internal/store"
)

// withFileSizeLimit runs fn with the process's file size limit at n bytes:
// a write past it fails with EFBIG, as one on a full disk fails with ENOSPC.
func withFileSizeLimit(t *testing.T, n uint64, fn func()) {
	t.Helper()
	var was unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: n, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &was); err != nil {
			t.Fatal(err)
		}
	}()
	fn()
}

// A compaction starts with a checkpoint. When the log cannot take its
// record (the open segment full, no room for the next: the disk full), the
// compaction answered store.ErrUnusable ("the file could not be opened
// again after a compaction; restart the server"), and the service kept
// health NOT_SERVING until a restart, although nothing had changed and the
// store wrote again as soon as there was room (an operator's trial,
// 2026-12-06). It is ErrNoSpace: the disk is full, the file as it was.
// Its message, which the server logs, speaks of no backup: ErrNoSpace said
// "no space left for the backup's copy", a compaction's too.
func TestCompact_LogCannotTakeTheCheckpoint_NoSpaceNotUnusable(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	putPlans(t, s, 0, 300)
	s.onWriterDo(func() { s.wal.size = s.wal.off }) // the segment is full
	var err error
	withFileSizeLimit(t, 1<<20, func() { _, err = s.Compact(ctx) })
	if errors.Is(err, store.ErrUnusable) || !errors.Is(err, store.ErrNoSpace) {
		t.Fatalf("compaction while the log cannot take a record: %v, want ErrNoSpace and not ErrUnusable", err)
	}
	if strings.Contains(err.Error(), "backup") {
		t.Fatalf("a compaction's error speaks of a backup: %v", err)
	}
	if err := s.Update(ctx, appendOne("after")); err != nil {
		t.Fatalf("write once there is room: %v", err)
	}
	if _, err := s.Compact(ctx); err != nil {
		t.Fatalf("compaction once there is room: %v", err)
	}
}

// A compaction whose new file cannot even be created in full (bbolt writes
// its first pages when it makes the file) is ErrNoSpace too: it answered
// INTERNAL, "服务器内部错误", on a full disk (an operator's trial,
// 2026-12-06).
func TestCompact_NoRoomForTheNewFile_NoSpace(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	putPlans(t, s, 0, 300)
	// The next record goes to a new segment, at its start: room in the log
	// for the checkpoint under the limit, not for the new file's pages.
	s.onWriterDo(func() { s.wal.torn = true })
	if err := s.Update(ctx, appendOne("new segment")); err != nil {
		t.Fatal(err)
	}
	var err error
	withFileSizeLimit(t, 12<<10, func() { _, err = s.Compact(ctx) })
	if !errors.Is(err, store.ErrNoSpace) {
		t.Fatalf("compaction without room for its new file: %v, want ErrNoSpace", err)
	}
	if err := s.Update(ctx, appendOne("after")); err != nil {
		t.Fatalf("write after the compaction was refused: %v", err)
	}
}

// A compaction the disk has no room for is refused before its copy is
// begun: tried anyway, it failed cleanly only after taking the disk's last
// bytes (an operator's trial, 2026-12-07). Here the store asks for more
// headroom than any disk has; the file and its records stay as they were,
// and no copy is left beside it.
func TestCompact_NoRoomForTheCopy_RefusedBeforeWriting(t *testing.T) {
	if _, ok := freeBytes(t.TempDir()); !ok {
		t.Skip("free space cannot be told on this system")
	}
	s := openTest(t)
	ctx := context.Background()
	putPlans(t, s, 0, 300)
	before := fileSize(s.db)
	was := compactHeadroom
	compactHeadroom = 1 << 62
	t.Cleanup(func() { compactHeadroom = was })
	_, err := s.Compact(ctx)
	if !errors.Is(err, store.ErrNoSpace) || !strings.Contains(err.Error(), "bytes free") {
		t.Fatalf("compaction without room for its copy: %v, want ErrNoSpace saying what is free", err)
	}
	if _, serr := os.Stat(s.path + ".compact"); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("a copy was begun: %v", serr)
	}
	if after := fileSize(s.db); after != before {
		t.Errorf("the file changed from %d to %d bytes", before, after)
	}
	if err := s.Update(ctx, appendOne("after")); err != nil {
		t.Fatalf("write after the compaction was refused: %v", err)
	}
	compactHeadroom = was
	if _, err := s.Compact(ctx); err != nil {
		t.Fatalf("compaction once there is room: %v", err)
	}
}
