package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/proto"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The sequencer (Trillian's pattern): business transactions insert events
// into pending_events and never touch the chain's head, so no write waits
// for another's event. Every Store runs a sequencer goroutine; the one whose
// session holds the advisory lock below assigns seq, prev_hash and hash to
// pending events in id order, in batches, each batch one transaction on the
// same session. If its process dies or its connection is cut, PostgreSQL
// rolls back its open batch and frees the lock together, and a standby
// takes over within SequenceInterval. events.seq being the primary key
// makes a second sequencer fail rather than fork the chain even if the lock
// were somehow shared.
const (
	// sequencerLock is the advisory lock key ("ruqiseq" in ASCII);
	// advisory locks are per database.
	sequencerLock int64 = 0x72757169736571
	// wakeChannel is where WaitSequenced asks the sequencer not to wait
	// out its interval. Business transactions do not notify: NOTIFY takes
	// a database-wide lock at commit.
	wakeChannel = "ruqi_sequence"
	// foldBatch is the most counter deltas folded in one statement.
	foldBatch = 10000
)

func (s *Store) sequencer(ctx context.Context) {
	defer close(s.done)
	down := false // say so once per outage, not at every try
	for ctx.Err() == nil {
		conn, err := pgx.ConnectConfig(ctx, s.seqConf)
		if err == nil {
			if down {
				slog.Info("event sequencer: connected again", "database", s.where)
				down = false
			}
			err = s.lead(ctx, conn)
			conn.Close(context.Background())
		}
		if err != nil && ctx.Err() == nil && !down {
			slog.Warn("event sequencer: lost the database, retrying", "err", err, "database", s.where)
			down = true
		}
		sleep(ctx, s.o.SequenceInterval)
	}
}

// lead waits for the lock on conn, then sequences until conn or ctx fails,
// or until this instance may lead no more (SetMayLead): then it returns
// nil, and the caller's closing conn lets the lock go.
func (s *Store) lead(ctx context.Context, conn *pgx.Conn) error {
	// The lock is the session's: a holder that stops without exiting (a
	// paused VM, a stalled process, a host cut off) would keep it, and
	// every replica's events would wait, for hours (a trial of replicas on
	// PostgreSQL, 2026-12-06). A live holder sends a statement every
	// SequenceInterval, so PostgreSQL ends a session idle far longer than
	// that, and probes a silent peer's socket. Versions before 14 lack
	// idle_session_timeout: a SET it refuses leaves the rest as it was.
	idle := max(5*time.Second, 20*s.o.SequenceInterval).Milliseconds()
	for _, set := range []string{
		fmt.Sprintf("SET idle_session_timeout = %d", idle),
		fmt.Sprintf("SET idle_in_transaction_session_timeout = %d", idle),
		"SET tcp_keepalives_idle = 5", "SET tcp_keepalives_interval = 2", "SET tcp_keepalives_count = 3",
	} {
		if _, err := conn.Exec(ctx, set); err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
	}
	for {
		// A standby that may not lead (SetMayLead) does not try the lock,
		// but still sends its statement: a session silent for longer than
		// idle_session_timeout is ended.
		var held bool
		if err := conn.QueryRow(ctx, "SELECT CASE WHEN $2 THEN pg_try_advisory_lock($1) ELSE false END",
			sequencerLock, s.mayLeadNow(ctx)).Scan(&held); err != nil {
			return err
		}
		if held {
			break
		}
		if !sleep(ctx, s.o.SequenceInterval) {
			return ctx.Err()
		}
	}
	s.sequencing.Store(true)
	defer s.sequencing.Store(false)
	if _, err := conn.Exec(ctx, "LISTEN "+wakeChannel); err != nil {
		return err
	}
	for {
		if !s.mayLeadNow(ctx) {
			// Standing aside: the caller closes conn, which frees the
			// lock (and the LISTEN) for a standby that may lead, and
			// this instance waits for it again from a new session.
			return nil
		}
		n, err := s.sequenceBatch(ctx, conn)
		if err != nil {
			return err
		}
		if err := foldCounts(ctx, conn); err != nil {
			return err
		}
		if n == s.o.SequenceBatch {
			continue // more are waiting
		}
		wait, cancel := context.WithTimeout(ctx, s.o.SequenceInterval)
		err = conn.PgConn().WaitForNotification(wait)
		cancel()
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil && !errors.Is(err, context.DeadlineExceeded) && wait.Err() == nil {
			return err
		}
	}
}

