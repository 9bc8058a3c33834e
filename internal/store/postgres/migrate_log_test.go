package postgres_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
)

// A migration of a province's tables can take minutes, and a start that
// logged nothing meanwhile looked hung: the first open says it migrates,
// from which schema to which, and what each migration took; an open that
// finds the schema current says nothing of it.
func TestOpen_MigrationLogged(t *testing.T) {
	url := pgtest.Start(t).NewDatabase(t)
	for open := 1; open <= 2; open++ {
		var logged bytes.Buffer
		o := testOptions()
		o.Logger = slog.New(slog.NewTextHandler(&logged, nil))
		s, err := postgres.Open(ctx, url, o)
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		// The server's ready line names the schema (serve.storeFormat): the
		// newest migration's.
		files, _ := filepath.Glob(filepath.Join("migrations", "*.sql"))
		if len(files) == 0 {
			t.Fatal("no migrations found")
		}
		newest, _, _ := strings.Cut(filepath.Base(files[len(files)-1]), "_")
		if n, _ := strconv.Atoi(newest); s.Format() != fmt.Sprintf("postgres schema %d", n) {
			t.Errorf("open %d: Format() = %q, want postgres schema %d (%s)", open, s.Format(), n, files[len(files)-1])
		}
		out := logged.String()
		if open == 1 {
			// Each migration once, in order (applied and said one at a
			// time: an upgrade trial, 2026-12-07, saw them all said at the
			// end with one time).
			at := 0
			for _, f := range files {
				line := fmt.Sprintf(`msg="store: schema migration applied" version=%s file=%s `, strings.TrimLeft(strings.SplitN(filepath.Base(f), "_", 2)[0], "0"), filepath.Base(f))
				i := strings.Index(out[at:], line)
				if i < 0 || strings.Count(out, line) != 1 {
					t.Fatalf("%s not said once, after the migrations before it:\n%s", f, out)
				}
				at += i
			}
		}
		for _, want := range []string{`msg="store: migrating the PostgreSQL schema" from=0 to=`, `msg="store: schema migration applied" version=1 file=`} {
			if got := strings.Contains(out, want); got != (open == 1) {
				t.Errorf("open %d: log has %q: %v\n%s", open, want, got, out)
			}
		}
	}
}
