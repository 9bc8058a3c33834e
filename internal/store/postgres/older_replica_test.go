package postgres_test

import (
	"path"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// Replicas of a province are upgraded all stopped (README, Upgrading): an
// older replica still running beside a schema a newer one migrated misreads
// what the newer writes (events of hash version 3 read as a broken chain)
// and is refused only at its next start. Nothing held the operator to it.
// A version whose schema is behind the binary's now refuses to migrate while
// a connection of an older replica is open (its application_name, "ruqi",
// "ruqi sequencer …", "ruqi cache …", without this version's schema mark),
// naming it; once it is gone the migration runs. Connections of other
// programs (psql) and of this version's replicas starting together do not
// hold it.
func TestOpen_MigrationRefusedWhileAnOlderReplicaIsConnected(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	s, err := postgres.Open(ctx, url, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := path.Base(strings.SplitN(url, "?", 2)[0])
	// The database as the version before the last migration left it (the
	// last one is a comment, applied again as it was).
	srv.Exec(t, db, "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")

	connect := func(name string) *pgx.Conn {
		cfg, err := pgx.ParseConfig(url)
		if err != nil {
			t.Fatal(err)
		}
		cfg.RuntimeParams["application_name"] = name
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return conn
	}
	// Another program, and this version's replica beside it: no hold.
	psql := connect("psql")
	defer psql.Close(ctx)
	// closed closes conn and waits until its backend has left
	// pg_stat_activity, which it does after the client has gone (a run on
	// a loaded machine opened the store while it was still listed).
	closed := func(conn *pgx.Conn) {
		t.Helper()
		var pid uint32 = conn.PgConn().PID()
		conn.Close(ctx)
		for range 1000 {
			var n int
			if err := psql.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("backend %d still listed after its client closed", pid)
	}
	for _, older := range []string{"ruqi", "ruqi cache 0a1b2c3d", "ruqi sequencer 0a1b2c3d schema 9"} {
		conn := connect(older)
		s, err = postgres.Open(ctx, url, testOptions())
		if err == nil {
			s.Close()
			closed(conn)
			t.Fatalf("the schema was migrated while an older replica (%q) was connected", older)
		}
		if !strings.Contains(err.Error(), older) || !strings.Contains(err.Error(), "stop every replica") {
			t.Errorf("refused, but not naming the connection or what to do: %v", err)
		}
		closed(conn)
	}
	// Gone: the migration runs, while the next replica of this version
	// opens beside it; the first named "ruqi" in its URL (the old default,
	// copied by an operator), which is marked as this version's too.
	s, err = postgres.Open(ctx, url+"&application_name=ruqi", testOptions())
	if err != nil {
		t.Fatalf("no older replica connected, yet: %v", err)
	}
	defer s.Close()
	srv.Exec(t, db, "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")
	s2, err := postgres.Open(ctx, url, testOptions())
	if err != nil {
		t.Fatalf("a replica of this version was held by another of this version: %v", err)
	}
	s2.Close()
}

// pg_stat_activity shows a role that is neither superuser nor member of
// pg_read_all_stats the application_name of another role's connections,
// but not where from nor since when (NULL). An older replica connected as
// another role (an upgrade that moved ruqi to a role of its own) made the
// read fail on its NULL backend_start: the start was refused with a Scan
// error ("converting NULL to time.Time"), naming no connection and nothing
// to do. It is named as any other, without what cannot be read.
func TestOpen_OlderReplicaOfAnotherRole_Named(t *testing.T) {
	srv := pgtest.Start(t)
	srv.Exec(t, "postgres", "CREATE ROLE ruqi_new LOGIN")
	srv.Exec(t, "postgres", "CREATE ROLE ruqi_old LOGIN")
	srv.Exec(t, "postgres", "CREATE DATABASE upgraded OWNER ruqi_new")
	as := func(role string) string {
		return strings.Replace(srv.URL("upgraded"), "postgres@", role+"@", 1)
	}
	cfg, err := pgx.ParseConfig(as("ruqi_old"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["application_name"] = "ruqi"
	older, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Close(ctx)
	s, err := postgres.Open(ctx, as("ruqi_new"), testOptions())
	if err == nil {
		s.Close()
		t.Fatal("the schema was migrated while an older replica of another role was connected")
	}
	if !strings.Contains(err.Error(), `"ruqi"`) || !strings.Contains(err.Error(), "stop every replica") {
		t.Errorf("refused, but not naming the connection or what to do: %v", err)
	}
}