// foldCounts adds up to foldBatch count deltas into their counters, and
// drops the counters that come back to zero: a zero reads as none (Count,
// Counts), as bbolt keeps it, and the start counts of every hour gone by
// (report.PruneStarts) stayed as zero rows, one per plan for good, which
// every hourly pruning read again (a review, 2026-12-06).
func foldCounts(ctx context.Context, conn *pgx.Conn) error {
	// One transaction: a reader that finds the deltas folded finds the
	// counters back at zero dropped too (a run of CI read the rows between
	// two statements, 2026-12-06).
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	rows, err := tx.Query(ctx, `WITH d AS (
			DELETE FROM count_deltas WHERE id IN (SELECT id FROM count_deltas ORDER BY id LIMIT $1)
			RETURNING key, n),
		u AS (
			INSERT INTO counts (key, n) SELECT key, sum(n) FROM d GROUP BY key
			ON CONFLICT (key) DO UPDATE SET n = counts.n + excluded.n
			RETURNING key, n)
		SELECT key FROM u WHERE n = 0`, foldBatch)
	if err != nil {
		return err
	}
	zero, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return err
	}
	if len(zero) > 0 {
		// Only while still zero: this replica is the one that folds, but a
		// counter is read as counts plus its deltas not yet folded, which a
		// deletion here does not touch.
		if _, err := tx.Exec(ctx, "DELETE FROM counts WHERE key = ANY($1) AND n = 0", zero); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// sequenceBatch chains up to SequenceBatch pending events in one
// transaction and returns how many.
func (s *Store) sequenceBatch(ctx context.Context, conn *pgx.Conn) (int, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(context.Background())
	type pending struct {
		id  int64
		rec []byte
	}
	rows, _ := tx.Query(ctx, "SELECT id, rec FROM pending_events ORDER BY id LIMIT $1", s.o.SequenceBatch)
	batch, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pending, error) {
		var p pending
		return p, r.Scan(&p.id, &p.rec)
	})
	if err != nil || len(batch) == 0 {
		return 0, err
	}
	seq, prev, err := (&txn{ctx: ctx, tx: tx}).Head()
	if err != nil {
		return 0, err
	}
	ids := make([]int64, len(batch))
	var inserts pgx.Batch
	for i, p := range batch {
		e := &ruqiv1.Event{}
		if err := proto.Unmarshal(p.rec, e); err != nil {
			return 0, fmt.Errorf("pending event %d: %w", p.id, err)
		}
		seq++
		e.Seq, e.PrevHash = seq, prev
		store.Chain(prev, e)
		b, err := store.EncodeEvent(e, prev)
		prev = e.Hash
		if err != nil {
			return 0, err
		}
		inserts.Queue("INSERT INTO events (seq, rec) VALUES ($1, $2)", int64(seq), b)
		ids[i] = p.id
	}
	inserts.Queue("DELETE FROM pending_events WHERE id = ANY($1)", ids)
	if err := tx.SendBatch(ctx, &inserts).Close(); err != nil {
		return 0, err
	}
	return len(batch), tx.Commit(ctx)
}

// maxUnsequenced bounds what UnsequencedEvents reads: a count of events on
// their way, not a listing.
const maxUnsequenced = 10000

