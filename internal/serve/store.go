package serve

import (
	"context"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
)

// openStore opens what cfg.Store names: a postgres:// (or postgresql://)
// URL, or a bbolt file, by default ruqi.db in the data directory.
func openStore(ctx context.Context, cfg Config) (store.Store, error) {
	if isPostgresURL(cfg.Store) {
		// Host and database only: a password may be in the user part or
		// in the query.
		where := "(unparsable URL)"
		if u, err := url.Parse(cfg.Store); err == nil {
			where = u.Host + u.Path
		}
		slog.Info("store: PostgreSQL", "database", where)
		return postgres.Open(ctx, cfg.Store, postgres.DefaultOptions())
	}
	path := cfg.Store
	if path == "" {
		path = filepath.Join(cfg.DataDir, "ruqi.db")
	}
	slog.Info("store: bbolt", "path", path)
	st, err := bolt.Open(path, cfg.Bolt)
	if err == nil && st.Recovered() > 0 {
		slog.Warn("store: recovered after a crash: replayed the write-ahead log's transactions after its last checkpoint", "transactions", st.Recovered())
	}
	return st, err
}

func isPostgresURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}
