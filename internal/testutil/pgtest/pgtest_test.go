package pgtest_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// The cluster answers on its own port, each database starts empty, and a
// restart keeps what was committed.
func TestStart_FreshDatabasesAndRestart(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	a, b := srv.NewDatabase(t), srv.NewDatabase(t)
	if a == b {
		t.Fatalf("two databases share a URL: %s", a)
	}
	srv.Exec(t, "postgres", "CREATE TABLE kept (n int)")
	srv.Exec(t, "postgres", "INSERT INTO kept VALUES (7)")
	srv.Kill()
	if conn, err := pgx.Connect(ctx, a); err == nil {
		conn.Close(ctx)
		t.Fatal("connected to a killed server")
	}
	srv.Restart()
	conn, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 7 {
		t.Fatalf("after restart: n = %d, %v; want 7", n, err)
	}
	var tables int
	c2, err := pgx.Connect(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close(ctx)
	if err := c2.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("fresh database has %d tables, %v", tables, err)
	}
}
