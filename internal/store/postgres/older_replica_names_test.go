package postgres_test

import (
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// behindByOne opens a store on url (migrating it), closes it, and takes the
// last migration's row away: the database as the version before it left it
// (the last migration is a comment, applied again as it was).
func behindByOne(t *testing.T, srv *pgtest.Server, u string) {
	t.Helper()
	s, err := postgres.Open(ctx, u, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := path.Base(strings.SplitN(u, "?", 2)[0])
	srv.Exec(t, db, "DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)")
}

// connectAs opens one connection to u named name, as role user when not empty.
func connectAs(t *testing.T, u, user, name string) *pgx.Conn {
	t.Helper()
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	if user != "" {
		cfg.User = user
	}
	cfg.RuntimeParams["application_name"] = name
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	return conn
}

// An operator may name the replicas' connections in the URL
// (?application_name=…). A province that named them "ruqi" or "ruqi east"
// (an upgrade trial, 2026-12-06) had two replicas of the same version,
// started together on a schema to migrate, refuse each other as "replicas of
// an older version": the name was kept without the schema mark, so a replica
// of this version looked like one from before the mark. The mark now follows
// the operator's name too.
func TestOpen_MigrationNotHeldByThisVersionUnderTheOperatorsName(t *testing.T) {
	srv := pgtest.Start(t)
	// "ruqi schema 9": the name an earlier version's connections showed in
	// pg_stat_activity, copied into the URL; the mark read from its first
	// " schema " made a replica of this version an older one (a review,
	// 2026-12-07).
	for _, name := range []string{"ruqi", "ruqi east", "prov", "ruqi schema 9"} {
		t.Run(name, func(t *testing.T) {
			u := srv.NewDatabase(t) + "&application_name=" + url.PathEscape(name)
			// A replica of this version, under the operator's name, is up;
			// the schema is one behind again, as for a replica of this
			// version starting beside one that has not migrated yet.
			s1, err := postgres.Open(ctx, u, testOptions())
			if err != nil {
				t.Fatal(err)
			}
			defer s1.Close()
			behindByOne(t, srv, u)
			s2, err := postgres.Open(ctx, u, testOptions())
			if err != nil {
				t.Fatalf("a replica of this version (application_name %q) was held by another of this version: %v", name, err)
			}
			s2.Close()
		})
	}
}

// The refusal named at most five connections in the order they were opened:
// a replica has its pool, its sequencer's and its cache's connections (six
// or more), so the first replica's filled the list and every other host hid
// behind "and N more"; an operator who stopped what was named was refused
// again, one host at a time. Every host is now named.
func TestOpen_MigrationRefusalNamesEveryHost(t *testing.T) {
	srv := pgtest.Start(t)
	u := srv.NewDatabase(t)
	behindByOne(t, srv, u)
	for range 6 {
		connectAs(t, u, "", "ruqi")
	}
	// A second replica, on the database's own host (a unix socket).
	admin := connectAs(t, u, "", "psql")
	var sockets string
	if err := admin.QueryRow(ctx, "SHOW unix_socket_directories").Scan(&sockets); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host = strings.Split(sockets, ",")[0]
	cfg.RuntimeParams["application_name"] = "ruqi sequencer 0a1b2c3d"
	local, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close(ctx)

	s, err := postgres.Open(ctx, u, testOptions())
	if err == nil {
		s.Close()
		t.Fatal("the schema was migrated while older replicas were connected")
	}
	t.Log(err)
	for _, want := range []string{"127.0.0.1", "local", `"ruqi sequencer 0a1b2c3d"`, "7 connection"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not name %s: %v", want, err)
		}
	}
}

// pg_stat_activity shows a role that is not a superuser where another role's
// sessions come from and since when only with pg_read_all_stats: both are
// NULL. A province whose replicas connect under roles of their own had its
// replica fail on a NULL it could not scan (no word of an older replica,
// and a replica of this version under another role held it too), or would
// have read another host's connection as "local". The role is named
// instead, and what is not visible is said so.
func TestOpen_MigrationRefusalOfAnotherRolesConnections(t *testing.T) {
	srv := pgtest.Start(t)
	srv.Exec(t, "postgres", "CREATE ROLE ruqi_owner LOGIN")
	srv.Exec(t, "postgres", "CREATE ROLE ruqi_b LOGIN")
	srv.Exec(t, "postgres", "CREATE DATABASE roles OWNER ruqi_owner")
	pu, err := url.Parse(srv.URL("roles"))
	if err != nil {
		t.Fatal(err)
	}
	pu.User = url.User("ruqi_owner")
	u := pu.String()
	behindByOne(t, srv, u)

	// A replica of this version under another role: no hold.
	connectAs(t, u, "ruqi_b", "ruqi sequencer 0a1b2c3d schema 999999")
	s, err := postgres.Open(ctx, u, testOptions())
	if err != nil {
		t.Fatalf("a replica of this version under another role held the migration: %v", err)
	}
	s.Close()

	// An older one under another role: refused, naming it and its role.
	behindByOne(t, srv, u)
	connectAs(t, u, "ruqi_b", "ruqi cache 0a1b2c3d")
	s, err = postgres.Open(ctx, u, testOptions())
	if err == nil {
		s.Close()
		t.Fatal("the schema was migrated while an older replica of another role was connected")
	}
	t.Log(err)
	for _, want := range []string{`"ruqi cache 0a1b2c3d"`, "ruqi_b", "stop every replica"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal does not name %s: %v", want, err)
		}
	}
	if strings.Contains(err.Error(), "local") {
		t.Errorf("a connection whose origin is not visible is called local: %v", err)
	}
}