// UnsequencedEvents calls fn with the events committed but not yet in the
// log (pending_events, oldest first, at most maxUnsequenced): an
// enterprise's receipts of them are on their way (store.Unsequenced).
func (s *Store) UnsequencedEvents(ctx context.Context, fn func(*ruqiv1.Event) error) error {
	rows, err := s.pool.Query(ctx, "SELECT rec FROM pending_events ORDER BY id LIMIT $1", maxUnsequenced)
	if err != nil {
		return err
	}
	recs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return err
	}
	for _, rec := range recs {
		e := &ruqiv1.Event{}
		if err := proto.Unmarshal(rec, e); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// WaitSequenced returns once every event committed before the call is in
// the log, waking the sequencer (at whichever replica holds it).
func (s *Store) WaitSequenced(ctx context.Context) error {
	var last *int64
	if err := s.pool.QueryRow(ctx, "SELECT max(id) FROM pending_events").Scan(&last); err != nil {
		return s.edge(ctx, err)
	}
	if last == nil {
		return nil
	}
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, '')", wakeChannel); err != nil {
		return s.edge(ctx, err)
	}
	pause := time.Millisecond
	for {
		var waiting bool
		if err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pending_events WHERE id <= $1)", *last).Scan(&waiting); err != nil {
			return s.edge(ctx, err)
		}
		if !waiting {
			return nil
		}
		if !sleep(ctx, pause) {
			return ctx.Err()
		}
		pause = min(2*pause, s.o.SequenceInterval)
	}
}

// Stats are this instance's commits and retried runs since it opened
// (Rollbacks), and the size of ruqi's tables with their indexes and the
// plans in them as last measured (PostgreSQL keeps its own figures of
// syncs). Measuring is done at most every sizeEvery, in the background of
// the call that finds it stale: a scrape of /metrics never waits for it.
func (s *Store) Stats() store.Stats {
	c := s.commits.Load()
	if last := s.sizedAt.Load(); time.Since(time.Unix(0, last)) > sizeEvery && s.sizedAt.CompareAndSwap(last, time.Now().UnixNano()) {
		go s.measureSize()
	}
	return store.Stats{Commits: c, Writes: c, Rollbacks: s.retries.Load(), FileBytes: s.sizeBytes.Load(), Plans: s.plans.Load()}
}

// sizeEvery is how often Stats measures the tables again.
const sizeEvery = 30 * time.Second

// countedPlans is the most plans measureSize counts: above it, the plans
// are PostgreSQL's estimate of the inspections' rows (pg_class.reltuples,
// kept by autovacuum's ANALYZE), close enough for a gauge. count(*) walked
// every inspection ever registered every 30 s on each replica: a million
// a province's year, five million after five, an index-only scan at best
// and the table itself (a few KB a record) where the visibility map is
// behind, as it is for records updated when their results come (a review
// of what grows with history, 2026-12-07).
const countedPlans = 100_000

// measureSize reads the size of the tables of ruqi's schema (tables,
// indexes and TOAST: pg_total_relation_size) and the number of plans.
func (s *Store) measureSize() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var size, estimate int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint,
		coalesce(max(CASE WHEN c.relname = 'inspections' THEN c.reltuples END), -1)::bigint
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&size, &estimate)
	if err != nil {
		return
	}
	plans := estimate
	if estimate < countedPlans {
		// Never analysed (-1) or small: counted exactly.
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM inspections").Scan(&plans); err != nil {
			return
		}
	}
	s.sizeBytes.Store(size)
	s.plans.Store(plans)
}

// Sequencing tells whether this instance's sequencer holds the lock now.
func (s *Store) Sequencing() bool { return s.sequencing.Load() }

// SetMayLead makes this instance's sequencer ask may before it takes the
// lock, and before each batch while it holds it: while may says no, it
// stands aside (lets the lock go, takes it no more) and another replica
// sequences. The server's service says no while its -witness-policy is not
// the store's (service.Service.mayLead): the replica that sequences is the
// one that builds the Merkle log and asks witnesses to cosign. may is
// called from the sequencer's goroutine only, at most every
// SequenceInterval, and must be quick (it may answer from what it read a
// moment ago). Without it (nil) the sequencer leads whenever it can.
func (s *Store) SetMayLead(may func(context.Context) bool) {
	if may == nil {
		s.mayLead.Store(nil)
		return
	}
	s.mayLead.Store(&may)
}

func (s *Store) mayLeadNow(ctx context.Context) bool {
	may := s.mayLead.Load()
	return may == nil || (*may)(ctx)
}

// sleep waits d or until ctx ends, and tells whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
