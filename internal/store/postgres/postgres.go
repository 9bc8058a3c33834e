// Package postgres is the shared store: one PostgreSQL database (or one that
// speaks its protocol and SQL) behind several replicas of the server, on
// jackc/pgx.
//
// Isolation: Update runs SERIALIZABLE and is retried on a serialization
// failure or a deadlock (SQLSTATE 40001, 40P01), which is why fn may run more
// than once; View runs REPEATABLE READ, READ ONLY (one snapshot). Counters
// and events, the rows every step would otherwise update, are append-only:
// AddCount inserts a delta and AppendEvent an unsequenced event, so
// concurrent steps do not conflict on them; one sequencer at a time (see
// sequencer.go) folds the deltas and chains the events in batches.
//
// The schema is versioned SQL in migrations/, embedded and applied at Open by
// goose under a PostgreSQL advisory lock, so replicas that start together
// migrate once.
package postgres

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/ruqi/ruqi/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Options tune the store.
type Options struct {
	// SequenceInterval bounds how long a committed event waits to be
	// sequenced when nobody asks for it sooner (WaitSequenced wakes the
	// sequencer), and how often a standby replica tries to take over.
	SequenceInterval time.Duration
	// SequenceBatch is the most events chained in one sequencer transaction.
	SequenceBatch int
	// NoSequencer opens a store that never sequences: for a process that
	// reads the shared record (an audit, a test) and must not take the
	// sequencer's lock from the replicas. Its WaitSequenced waits for them.
	NoSequencer bool
	// Logger says how a migration of the schema goes; nil is slog's
	// default logger.
	Logger *slog.Logger
}

// DefaultOptions are the server's defaults.
func DefaultOptions() Options {
	return Options{SequenceInterval: 100 * time.Millisecond, SequenceBatch: 1000}
}

// maxAttempts bounds the retries of one Update under contention.
const maxAttempts = 100

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool  *pgxpool.Pool
	where string // host:port/database, for errors; never the password
	o     Options

	// For /metrics: Updates committed, and runs rolled back to be retried
	// (serialization failures, deadlocks).
	commits, retries atomic.Uint64
	// The size of the tables and the plans in them, measured by Stats
	// at most every sizeEvery (sizedAt, Unix nanoseconds).
	sizeBytes, plans, sizedAt atomic.Int64

	seqConf    *pgx.ConnConfig // the sequencer's own connection
	stop       context.CancelFunc
	done       chan struct{}
	sequencing atomic.Bool
	// mayLead, once set (SetMayLead), is asked before this instance takes
	// the sequencer's lock and while it holds it.
	mayLead atomic.Pointer[func(context.Context) bool]
	schema  int64 // the schema version migrate brought the database to
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://…), brings its schema up
// to date and starts this instance's sequencer (a standby until it holds the
// lock). It fails with store.ErrUnavailable when the database cannot be
// reached.
func Open(ctx context.Context, url string, o Options) (*Store, error) {
	def := DefaultOptions()
	if o.SequenceInterval <= 0 {
		o.SequenceInterval = def.SequenceInterval
	}
	if o.SequenceBatch <= 0 {
		o.SequenceBatch = def.SequenceBatch
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("store URL: %w", err)
	}
	// An operator's own name (?application_name=…) is kept, with the
	// schema mark after it: a "ruqi" or "ruqi east" without it would be
	// taken for a replica of an older version (olderReplicas).
	name := cfg.ConnConfig.RuntimeParams["application_name"]
	if name == "" {
		name = "ruqi"
	}
	cfg.ConnConfig.RuntimeParams["application_name"] = appName(name)
	s := &Store{where: net.JoinHostPort(cfg.ConnConfig.Host, strconv.Itoa(int(cfg.ConnConfig.Port))) + "/" + cfg.ConnConfig.Database, o: o}
	s.seqConf = cfg.ConnConfig.Copy()
	s.seqConf.RuntimeParams["application_name"] = appName("ruqi sequencer " + instanceID())
	s.pool, err = pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, s.edge(ctx, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, s.edge(ctx, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, s.edge(ctx, fmt.Errorf("migrate PostgreSQL at %s: %w", s.where, err))
	}
	seqCtx, stop := context.WithCancel(context.Background())
	s.stop, s.done = stop, make(chan struct{})
	if o.NoSequencer {
		close(s.done)
	} else {
		go s.sequencer(seqCtx)
	}
	return s, nil
}

func (s *Store) migrate(ctx context.Context) error {
	db := stdlib.OpenDBFromPool(s.pool)
	defer db.Close()
	log := s.o.Logger
	if log == nil {
		log = slog.Default()
	}
	schema, err := applyMigrations(ctx, db, log)
	s.schema = schema
	return err
}

// applyMigrations brings the schema up to this version's and returns that
// version.
func applyMigrations(ctx context.Context, db *sql.DB, log *slog.Logger) (int64, error) {
	dir, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return 0, err
	}
	// A replica that finds another migrating tries again every second, for
	// up to five minutes (goose's default waits 5 s between tries).
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return 0, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, dir, goose.WithSessionLocker(locker), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, err
	}
	// A database a newer version migrated is refused, as bbolt refuses a
	// file of a newer format (checkFileFormat): an older binary served it,
	// and every integration of the Merkle log failed on rows it could not
	// read (a trial of the upgrade, 2026-12-06). Checked before Up, which
	// would otherwise apply nothing and say nothing.
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return 0, err
	}
	if current > target {
		return 0, fmt.Errorf("the database was migrated by a newer version of ruqi (schema %d; this version knows up to %d): run that version or a newer one, or restore a backup this version wrote", current, target)
	}
	// A migration of a province's tables can take minutes: say so before,
	// and what each step took after. The session lock above is taken for
	// each migration (UpByOne, below): replicas starting together take
	// turns, each saying the migrations it applied.
	if current < target {
		// Replicas are upgraded all stopped (README, Upgrading): an older
		// one still running beside the migrated schema misreads what this
		// version writes (v3 events read as a broken chain) and is
		// refused only at its next start. Its connections say it is there.
		if older, n, err := olderReplicas(ctx, db, target); err != nil {
			return 0, err
		} else if n > 0 {
			return 0, fmt.Errorf("the schema must be migrated from %d to %d, but replicas of an older version of ruqi still have %d connection(s) to the database (%s); stop every replica before upgrading any (README, Upgrading), then start this one again (a connection left by a replica that is gone: SELECT pg_terminate_backend(pid))", current, target, n, strings.Join(older, "; "))
		}
		log.Info("store: migrating the PostgreSQL schema", "from", current, "to", target)
	}
	// One at a time, each said when it is done: Up said them all at the
	// end, with one time, so that a long migration showed nothing of the
	// ones before it (an upgrade trial, 2026-12-07).
	pending, applied := 0, 0
	for _, src := range p.ListSources() {
		if src.Version > current {
			pending++
		}
	}
	for {
		r, err := p.UpByOne(ctx)
		if errors.Is(err, goose.ErrNoNextVersion) {
			if applied < pending {
				// Replicas started together: the others' turns applied
				// the rest. This one said "migrating" and then nothing
				// (a trial of the replicas, 2026-12-07).
				log.Info("store: the schema is migrated (another replica applied the migrations this one did not)", "version", target, "applied_here", applied)
			}
			return target, nil
		}
		if err != nil {
			return target, err
		}
		applied++
		log.Info("store: schema migration applied", "version", r.Source.Version, "file", r.Source.Path, "elapsed", r.Duration.Round(time.Millisecond))
	}
}

