package postgres_test

import (
	"database/sql"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// Down below 00009 is refused while a block exists, and
// allowed (dropping n and events_sealed) when none does.
func TestMigration00009_DownRefusedWithBlocks(t *testing.T) {
	srv := pgtest.Start(t)
	for _, sealed := range []bool{false, true} {
		url := srv.NewDatabase(t)
		s := openStore(t, url)
		appendMany(t, s, 520, "scan")
		if sealed {
			seal(t, s, 520)
		}
		s.Close()
		db, err := sql.Open("pgx", url)
		if err != nil {
			t.Fatal(err)
		}
		p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.DownTo(ctx, 8)
		v, _ := p.GetDBVersion(ctx)
		db.Close()
		t.Logf("sealed %v: down to 8: %v; version now %d", sealed, err, v)
		if sealed != (err != nil) || (sealed && v != 9) || (!sealed && v != 8) {
			t.Errorf("sealed %v: down: %v, version %d", sealed, err, v)
		}
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		var cnt int
		err = conn.QueryRow(ctx, "SELECT count(*) FROM events").Scan(&cnt)
		t.Logf("rows %d %v", cnt, err)
		conn.Close(ctx)
	}
}
