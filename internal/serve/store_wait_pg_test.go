package serve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// A replica started while its PostgreSQL is down waits for it and starts
// once it is up: it exited at once ("store: database unavailable") and
// crash-looped after a host's reboot unless a service manager started it
// again (a trial of the replicas, 2026-12-07). A stop (the context) ends
// the wait.
func TestOpenStore_PostgresDownAtStart_WaitsForIt(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := srv.NewDatabase(t)
	srv.Kill()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	_, err := openStore(ctx, Config{DataDir: t.TempDir(), Store: dsn})
	cancel()
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("stopped while waiting: %v, want store.ErrUnavailable", err)
	}

	opened := make(chan error, 1)
	go func() {
		st, err := openStore(context.Background(), Config{DataDir: t.TempDir(), Store: dsn})
		if err == nil {
			err = st.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		t.Fatalf("opened with PostgreSQL down: %v", err)
	case <-time.After(time.Second):
	}
	srv.Restart()
	select {
	case err := <-opened:
		if err != nil {
			t.Fatalf("once PostgreSQL was up: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("still waiting 60 s after PostgreSQL came up")
	}
}

// A database out of reach by its configuration is not waited for: a start
// with sslmode=require against a server without TLS waited until stopped (a review, 2026-12-07). It stops,
// saying why.
func TestOpenStore_Misconfigured_NotWaitedFor(t *testing.T) {
	srv := pgtest.Start(t)
	dsn := srv.NewDatabase(t)
	tlsRequired := strings.Replace(dsn, "sslmode=disable", "sslmode=require", 1)
	if !strings.Contains(tlsRequired, "sslmode=require") {
		tlsRequired += map[bool]string{true: "&", false: "?"}[strings.Contains(tlsRequired, "?")] + "sslmode=require"
	}
	for name, d := range map[string]string{
		"TLS required, the server without": tlsRequired,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := openStore(ctx, Config{DataDir: t.TempDir(), Store: d})
			if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "sslmode") {
				t.Errorf("waited until stopped, or said nothing of sslmode: %v", err)
			}
		})
	}
}
