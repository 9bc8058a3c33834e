package serve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// With PostgreSQL down a write is refused as the database's unavailability
// (so the caller is told it is PostgreSQL, not a full disk) and health goes
// NOT_SERVING; once PostgreSQL is back the probe brings SERVING back
// without any caller writing.
func TestHealthStore_PostgresDown_NotServingThenBack(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	pg, err := postgres.Open(ctx, srv.NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	// As the server watches it: no probe of the data directory, which a
	// replica may keep small or read-only (a review, 2026-12-07: health
	// stayed NOT_SERVING for good once PostgreSQL was back).
	h := newStoreHealth(pg, pg)
	defer h.Close()
	changes := make(chan bool, 4)
	h.notify(func(healthy bool) { changes <- healthy })

	srv.Kill()
	err = h.Update(ctx, func(tx store.Tx) error { return tx.AddCount("x", 1) })
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("write with PostgreSQL down: %v, want store.ErrUnavailable", err)
	}
	if h.Err() == nil || <-changes {
		t.Fatal("health did not go NOT_SERVING")
	}
	// /healthz says what is wrong: the database, not a full or read-only
	// disk (an operator's trial, 2026-12-06, read "磁盘已满或只读等" with
	// PostgreSQL stopped).
	if m := h.Err().Error(); !strings.Contains(m, "数据库") || strings.Contains(m, "磁盘") {
		t.Errorf("health with PostgreSQL down says %q, want the database named, no disk", m)
	}
	srv.Restart()
	select {
	case healthy := <-changes:
		if !healthy || h.Err() != nil {
			t.Fatal("health changed, but not back to SERVING")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("still NOT_SERVING 30s after PostgreSQL came back")
	}
}
