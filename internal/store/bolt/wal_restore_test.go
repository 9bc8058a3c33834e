package bolt

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
)

// checkpoint has the writer take a checkpoint now.
func checkpoint(t *testing.T, s *Store) {
	t.Helper()
	var err error
	s.onWriterDo(func() { err = s.checkpointNow() })
	if err != nil {
		t.Fatal(err)
	}
}

// backupFile backs s up into a new file and returns its path.
func backupFile(t *testing.T, s *Store) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "backup.db")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.Backup(context.Background(), func(store.BackupInfo) error { return nil }, f); err != nil {
		t.Fatal(err)
	}
	return path
}

// txidOf is the store's last committed transaction.
func txidOf(t *testing.T, s *Store) uint64 {
	t.Helper()
	var id uint64
	if err := s.db.View(func(tx *bbolt.Tx) error { id = uint64(tx.ID()); return nil }); err != nil {
		t.Fatal(err)
	}
	return id
}

// crashImage copies the live file (what a kill -9 leaves: the page cache
// survives) and its log into a new directory.
func crashImage(t *testing.T, path string) string {
	t.Helper()
	return beside(t, path, path)
}

// beside makes a new data directory holding logOf's write-ahead log and a
// copy of file as its ruqi.db: a crash image, or a file restored beside a
// log it was not kept for.
func beside(t *testing.T, logOf, file string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ruqi.db")
	copyDir(t, walDir(logOf), walDir(path))
	copyFile(t, file, path)
	return path
}

// firstFault is the first fault bbolt's check finds in db, if any. The
// checker's channel is drained: it sends every fault it finds.
func firstFault(db *bbolt.DB) error {
	var first error
	err := db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			if first == nil {
				first = err
			}
		}
		return nil
	})
	return cmp.Or(first, err)
}

// A write that changes nothing (the health probe's) after logged groups,
// then a crash: recovered. bbolt committed it under a txid the log never
// held, and the check that a file names no transaction past the log's
// refused the crashed file (a read-only review, 2026-12-04); such writes
// are now rolled back.
func TestWAL_EmptyWriteAfterLoggedGroupsThenCrash(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 50)
	checkpoint(t, s)
	writeSome(t, s, 50, 10) // logged after the checkpoint
	if err := s.Update(context.Background(), func(store.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	want := dump(t, s.db)
	crash := crashImage(t, path)
	r, err := Open(crash, DefaultOptions())
	if err != nil {
		t.Fatalf("a crash after an empty commit is refused: %v", err)
	}
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}

// Another server's copy beside this server's log, with transactions
// between the log's checkpoint and its end: refused, not replayed onto
// (a read-only review, 2026-12-04: opened, or a panic).
func TestWAL_RefusesAnotherServersCopy(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 100)
	checkpoint(t, s)
	T := txidOf(t, s)
	writeSome(t, s, 100, 20)
	N := txidOf(t, s)

	otherPath := filepath.Join(t.TempDir(), "ruqi.db")
	o := openAt(t, otherPath)
	defer o.Close()
	writeSome(t, o, 5000, 110) // another server's records, same history length
	copyPath := backupFile(t, o)
	t.Logf("log: checkpoint %d, last group %d; other file at %d", T, N, txidOf(t, o))

	r, err := Open(beside(t, path, copyPath), DefaultOptions())
	if err == nil {
		defer r.Close()
		cerr := firstFault(r.db)
		got, wantA, wantO := dump(t, r.db), dump(t, s.db), dump(t, o.db)
		differ := func(a, b map[string]string) (n int) {
			for k, v := range a {
				if b[k] != v {
					n++
				}
			}
			for k := range b {
				if _, ok := a[k]; !ok {
					n++
				}
			}
			return n
		}
		t.Fatalf("another server's file was opened with this log replayed onto it (replayed %d); bbolt check: %v; keys differing from this server's state: %d, from the other's: %d",
			r.Recovered(), cerr, differ(got, wantA), differ(got, wantO))
	}
	t.Log(err)
}

// A backup taken one commit before the log's checkpoint, restored beside
// that log: refused (it panicked bbolt, a read-only review, 2026-12-04).
func TestWAL_RefusesABackupFromJustBeforeTheCheckpoint(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 100)
	checkpoint(t, s)
	writeSome(t, s, 100, 100) // frees pages, pending until the next checkpoint
	checkpoint(t, s)
	writeSome(t, s, 200, 1) // a commit that can use them (no reader holds them)
	checkpoint(t, s)
	writeSome(t, s, 201, 1)
	backup := backupFile(t, s)
	B := txidOf(t, s)
	writeSome(t, s, 202, 1) // T = B+1, written over pages free in B
	checkpoint(t, s)
	T := txidOf(t, s)
	writeSome(t, s, 203, 10) // logged after the checkpoint
	t.Logf("backup at %d, checkpoint %d, last group %d", B, T, txidOf(t, s))

	r, err := Open(beside(t, path, backup), DefaultOptions())
	if err == nil {
		defer r.Close()
		cerr := firstFault(r.db)
		t.Fatalf("a backup was opened with its original's log replayed onto it (replayed %d); bbolt check: %v", r.Recovered(), cerr)
	}
	t.Log(err)
}

