package service_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// backupAll reads a backup's stream: the header, the data, the trailer.
func backupAll(ctx context.Context, c ruqiv1.AdminServiceClient) (*ruqiv1.BackupHeader, []byte, *ruqiv1.BackupTrailer, error) {
	stream, err := c.BackupStore(ctx, &ruqiv1.BackupStoreRequest{})
	if err != nil {
		return nil, nil, nil, err
	}
	var hdr *ruqiv1.BackupHeader
	var tr *ruqiv1.BackupTrailer
	var data bytes.Buffer
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return hdr, data.Bytes(), tr, nil
		}
		if err != nil {
			return hdr, data.Bytes(), tr, err
		}
		switch {
		case m.GetHeader() != nil:
			if hdr != nil || data.Len() > 0 || tr != nil {
				return nil, nil, nil, errors.New("a header out of place")
			}
			hdr = m.GetHeader()
		case m.GetTrailer() != nil:
			tr = m.GetTrailer()
		default:
			if hdr == nil || tr != nil {
				return nil, nil, nil, errors.New("data out of place")
			}
			data.Write(m.GetData())
		}
	}
}

// A backup streams the file whole, as its header and trailer say; the copy
// opens as a store holding what the server held, and the server's log
// records that a copy was taken.
func TestBackupStore_ACopyThatOpens(t *testing.T) {
	c, ctx := compactEnv(t, func(s *bolt.Store) store.Store { return watched{s} }, nil)
	hdr, data, tr, err := backupAll(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if hdr == nil || tr == nil || int64(len(data)) != hdr.GetSize() || hdr.GetTakenAt() == nil {
		t.Fatalf("header %v, %d bytes, trailer %v", hdr, len(data), tr)
	}
	if sum := sha256.Sum256(data); !bytes.Equal(sum[:], tr.GetSha256()) {
		t.Fatal("the trailer's SHA-256 is not the data's")
	}
	path := filepath.Join(t.TempDir(), "ruqi.db")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	cp, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	var head uint64
	if err := cp.View(ctx, func(r store.Reader) error {
		var err error
		head, _, err = r.Head()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if head == 0 || head != hdr.GetLastEventSeq() {
		t.Fatalf("the copy's log ends at %d, the header says %d", head, hdr.GetLastEventSeq())
	}
	// The act is recorded before the copy: its last event.
	events, err := c.ListEvents(ctx, &ruqiv1.ListEventsRequest{AfterSeq: head - 1})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(events.GetEvents()); n != 1 || events.GetEvents()[0].GetType() != ruqiv1.EventType_EVENT_TYPE_STORE_BACKED_UP ||
		!strings.Contains(events.GetEvents()[0].GetActor(), "admin") {
		t.Fatalf("events from the copy's last: %v, want one STORE_BACKED_UP by the administrator", events.GetEvents())
	}
}

// A client that takes every byte and leaves before the call ends still
// leaves the act in the log: it is recorded before anything is sent. (A
// read-only review, 2026-12-04, took a whole copy with no event.)
func TestBackupStore_ClientLeavingEarlyStillLogged(t *testing.T) {
	c, ctx := compactEnv(t, func(s *bolt.Store) store.Store { return watched{s} }, nil)
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.BackupStore(sctx, &ruqiv1.BackupStoreRequest{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := stream.Recv()
	if err != nil || m.GetHeader() == nil {
		t.Fatalf("header: %v %v", m, err)
	}
	hdr := m.GetHeader()
	for got := 0; int64(got) < hdr.GetSize(); {
		m, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got += len(m.GetData())
	}
	cancel() // every byte is here; gone before the trailer
	events, err := c.ListEvents(ctx, &ruqiv1.ListEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events.GetEvents() {
		if e.GetType() == ruqiv1.EventType_EVENT_TYPE_STORE_BACKED_UP {
			if e.GetSeq() > hdr.GetLastEventSeq() {
				t.Fatalf("the backup's event %d is after the copy's last, %d: written after bytes were sent", e.GetSeq(), hdr.GetLastEventSeq())
			}
			return
		}
	}
	t.Fatalf("a whole copy was taken and the log has no STORE_BACKED_UP: %v", events.GetEvents())
}

// A store backed up by its own engine (PostgreSQL) is refused with the
// tools to use instead.
func TestBackupStore_NotBackedUpHere_FailedPrecondition(t *testing.T) {
	c, ctx := compactEnv(t, func(s *bolt.Store) store.Store { return notCompactable{s} }, nil)
	_, _, _, err := backupAll(ctx, c)
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "pg_basebackup") {
		t.Fatalf("backup of a store without Backup: %v, want FAILED_PRECONDITION naming pg_basebackup", err)
	}
}

// heldBackup holds its Backup, once begun, until released.
type heldBackup struct {
	*bolt.Store
	entered, release chan struct{}
	once             *sync.Once
}

func (h heldBackup) Backup(ctx context.Context, begin func(store.BackupInfo) error, w io.Writer) error {
	return h.Store.Backup(ctx, func(i store.BackupInfo) error {
		h.once.Do(func() { close(h.entered) })
		<-h.release
		return begin(i)
	}, w)
}

// While a backup runs, a compaction and a second backup are refused with a
// reason, and the server stays in service; both work afterwards.
func TestBackupStore_NoCompactionMeanwhile(t *testing.T) {
	h := heldBackup{entered: make(chan struct{}), release: make(chan struct{}), once: &sync.Once{}}
	var states []bool
	c, ctx := compactEnv(t, func(st *bolt.Store) store.Store { h.Store = st; return h }, func(active bool) { states = append(states, active) })
	done := make(chan error, 1)
	go func() {
		_, _, _, err := backupAll(ctx, c)
		done <- err
	}()
	<-h.entered
	_, err := c.CompactStore(ctx, &ruqiv1.CompactStoreRequest{})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(status.Convert(err).Message(), "备份") {
		t.Errorf("a compaction during a backup: %v, want FAILED_PRECONDITION MAINTENANCE_IN_PROGRESS", err)
	}
	if _, _, _, err := backupAll(ctx, c); status.Code(err) != codes.FailedPrecondition {
		t.Errorf("a second backup meanwhile: %v, want FAILED_PRECONDITION", err)
	}
	if len(states) != 0 {
		t.Errorf("maintenance states %v during a backup: a refused compaction must not leave service", states)
	}
	close(h.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := c.CompactStore(ctx, &ruqiv1.CompactStoreRequest{}); err != nil {
		t.Fatalf("a compaction after the backup: %v", err)
	}
	if _, _, _, err := backupAll(ctx, c); err != nil {
		t.Fatalf("a backup after the compaction: %v", err)
	}
}
