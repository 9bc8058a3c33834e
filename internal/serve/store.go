package serve

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

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
		scheme, rest, _ := strings.Cut(cfg.Store, "://")
		dsn := strings.ToLower(scheme) + "://" + rest
		st, err := postgres.Open(ctx, dsn, postgres.DefaultOptions())
		// A database not reachable yet (a host rebooting, PostgreSQL
		// starting after the replicas) is waited for, as Redis is: the
		// replica exited at once, and crash-looped unless a service
		// manager started it again (a trial of the replicas, 2026-12-07).
		// A login refused or a database missing is not waited for.
		wait, said := pgStartRetry, time.Time{}
		for errors.Is(err, store.ErrUnavailable) && !notToBeWaitedFor(err) {
			if time.Since(said) >= pgStartSayEvery {
				slog.Warn("store: PostgreSQL not reachable: waiting for it; the server starts once it is (SIGTERM or Ctrl-C stops the wait)", "database", where, "err", err)
				said = time.Now()
			}
			select {
			case <-ctx.Done():
				return nil, err
			case <-time.After(wait):
			}
			wait = min(2*wait, pgStartRetryMax)
			st, err = postgres.Open(ctx, dsn, postgres.DefaultOptions())
		}
		if err == nil && !said.IsZero() {
			slog.Info("store: PostgreSQL reachable: starting", "database", where)
		}
		if err != nil && notToBeWaitedFor(err) {
			return nil, fmt.Errorf("PostgreSQL at %s: the TLS connection failed (%w): check sslmode in -store / RUQI_STORE (disable, require, verify-full) and, for verify-full, the server's certificate and sslrootcert", where, err)
		}
		return st, loginRefused(err, where)
	}
	if err := notAPath(cfg.Store); err != nil {
		return nil, err
	}
	if cfg.RedisAddr != "" {
		// Replicas share the record only through PostgreSQL: a bbolt
		// replica beside them (-store forgotten) answers from a record of
		// its own and signs a log that forks the province's.
		slog.Warn("store: a bbolt file is this process's alone; replicas that share Redis must share a PostgreSQL store (-store postgres://…)")
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

// notToBeWaitedFor tells a database out of reach by its configuration, not
// by its being down: a TLS handshake refused or a certificate not trusted
// (sslmode). A start waited for those for good (a review, 2026-12-07); no
// waiting mends them. A host name that does not resolve is waited for: in
// a container platform the database's name resolves only once it is up.
func notToBeWaitedFor(err error) bool {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var record tls.RecordHeaderError
	return errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &record) ||
		strings.Contains(err.Error(), "server refused TLS connection")
}

// How a start waits for a PostgreSQL not reachable yet: tries after
// pgStartRetry, twice as long each time up to pgStartRetryMax, and a log
// line every pgStartSayEvery. Vars for tests.
var (
	pgStartRetry    = 200 * time.Millisecond
	pgStartRetryMax = 5 * time.Second
	pgStartSayEvery = 30 * time.Second
)

// loginRefused says which part of -store to mend when PostgreSQL refuses
// the login (SQLSTATE class 28: a wrong password or user) or has no such
// database (3D000); pgx's own words ("failed SASL auth …") named no flag
// (an operator's trial, 2026-12-07). Other errors pass as they are.
func loginRefused(err error, where string) error {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return err
	}
	switch {
	case strings.HasPrefix(pg.Code, "28"):
		return fmt.Errorf("PostgreSQL at %s refused the login (%s, SQLSTATE %s): check the user and password of -store / RUQI_STORE (postgres://user:password@host:port/db, or the password in ~/.pgpass or PGPASSWORD, never on a command line others can read)", where, pg.Message, pg.Code)
	case pg.Code == "3D000":
		return fmt.Errorf("PostgreSQL at %s has no such database (%s): create it (createdb, owned by the user of -store) or mend the database name in -store / RUQI_STORE", where, pg.Message)
	}
	return err
}

func isPostgresURL(s string) bool {
	l := strings.ToLower(s) // URL schemes are case-insensitive
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// urlSchemes name a database or a file without "//" after the colon.
var urlSchemes = []string{"file", "postgres", "postgresql", "mysql", "sqlite", "sqlite3", "redis", "bolt", "bbolt"}

// dbAddress is a database's address without a scheme: a user@ perhaps,
// then a host that has a dot in it (or is localhost), a port and a slash.
var dbAddress = regexp.MustCompile(`^([^/@\s]+@)?(localhost|[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+):[0-9]{1,5}/`)

// libpqKeywords are the keywords that make a -store value a PostgreSQL
// connection string in keyword/value form, not a file name.
var libpqKeywords = []string{"host", "hostaddr", "port", "dbname", "user", "password", "sslmode"}

// notAPath refuses a -store value meant as a database that would otherwise
// be taken for a bbolt file's path and open an empty record of its own
// (an operator's trial, 2026-12-05): a URL of another scheme, or a
// PostgreSQL connection string in keyword/value form.
func notAPath(s string) error {
	// A URL ("mysql://…"), or one of the schemes a database is named by
	// without "//" ("file:/x", "postgres:/x"). Not any "name:": a file
	// named by the time it was copied (ruqi-2026-12-05T01:15:56+08:00.db) is
	// a path (a review, 2026-12-05).
	// A PostgreSQL URL mistyped: "postgres:/…" or "postgres//…" (the colon
	// left out), or its address without the scheme ("user@host:5432/db").
	// Each was said as a bbolt file that could not be locked, or as "a URL
	// that is not a PostgreSQL one" (a trial of the replicas, 2026-12-07).
	// The value itself is not repeated: it may hold a password.
	if l := strings.ToLower(s); strings.HasPrefix(l, "postgres") {
		// A directory named postgres ("postgres/ruqi.db") is a path.
		if after := strings.TrimPrefix(strings.TrimPrefix(l, "postgresql"), "postgres"); strings.HasPrefix(after, ":") || strings.HasPrefix(after, "//") {
			return errors.New("-store: a PostgreSQL URL is written postgres://user@host:port/db, with a colon and two slashes after postgres")
		}
	}
	if dbAddress.MatchString(s) {
		return errors.New("-store: this looks like a database's address (host:port/db) without its scheme; give it as postgres://user@host:port/db")
	}
	scheme, rest, ok := strings.Cut(s, ":")
	scheme = strings.ToLower(scheme)
	if ok && len(scheme) > 1 && strings.Trim(scheme, "abcdefghijklmnopqrstuvwxyz0123456789+-.") == "" &&
		(strings.HasPrefix(rest, "//") || slices.Contains(urlSchemes, scheme)) {
		return fmt.Errorf("-store %s:…: a URL that is not a PostgreSQL one (postgres://…); give a postgres:// URL, or a bbolt file's path", scheme)
	}
	for _, f := range strings.Fields(s) {
		k, _, ok := strings.Cut(f, "=")
		if ok && slices.Contains(libpqKeywords, strings.ToLower(strings.TrimSpace(k))) {
			return errors.New("-store: a PostgreSQL connection string in keyword/value form (host=… dbname=…); give it as a URL: postgres://user@host:port/dbname?sslmode=…")
		}
	}
	return nil
}

// storeFormat names the layout of the store this version writes, for the
// ready line: the bbolt file's format, or PostgreSQL's schema version.
func storeFormat(db store.Store) string {
	if f, ok := store.As[interface{ Format() string }](db); ok {
		return f.Format()
	}
	return "unknown"
}
