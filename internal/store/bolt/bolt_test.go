package bolt_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/storetest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
	"google.golang.org/protobuf/types/known/timestamppb"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Opener {
		path := filepath.Join(t.TempDir(), "ruqi.db")
		return func() (store.Store, error) { return bolt.Open(path, bolt.DefaultOptions()) }
	})
}

func TestOpen_FileHeldByAnotherProcess_ClearError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	first, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	o := bolt.DefaultOptions()
	o.LockTimeout = 100 * time.Millisecond
	_, err = bolt.Open(path, o)
	if err == nil || !strings.Contains(err.Error(), "another process holds the database file") {
		t.Fatalf("second open: %v, want a clear lock error", err)
	}
}

// A change to a stored event's bytes, as a person with the file might make,
// is found by the chain check at that event.
func TestVerifyChain_DetectsEditedEvent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED, Detail: "VERDICT_EXPIRED"})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	editEvents(t, path, func(b *bbolt.Bucket) error {
		k := []byte{0, 0, 0, 0, 0, 0, 0, 3}
		prev, err := store.EventHashOf(b.Get([]byte{0, 0, 0, 0, 0, 0, 0, 2}))
		if err != nil {
			return err
		}
		e, err := store.DecodeEvent(3, prev, b.Get(k))
		if err != nil {
			return err
		}
		e.Detail = "VERDICT_VALID"
		v, err := store.EncodeEvent(e, prev)
		if err != nil {
			return err
		}
		return b.Put(k, v)
	})
	if rep := verifyChain(t, path); rep.Intact || rep.FirstBrokenSeq != 3 {
		t.Fatalf("edited event 3 not detected: %+v", rep)
	}
}

// editEvents changes the events bucket of a closed file with bbolt, as a
// person with the file might.
func editEvents(t *testing.T, path string, fn func(*bbolt.Bucket) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error { return fn(tx.Bucket([]byte("events"))) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
}

// verifyChain opens the file and verifies its event chain.
func verifyChain(t *testing.T, path string) store.ChainReport {
	t.Helper()
	s, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var rep store.ChainReport
	err = s.View(context.Background(), func(r store.Reader) error {
		rep, err = store.VerifyChain(r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestVerifyChain_DetectsEditedSealedBlock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	err = s.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < bolt.BlockEvents+4; i++ {
			if err := tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED, Detail: "VERDICT_EXPIRED"}); err != nil {
				return err
			}
		}
		return tx.SealEvents(bolt.BlockEvents + 4)
	})
	if err != nil {
		t.Fatal(err)
	}
	var salt []byte // the third event's, kept uncompressed in the block
	err = s.View(ctx, func(r store.Reader) error {
		return r.Events(2, func(e *ruqiv1.Event) error { salt = e.GetSalt(); return store.ErrStop })
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	editEvents(t, path, func(b *bbolt.Bucket) error {
		k := []byte{0, 0, 0, 0, 0, 0, 0, 1, 0xb1}
		v := bytes.Clone(b.Get(k))
		if !store.IsEventBlock(v) {
			return errors.New("the first block is not sealed")
		}
		i := bytes.Index(v, salt)
		if i < 0 {
			return errors.New("salt not found in the block")
		}
		v[i] ^= 1
		return b.Put(k, v)
	})
	if rep := verifyChain(t, path); rep.Intact || rep.FirstBrokenSeq != bolt.BlockEvents || rep.Events != bolt.BlockEvents+4 {
		t.Fatalf("edited block: %+v, want broken at its last event", rep)
	}
}