// schemaMark ends the application_name of every connection this version
// opens (appName): " schema N", N the last migration it knows. Versions
// before it named theirs "ruqi", "ruqi sequencer …" and "ruqi cache …"
// alone.
var schemaMark = func() string {
	entries, err := fs.ReadDir(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	var last int64
	for _, e := range entries {
		n, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			panic("migration without a version: " + e.Name())
		}
		last = max(last, v)
	}
	return " schema " + strconv.FormatInt(last, 10)
}()

// appName is the application_name of one of this version's connections, which
// olderReplicas reads in pg_stat_activity: role, then schemaMark. PostgreSQL
// keeps 63 bytes of printable ASCII of it (and escapes or replaces other
// bytes): role is cut, never the mark.
func appName(role string) string {
	const keep = 63 // NAMEDATALEN - 1
	b := []byte(role)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b[:min(len(b), keep-len(schemaMark))]) + schemaMark
}

// olderReplicas lists the connections to this database of ruqi replicas
// that know no schema as far as target: those whose application_name is a
// ruqi one without schemaMark, or with a lower schema. Others' (psql, a
// dashboard) and this version's replicas starting beside this one are not
// counted. The connections are named by where they come from, every host
// (a replica opens six or more: five in all hid every host but the first),
// with at most three of each (pid, name, since when) and how many more.
// Where a connection of another role comes from and since when is visible
// only to a superuser, that role or pg_read_all_stats (NULL, not "local"):
// the role is named instead.
func olderReplicas(ctx context.Context, db *sql.DB, target int64) (older []string, n int, err error) {
	rows, err := db.QueryContext(ctx, `SELECT pid, application_name, coalesce(usename::text, '?'),
			backend_start IS NOT NULL, coalesce(host(client_addr), ''), backend_start
		FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid()
			AND (application_name = 'ruqi' OR application_name LIKE 'ruqi %')
		ORDER BY backend_start NULLS LAST, pid`)
	if err != nil {
		return nil, 0, fmt.Errorf("read the database's other connections (pg_stat_activity): %w", err)
	}
	defer rows.Close()
	type origin struct {
		where string
		conns []string
		n     int
	}
	var origins []*origin
	byWhere := map[string]*origin{}
	for rows.Next() {
		var pid int64
		var name, role, addr string
		var visible bool
		var since sql.NullTime
		if err := rows.Scan(&pid, &name, &role, &visible, &addr, &since); err != nil {
			return nil, 0, err
		}
		// The mark is the last " schema ": the operator's name before it
		// may hold one too (the name of an earlier version's connection,
		// copied from pg_stat_activity), and read from the first, a
		// replica of this version was taken for an older one.
		if i := strings.LastIndex(name, " schema "); i >= 0 {
			if v, err := strconv.ParseInt(name[i+len(" schema "):], 10, 64); err == nil && v >= target {
				continue
			}
		}
		n++
		where, conn := "from "+addr, fmt.Sprintf("pid %d %q", pid, name)
		switch {
		case !visible:
			where = fmt.Sprintf("of role %s, whose host and start only a superuser, %s or pg_read_all_stats may see", role, role)
		case addr == "":
			where = "from local (a unix socket on the database's host)"
		}
		if since.Valid {
			conn += " since " + since.Time.UTC().Format(time.RFC3339)
		}
		o := byWhere[where]
		if o == nil {
			o = &origin{where: where}
			byWhere[where] = o
			origins = append(origins, o)
		}
		if o.n++; o.n <= 3 {
			o.conns = append(o.conns, conn)
		}
	}
	for _, o := range origins {
		more := ""
		if o.n > 3 {
			more = fmt.Sprintf(" and %d more", o.n-3)
		}
		older = append(older, fmt.Sprintf("%d %s: %s%s", o.n, o.where, strings.Join(o.conns, ", "), more))
	}
	return older, n, rows.Err()
}

