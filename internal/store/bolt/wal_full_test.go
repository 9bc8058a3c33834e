package bolt

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ruqi/ruqi/internal/store"
)

// When the open segment is full and the next one cannot be made (a full
// disk; here the process's file size limit, which fails the same write
// with EFBIG), every write fails, and so must the empty write that the
// server's storage health probe makes: it answered nil, so /healthz went
// back to 200 ("storage accepts writes again") once a second while every
// registration was refused (an operator's trial with a disk 20 MB short
// of a segment, 2026-12-06). Once a segment can be made again, both pass.
func TestUpdate_EmptyWriteFailsWhileTheLogCannotTakeARecord(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	if err := s.Update(ctx, appendOne("INS-1")); err != nil {
		t.Fatal(err)
	}
	// The open segment has no room left: the next record needs a new one.
	s.onWriterDo(func() { s.wal.size = s.wal.off })

	var was unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 1 << 20, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	realErr := s.Update(ctx, appendOne("INS-2"))
	emptyErr := s.Update(ctx, func(store.Tx) error { return nil })
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if realErr == nil {
		t.Fatal("a write succeeded although the log could not open a segment")
	}
	if emptyErr == nil {
		t.Fatalf("the empty write (the health probe's) succeeded while writes fail: %v", realErr)
	}

	if err := s.Update(ctx, func(store.Tx) error { return nil }); err != nil {
		t.Fatalf("empty write once a segment can be made: %v", err)
	}
	if err := s.Update(ctx, appendOne("INS-3")); err != nil {
		t.Fatalf("write once a segment can be made: %v", err)
	}
}

// A segment is made in full (64 MiB of zeros, synced) before a record goes
// in: with 30 MB free, every write failed with "no space left on device"
// while df showed room enough for thousands of them (an operator's trial,
// 2026-12-06). The error says how much a segment needs.
func TestUpdate_NoRoomForASegment_SaysHowMuchItNeeds(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	s.onWriterDo(func() { s.wal.size = s.wal.off }) // the segment is full
	var err error
	withFileSizeLimit(t, 1<<20, func() { err = s.Update(ctx, appendOne("INS-1")) })
	if err == nil {
		t.Fatal("a write succeeded although the log could not open a segment")
	}
	if want := fmt.Sprintf("%d MiB", walSegmentBytes>>20); !strings.Contains(err.Error(), want) {
		t.Fatalf("the error does not say that a segment needs %s: %v", want, err)
	}
}

// A Close whose last checkpoint the log cannot record (the disk full) says
// so: the next Open replays the log, and the server's log said "stopped"
// as after a clean stop, then "recovered after a crash" at the next start
// (an operator's trial, 2026-12-06). Nothing is lost: the replay brings
// back every acknowledged write.
func TestClose_LastCheckpointNotRecorded_ReturnsError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	ctx := context.Background()
	if err := s.Update(ctx, appendOne("INS-1")); err != nil {
		t.Fatal(err)
	}
	s.onWriterDo(func() { s.wal.size = s.wal.off }) // the segment is full
	var err error
	withFileSizeLimit(t, 1<<20, func() { err = s.Close() })
	if err == nil {
		t.Fatal("Close said nothing although its last checkpoint was not recorded")
	}
	r := openAt(t, path)
	defer r.Close()
	if r.Recovered() == 0 {
		t.Fatal("the next Open replayed nothing")
	}
}

// A segment the disk has no room for is refused before a byte is written:
// the writer and the health probe try each second, and each try filled
// the disk with zeros and deleted them, 8 GiB in 10 s, leaving nothing
// free for anything else on the filesystem (an operator's trial,
// 2026-12-07). Here the segment asked for is 1 GiB more than the
// filesystem has free; the file size limit keeps a zero-fill, were it
// tried, to 1 MiB (EFBIG, not the ENOSPC of the check).
func TestOpenSegment_NoRoom_RefusedBeforeWriting(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ruqi.db.wal")
	var appended atomic.Int64
	w, err := createWAL(dir, 1, &appended)
	if err != nil {
		t.Fatal(err)
	}
	defer w.f.Close()
	free, ok := freeBytes(dir)
	if !ok {
		t.Skip("free space unknown on this system")
	}
	var was unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	if err := unix.Setrlimit(unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 1 << 20, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	err = w.openSegment(2, free+1<<30)
	if rerr := unix.Setrlimit(unix.RLIMIT_FSIZE, &was); rerr != nil {
		t.Fatal(rerr)
	}
	if !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "MiB free") {
		t.Errorf("a segment larger than the free space: %v, want ENOSPC saying what is free", err)
	}
	if _, serr := os.Stat(segmentPath(dir, 2)); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("the segment was made: %v", serr)
	}
}
