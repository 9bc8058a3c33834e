package bolt

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Found by an operator's trial of a bad week (2026-12-06).
//
// A segment is zero-filled to its full size and synced before a record is
// written to it, so a crash never leaves one shorter; one that is shorter
// and holds records was cut at rest (a copy of the data directory that
// stopped when the target disk filled, a file system repaired after a
// power cut). Its end looks like the end of the log: recovery replayed up
// to the cut and opened the file without the acknowledged groups after it,
// without a word. It must refuse the log, naming the segment, as it
// refuses a damaged record.
func TestWAL_TruncatedSegment_Refused(t *testing.T) {
	for _, tc := range []struct {
		name string
		cut  func(recEnds []int) int // the new length, from the ends of the records
	}{
		{"at a record's end", func(ends []int) int { return ends[20] }},
		{"inside a record", func(ends []int) int { return ends[20] + 5 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			noAutoCheckpoint(t)
			path := filepath.Join(t.TempDir(), "ruqi.db")
			s := openAt(t, path)
			// The crash image of the file, as the log's start left it: a
			// power cut took every page the groups after it dirtied.
			img, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeSome(t, s, 0, 30) // 30 groups, all acknowledged
			want := dump(t, s.db)
			crash := filepath.Join(t.TempDir(), "ruqi.db")
			copyDir(t, walDir(path), walDir(crash))
			var last uint64
			s.onWriterDo(func() { last = s.wal.segs[len(s.wal.segs)-1].n })
			s.Close()
			if err := os.WriteFile(crash, img, 0o600); err != nil {
				t.Fatal(err)
			}
			seg := segmentPath(walDir(crash), last)
			data, err := os.ReadFile(seg)
			if err != nil {
				t.Fatal(err)
			}
			var ends []int
			for off := 0; ; {
				n := int(binary.LittleEndian.Uint32(data[off:]))
				if n == 0 {
					break
				}
				off += recHeader + n
				ends = append(ends, off)
			}
			if len(ends) < 30 {
				t.Fatalf("only %d records in the segment", len(ends))
			}
			if err := os.Truncate(seg, int64(tc.cut(ends))); err != nil {
				t.Fatal(err)
			}
			r, err := Open(crash, DefaultOptions())
			if err != nil {
				if !strings.Contains(err.Error(), seg) {
					t.Fatalf("refused without naming the segment %s: %v", seg, err)
				}
				return
			}
			defer r.Close()
			got := dump(t, r.db)
			t.Errorf("opened a log whose segment was cut: replayed %d groups of 30, %d of %d keys back; the acknowledged writes after the cut are gone without an error",
				r.Recovered(), len(got), len(want))
		})
	}
}
