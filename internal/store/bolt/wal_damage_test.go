package bolt

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
)

// Found by a trial of the operator's year (2026-12-06).
//
// A record in the middle of the log whose bytes changed after it was
// synced (a bad sector, a bit flipped on the way to the disk) is not a
// record a crash tore: the writer never writes after a torn record in the
// same segment (it opens a new one), so valid records after a bad one are
// acknowledged groups. Recovery must refuse the log, naming the segment,
// as it refuses a missing segment, instead of replaying up to the bad
// record and opening the file without every acknowledged write after it.
func TestWAL_CorruptRecordFollowedByGroups_Refused(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	// The crash image of the file: as the log's start left it, synced.
	// The groups after it were committed without a sync (the log holds
	// them), and a power cut took every page they dirtied, their meta
	// pages too: the file on disk is the checkpoint's.
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, 0, 30) // 30 groups after the log's start, all acknowledged
	want := dump(t, s.db)
	crash := filepath.Join(t.TempDir(), "ruqi.db")
	copyDir(t, walDir(path), walDir(crash))
	var last uint64
	s.onWriterDo(func() { last = s.wal.segs[len(s.wal.segs)-1].n })
	s.Close()
	if err := os.WriteFile(crash, img, 0o600); err != nil {
		t.Fatal(err)
	}
	// One byte of the fifth group's payload flipped.
	seg := segmentPath(walDir(crash), last)
	data, err := os.ReadFile(seg)
	if err != nil {
		t.Fatal(err)
	}
	off, groups := 0, 0
	for {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		if n == 0 {
			t.Fatalf("only %d groups in the segment", groups)
		}
		if data[off+recHeader] == recGroup {
			groups++
			if groups == 5 {
				data[off+recHeader+n-1] ^= 0x40
				break
			}
		}
		off += recHeader + n
	}
	if err := os.WriteFile(seg, data, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(crash, DefaultOptions())
	if err != nil {
		t.Logf("refused: %v", err)
		return
	}
	defer r.Close()
	got := dump(t, r.db)
	t.Errorf("opened a log with a corrupt record in its middle: replayed %d groups of 30, %d of %d keys back; the acknowledged writes after the bad record are gone without an error",
		r.Recovered(), len(got), len(want))
}
