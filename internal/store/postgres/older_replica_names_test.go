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
	for _, name := range []string{"ruqi", "ruqi east", "prov"} {
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
