package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// writeSome commits n groups of varied writes: enterprises, inspections,
// counters, events (enough of them to seal blocks), and deletes (an
// officer moving agency deletes its old index entry).
func writeSome(t *testing.T, s *Store, from, n int) {
	t.Helper()
	ctx := context.Background()
	for i := from; i < from+n; i++ {
		err := s.Update(ctx, func(tx store.Tx) error {
			uscc := fmt.Sprintf("91510000MA%08d", i%37)
			if err := tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: uscc, Name: fmt.Sprintf("企业%d", i)}); err != nil {
				return err
			}
			if err := tx.PutOfficer(&ruqiv1.Officer{Id: fmt.Sprintf("OFF-%d", i%5), AgencyId: fmt.Sprintf("AG-%d", i%3), Name: "执法人员"}); err != nil {
				return err
			}
			if err := tx.PutInspection(&ruqiv1.Inspection{Id: fmt.Sprintf("INS-%06d", i), EnterpriseUscc: uscc, AgencyId: "AG-1"}); err != nil {
				return err
			}
			if err := tx.AddCount("visits|"+uscc, 1); err != nil {
				return err
			}
			for range 3 {
				if err := tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_REGISTERED, InspectionId: fmt.Sprintf("INS-%06d", i), EnterpriseUscc: uscc}); err != nil {
					return err
				}
			}
			if i%50 == 49 {
				seq, _, err := tx.Head()
				if err != nil {
					return err
				}
				return tx.SealEvents(seq)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// dump reads every key of every bucket.
func dump(t *testing.T, db *bbolt.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := firstFault(db); err != nil {
		t.Fatal(err)
	}
	err := db.View(func(tx *bbolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				out[string(name)+"/"+string(k)] = string(v)
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameContent(t *testing.T, want, got map[string]string) {
	t.Helper()
	if len(want) != len(got) {
		t.Errorf("recovered %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("key %q: recovered %q (present %v), want %q", k, g, ok, v)
			return
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.MkdirAll(to, 0o700); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// openAt opens the store at path; the test closes it.
// checkpointEveryCommit makes the writer checkpoint its log after every
// group for the rest of the test.
func checkpointEveryCommit(t *testing.T) {
	was := walCheckpointEvery
	walCheckpointEvery = 0
	t.Cleanup(func() { walCheckpointEvery = was })
}

func openAt(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func noAutoCheckpoint(t *testing.T) {
	was := walCheckpointEvery
	walCheckpointEvery = time.Hour
	t.Cleanup(func() { walCheckpointEvery = was })
}

// A crash after a checkpoint: bbolt's later commits were not synced, so
// the disk may hold their meta pages but only some of their other pages.
// The crash image is the file as the checkpoint left it, with the live
// file's meta pages (naming a state whose pages are partly missing) and a
// random part of its other pages on top. Recovery must give back every
// acknowledged write, in a file that bbolt's consistency check passes.
func TestWAL_RecoversTornFileAfterCheckpoint(t *testing.T) {
	noAutoCheckpoint(t)
	for _, share := range []float64{0, 0.3, 0.9} {
		t.Run(fmt.Sprintf("pages-written-%.0f%%", share*100), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "ruqi.db")
			s := openAt(t, path)
			defer s.Close()
			writeSome(t, s, 0, 120)
			var err error
			s.onWriterDo(func() { err = s.checkpointNow() })
			if err != nil {
				t.Fatal(err)
			}
			atCheckpoint, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeSome(t, s, 120, 200) // logged and committed, never synced by bbolt
			want := dump(t, s.db)
			live, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}

			pageSize := s.db.Info().PageSize
			img := make([]byte, len(live))
			copy(img, atCheckpoint)
			copy(img[:2*pageSize], live[:2*pageSize])
			rng := rand.New(rand.NewPCG(1, uint64(share*100)))
			for off := 2 * pageSize; off < len(live); off += pageSize {
				if rng.Float64() < share {
					copy(img[off:off+pageSize], live[off:off+pageSize])
				}
			}
			crash := filepath.Join(t.TempDir(), "crash")
			copyDir(t, walDir(path), walDir(filepath.Join(crash, "ruqi.db")))
			if err := os.WriteFile(filepath.Join(crash, "ruqi.db"), img, 0o600); err != nil {
				t.Fatal(err)
			}

			r := openAt(t, filepath.Join(crash, "ruqi.db"))
			defer r.Close()
			sameContent(t, want, dump(t, r.db))
			// And it goes on: the head is where it was, and writes commit.
			if r.head.seq != s.head.seq || !bytes.Equal(r.head.hash, s.head.hash) {
				t.Fatalf("recovered head %d, want %d", r.head.seq, s.head.seq)
			}
			writeSome(t, r, 320, 5)
		})
	}
}

// A record the crash tore at the log's end is not replayed, and does not
// stop the records before it from being replayed.
func TestWAL_TornTailIgnored(t *testing.T) {
	noAutoCheckpoint(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 30)
	want := dump(t, s.db)
	crash := filepath.Join(t.TempDir(), "ruqi.db")
	img, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copyDir(t, walDir(path), walDir(crash))
	// Half a record after the last: a length and CRC that do not match.
	var last uint64
	var off int64
	s.onWriterDo(func() { last, off = s.wal.segs[len(s.wal.segs)-1].n, s.wal.off })
	seg := segmentPath(walDir(crash), last)
	f, err := os.OpenFile(seg, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{200, 0, 0, 0, 1, 2, 3, 4, recGroup, 9, 9}, off); err != nil {
		t.Fatal(err)
	}
	f.Close()
	s.Close()
	if err := os.WriteFile(crash, img, 0o600); err != nil {
		t.Fatal(err)
	}
	r := openAt(t, crash)
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}

// A log next to a file it was not kept for (a file restored from a backup,
// say) is refused with an error, not replayed onto it.
func TestWAL_RefusesAnotherFilesLog(t *testing.T) {
	noAutoCheckpoint(t)
	a := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, a)
	writeSome(t, s, 0, 20)
	other := filepath.Join(t.TempDir(), "ruqi.db")
	copyDir(t, walDir(a), walDir(other))
	s.Close()
	db, err := bbolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(other, DefaultOptions()); err == nil {
		t.Fatal("opened a file with another file's write-ahead log")
	}
}

// Checkpoints drop the segments they cover, a compaction starts a new log
// on the new file, and a clean close leaves nothing to replay.
func TestWAL_CheckpointsCompactionAndClose(t *testing.T) {
	checkpointEveryCommit(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 60)
	if s.Stats().Checkpoints == 0 {
		t.Fatal("no checkpoint after 60 groups at a checkpoint per group")
	}
	if _, err := s.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, 60, 20)
	want := dump(t, s.db)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	rep, err := readWAL(walDir(path))
	if err != nil {
		t.Fatal(err)
	}
	if rep.checkpoint == nil || len(rep.groups) != 0 {
		t.Fatalf("after a clean close: checkpoint %v, %d groups to replay; want a checkpoint and none", rep.checkpoint != nil, len(rep.groups))
	}
	if len(rep.segs) != 1 {
		t.Errorf("%d segments left; want the one the last checkpoint is in", len(rep.segs))
	}
	r := openAt(t, path)
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}

// Near the end of bbolt's mapping the writer leaves the log for direct
// commits (a remap would wait for the checkpoint's pin), and nothing is
// lost across the switch or a reopen.
func TestWAL_FallsBackToDirectCommits(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 10)
	s.onWriterDo(func() { s.mmap = 1 }) // as if the file had outgrown it
	writeSome(t, s, 10, 10)
	logging := false
	s.onWriterDo(func() { logging = s.wal != nil || s.db.NoSync })
	if logging {
		t.Fatal("still logging past the mapping's limit")
	}
	want := dump(t, s.db)
	s.Close()
	r := openAt(t, path)
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
	if r.wal == nil {
		t.Error("a reopened store does not log")
	}
}

// A group whose bbolt commit failed after its record was synced is
// followed by an abort, or at least by a group logged again under the same
// txid; recovery replays only the last, and nothing before the last start.
func TestReadWAL_AbortedGroupSkipped(t *testing.T) {
	dir := t.TempDir()
	w, err := createWAL(dir, 1, new(atomic.Int64))
	if err != nil {
		t.Fatal(err)
	}
	put := func(v string) []byte {
		var o walOps
		o.add(opPut, bCounts, []byte("k"), []byte(v))
		return o.buf
	}
	for _, r := range []struct {
		kind    byte
		txid    uint64
		payload []byte
	}{
		// An older log's start and groups, as a crash may bring back a
		// segment deleted after a compaction: ignored, being before the
		// last start.
		{recStart, 40, []byte("meta")},
		{recGroup, 41, put("stale")},
		{recStart, 10, []byte("meta")},
		{recGroup, 11, put("a")},
		{recGroup, 12, put("lost")},
		{recAbort, 12, nil},
		{recGroup, 12, put("torn")}, // its commit failed and no abort followed
		{recGroup, 12, put("b")},
		{recGroup, 13, put("c")},
	} {
		if err := w.append(r.kind, r.txid, r.payload); err != nil {
			t.Fatal(err)
		}
	}
	w.close()
	rep, err := readWAL(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range rep.groups {
		got = append(got, fmt.Sprintf("%d:%s", g.txid, g.payload[len(g.payload)-1:]))
	}
	if want := "[11:a 12:b 13:c]"; fmt.Sprint(got) != want {
		t.Fatalf("groups to replay %v, want %s", got, want)
	}
}

// latestFreelist reads the free list page named by the file's current meta
// page (the valid one with the higher txid).
func latestFreelist(t *testing.T, path string) uint64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var txid, freelist uint64
	size := os.Getpagesize() // bbolt's page size for a file it creates
	for slot := range 2 {
		page := make([]byte, size)
		if _, err := f.ReadAt(page, int64(slot*size)); err != nil {
			t.Fatal(err)
		}
		if binary.LittleEndian.Uint32(page[metaOffMagic:]) != metaMagic {
			continue
		}
		if tx := binary.LittleEndian.Uint64(page[metaOffTxid:]); tx >= txid {
			txid, freelist = tx, binary.LittleEndian.Uint64(page[metaOffFreelist:])
		}
	}
	return freelist
}

// A clean close leaves bbolt's free list in the file, so the next Open
// reads it instead of reading every page to rebuild it; the next commit
// goes back to writing none, and nothing is lost either way.
func TestClose_WritesTheFreeList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 40)
	want := dump(t, s.db)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if latestFreelist(t, path) == noFreelist {
		t.Fatal("after a clean close the meta page names no free list")
	}
	s = openAt(t, path)
	sameContent(t, want, dump(t, s.db))
	writeSome(t, s, 40, 5)
	if latestFreelist(t, path) != noFreelist {
		t.Fatal("a commit with the log on wrote a free list")
	}
	want = dump(t, s.db)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path)
	defer s.Close()
	sameContent(t, want, dump(t, s.db))
	if err := firstFault(s.db); err != nil {
		t.Fatal(err)
	}
}
