package serve

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A -store value meant as a database is never taken for a bbolt file's
// name: such a replica would serve an empty record of its own beside the
// province's, on the shared Redis, signing a log that forks the
// province's with the shared key (an operator's trial, 2026-12-05, started
// one with the keyword/value form of a connection string). Nothing is
// created; the message says what to give instead, without the password.
func TestOpenStore_RefusesWhatIsNoPath(t *testing.T) {
	for _, s := range []string{
		"host=127.0.0.1 port=5432 user=postgres dbname=ruqi sslmode=disable password=s3cret",
		"dbname=ruqi",
		"mysql://ruqi:s3cret@db/ruqi",
		"redis://127.0.0.1:6379",
		"file:/tmp/a.db",
		"postgres:/tmp/y.db",
		// Mistyped PostgreSQL URLs (a trial of the replicas, 2026-12-07).
		"postgres//postgres:s3cret@127.0.0.1:55432/ruqi",
		"PostgreSQL:/postgres@db.example:5432/ruqi",
		"postgres:s3cret@127.0.0.1:55432/ruqi",
		"127.0.0.1:55432/ruqi",
		"ruqi:s3cret@db.province.example:5432/ruqi",
	} {
		dir := t.TempDir()
		t.Chdir(dir)
		st, err := openStore(context.Background(), Config{DataDir: filepath.Join(dir, "data"), Store: s})
		if err == nil {
			st.Close()
			t.Errorf("-store %q opened a bbolt store; want an error", s)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "postgres://") {
			t.Errorf("-store %q: %v; want the URL form named, and no password", s, err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("-store %q left %d entries in the working directory", s, len(ents))
		}
	}
	// A path is a path, = and spaces included, and a colon in a file's name
	// (a copy named by its time; a review, 2026-12-05).
	dir := t.TempDir()
	t.Chdir(dir)
	for _, p := range []string{filepath.Join(dir, "ruqi.db"), filepath.Join(dir, "a b=c", "ruqi.db"), "ruqi-2026-12-05T01:15:56+08:00.db", "db1:restored.db", filepath.Join("postgres", "ruqi.db"), "postgres.db"} {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		st, err := openStore(context.Background(), Config{DataDir: dir, Store: p})
		if err != nil {
			t.Fatalf("-store %q: %v", p, err)
		}
		st.Close()
	}
}
