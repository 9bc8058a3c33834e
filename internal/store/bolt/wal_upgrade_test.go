package bolt

import (
	"context"
	"path/filepath"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
)

// Versions 0a51bf6 … d466a98^ (the write-ahead log before "the writer rolls
// back a group that changed nothing") committed a group with no changes
// the direct bbolt way without logging it: the storage health probe's
// `st.Update(ctx, func(store.Tx) error { return nil })`, run every second
// after a failed write (a full disk) until one succeeds. Their recovery
// replayed the groups around that txid and opened. A crash image of theirs
// with such a commit after the last checkpoint must open under main too
// (an upgrade after a crash); main refuses it as a log missing a segment.
func TestOpen_CrashImageOfOlderWriterWithUnloggedEmptyCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s, err := Open(path, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	add := func() {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.AddCount("A|x", 1) }); err != nil {
			t.Fatal(err)
		}
	}
	add()
	checkpoint(t, s)
	add()
	// The old writer's path for a group whose ops were empty: bbolt commits,
	// nothing is appended to the log.
	var err2 error
	s.onWriterDo(func() { err2 = s.db.Update(func(*bbolt.Tx) error { return nil }) })
	if err2 != nil {
		t.Fatal(err2)
	}
	add() // the disk has room again: callers write, logged
	img := crashImage(t, path)

	r, err := Open(img, DefaultOptions())
	if err != nil {
		t.Fatalf("a crash image the older version recovered is refused after the upgrade: %v", err)
	}
	defer r.Close()
	if err := r.View(ctx, func(rd store.Reader) error {
		n, err := rd.Count("A|x")
		if err == nil && n != 3 {
			t.Errorf("count %d after recovery, want 3", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