// Format names the schema version, for the server's ready line.
func (s *Store) Format() string { return fmt.Sprintf("postgres schema %d", s.schema) }

// Close stops the sequencer (releasing its lock to a standby) and closes the
// connections.
func (s *Store) Close() error {
	s.stop()
	<-s.done
	s.pool.Close()
	return nil
}

// View runs fn on one snapshot of committed data.
func (s *Store) View(ctx context.Context, fn func(store.Reader) error) error {
	err := s.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(t *txn) error { return fn(t) })
	return s.edge(ctx, err)
}

// Update runs fn in a serializable transaction, again (after a short random
// pause) when PostgreSQL aborts it to keep serializability.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.run(ctx, pgx.TxOptions{IsoLevel: pgx.Serializable}, func(t *txn) error { return fn(t) })
		if err == nil {
			s.commits.Add(1)
		}
		if !retryable(err) {
			return s.edge(ctx, err)
		}
		s.retries.Add(1)
		if attempt == maxAttempts {
			return s.edge(ctx, fmt.Errorf("store/postgres: gave up after %d attempts under contention: %w", attempt, err))
		}
		pause := time.Duration(mathrand.Int64N(int64(time.Millisecond) << min(attempt, 6)))
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

// run runs fn in one transaction. The first error PostgreSQL gave inside fn
// decides the outcome whatever fn made of it: after it the transaction is
// aborted, and a retry or an outage must not pass for fn's own error.
func (s *Store) run(ctx context.Context, opts pgx.TxOptions, fn func(*txn) error) error {
	tx, err := s.pool.BeginTx(ctx, opts)
	for range 3 {
		// A pooled connection that died while idle (the server restarted)
		// fails before anything was sent; the pool drops it, so try another.
		if err == nil || !pgconn.SafeToRetry(err) || ctx.Err() != nil {
			break
		}
		tx, err = s.pool.BeginTx(ctx, opts)
	}
	if err != nil {
		return err
	}
	defer func() {
		// A panic in fn (which the server recovers from) must not keep
		// the connection from the pool.
		if p := recover(); p != nil {
			_ = tx.Rollback(context.WithoutCancel(ctx))
			panic(p)
		}
	}()
	t := &txn{ctx: ctx, tx: tx}
	ferr := fn(t)
	if ferr == nil {
		ferr = t.flush()
	}
	if t.failed != nil || ferr != nil {
		_ = tx.Rollback(context.WithoutCancel(ctx))
		if t.failed != nil {
			return t.failed
		}
		return ferr
	}
	return tx.Commit(ctx)
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// edge translates a backend error for the caller: store.ErrUnavailable,
// naming the database, when it cannot be reached; the caller's own
// cancellation as it is; anything else unchanged.
func (s *Store) edge(ctx context.Context, err error) error {
	if err == nil || errors.Is(err, store.ErrUnavailable) {
		return err
	}
	if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("store/postgres: %w (%w)", cerr, err)
	}
	if unreachable(err) {
		return fmt.Errorf("%w: PostgreSQL at %s: %w", store.ErrUnavailable, s.where, err)
	}
	return err
}

func unreachable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", "57P02", "57P03", "53300": // admin/crash shutdown, starting up, too many connections
			return true
		}
		return strings.HasPrefix(pgErr.Code, "08") // connection exception
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || pgconn.SafeToRetry(err) ||
		strings.Contains(err.Error(), "conn closed")
}

func instanceID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
