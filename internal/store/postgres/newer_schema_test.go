package postgres_test

import (
	"path"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// Found by a trial of the upgrade (2026-12-06). bbolt names its layout in the file
// (record_format/format) and a version older than the layout refuses the
// file at open, naming the newer version (checkFileFormat). PostgreSQL
// had no such check: a binary whose migrations stop short of the database's
// opened it and served. Seen with the version of b9d751e (migrations up to
// 00001) started on a database this version migrated to 00008 and wrote
// into: it started, then every integration of the Merkle log failed ("proto:
// cannot parse invalid wire-format data": lean event rows), `admin events
// verify` and `receipt get` answered Internal ("tlog: node 0/38: store: not
// found": 00007 deleted the nodes below level 4). The next migration would
// do the same to this version. Here a database migrated by a newer version
// (one migration beyond this binary's) must be refused at Open, with words
// that name the newer schema.
func TestOpen_DatabaseMigratedByANewerVersion_Refused(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	s, err := postgres.Open(ctx, url, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	db := path.Base(strings.SplitN(url, "?", 2)[0])
	// What goose records when a newer binary applies its next migration.
	srv.Exec(t, db, "INSERT INTO goose_db_version (version_id, is_applied) VALUES (9999, true)")

	s, err = postgres.Open(ctx, url, testOptions())
	if err == nil {
		s.Close()
		t.Fatal("a database migrated by a newer version (schema 9999) opened without a word; want a refusal naming the newer schema, as bbolt refuses a file of a newer format")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("refused, but not saying why: %v", err)
	}
}