// A backup taken after the log's checkpoint, restored beside that log:
// refused, not rolled forward past what the restore was to undo (a
// read-only review, 2026-12-04).
func TestWAL_RefusesABackupFromAfterTheCheckpoint(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 100)
	checkpoint(t, s)
	writeSome(t, s, 100, 5)
	backup := backupFile(t, s)
	atBackup := s.head.seq
	writeSome(t, s, 105, 20) // what the operator restores the backup to undo
	r, err := Open(beside(t, path, backup), DefaultOptions())
	if err != nil {
		t.Log(err)
		return
	}
	defer r.Close()
	t.Fatalf("the restored backup (head %d) opened with its original's log replayed onto it: head %d, %d transactions replayed", atBackup, r.head.seq, r.Recovered())
}

// A reopened file that crashes after its log's first group was logged and
// before bbolt wrote that group's meta page is at the log's start: its
// log's, and recovered.
func TestWAL_CrashAfterFirstGroupOfAReopenedFile(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 20)
	s.Close()
	s = openAt(t, path) // the buckets exist: the open's commit changes nothing
	defer s.Close()
	atStart, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, 20, 1) // logged; bbolt's meta page for it never reached the disk
	want := dump(t, s.db)
	crash := filepath.Join(t.TempDir(), "ruqi.db")
	copyDir(t, walDir(path), walDir(crash))
	if err := os.WriteFile(crash, atStart, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Open(crash, DefaultOptions())
	if err != nil {
		t.Fatalf("a crash after the first group of a reopened file is refused: %v", err)
	}
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}

// A group whose only change is a delete of a key that is not there, then
// a crash: recovered. It was logged and committed, leaving both meta pages
// naming one state, and recovery refused the file as a copy (a read-only
// review, 2026-12-04).
func TestWAL_DeleteOfAnAbsentKeyThenCrash(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 50)
	checkpoint(t, s)
	writeSome(t, s, 50, 10)
	if err := s.Update(context.Background(), func(tx store.Tx) error {
		return tx.(*txn).bucket(bCounts).Delete([]byte("no such key"))
	}); err != nil {
		t.Fatal(err)
	}
	want := dump(t, s.db)
	r, err := Open(crashImage(t, path), DefaultOptions())
	if err != nil {
		t.Fatalf("a crash after a logged delete of nothing is refused: %v", err)
	}
	defer r.Close()
	sameContent(t, want, dump(t, r.db))
}

// A file whose meta page names the checkpoint's transaction with other
// contents (another file at the same transaction) is refused, unchanged.
func TestWAL_RefusesAFileAtTheCheckpointsTransactionWithOtherContents(t *testing.T) {
	noAutoCheckpoint(t)
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	defer s.Close()
	writeSome(t, s, 0, 50)
	checkpoint(t, s)
	T := txidOf(t, s)
	atCheckpoint, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeSome(t, s, 50, 5) // groups after the checkpoint
	crash := filepath.Join(t.TempDir(), "ruqi.db")
	copyDir(t, walDir(path), walDir(crash))
	// The file as the checkpoint left it, but its meta page for T names
	// another root, checksum and all.
	pageSize := s.db.Info().PageSize
	off := int(T%2) * pageSize
	page := atCheckpoint[off : off+pageSize]
	binary.LittleEndian.PutUint64(page[metaOffRoot:], binary.LittleEndian.Uint64(page[metaOffRoot:])+1)
	h := fnv.New64a()
	h.Write(page[metaOffMagic:metaOffChecksum])
	binary.LittleEndian.PutUint64(page[metaOffChecksum:], h.Sum64())
	if !validMeta(page) {
		t.Fatal("the forged meta page does not pass the checksum")
	}
	if err := os.WriteFile(crash, atCheckpoint, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := Open(crash, DefaultOptions()); err == nil {
		r.Close()
		t.Fatal("opened a file whose meta page at the checkpoint's transaction is not the checkpoint's")
	}
	after, err := os.ReadFile(crash)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after, atCheckpoint) {
		t.Fatal("the refused open changed the file")
	}
}
