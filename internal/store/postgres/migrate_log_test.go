package postgres_test

import (
	"bytes"
	"log/slog"
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
		out := logged.String()
		for _, want := range []string{`msg="store: migrating the PostgreSQL schema" from=0 to=`, `msg="store: schema migration applied" version=1 file=`} {
			if got := strings.Contains(out, want); got != (open == 1) {
				t.Errorf("open %d: log has %q: %v\n%s", open, want, got, out)
			}
		}
	}
}
