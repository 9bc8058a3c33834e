package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/store/storetest"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// testOptions sequence often, so that tests wait little.
func testOptions() postgres.Options {
	o := postgres.DefaultOptions()
	o.SequenceInterval = 20 * time.Millisecond
	return o
}

func factory(srv *pgtest.Server) storetest.Factory {
	return func(t *testing.T) storetest.Opener {
		url := srv.NewDatabase(t)
		return func() (store.Store, error) { return postgres.Open(context.Background(), url, testOptions()) }
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, factory(pgtest.Start(t)))
}

func TestConformance_Replicas(t *testing.T) {
	storetest.RunReplicas(t, factory(pgtest.Start(t)))
}

var ctx = context.Background()

func appendEvents(t *testing.T, s store.Store, n int, detail string) {
	t.Helper()
	for i := 0; i < n; i++ {
		err := s.Update(ctx, func(tx store.Tx) error {
			return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, Detail: fmt.Sprintf("%s %d", detail, i)})
		})
		if err != nil {
			t.Fatalf("append %s %d: %v", detail, i, err)
		}
	}
}

func verify(t *testing.T, s store.Store, want uint64) {
	t.Helper()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := s.WaitSequenced(wctx); err != nil {
		t.Fatalf("wait until sequenced: %v", err)
	}
	err := s.View(ctx, func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err != nil || !rep.Intact || rep.Events != want {
			return fmt.Errorf("chain = %+v, %v; want %d intact events", rep, err, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond for up to 30s; a test that never gets there fails.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after 30s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func openStore(t *testing.T, url string) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(ctx, url, testOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// One sequencer at a time across replicas; when its session is killed the
// log goes on (the lock went with the session), and when its replica goes
// away the other replica takes over. The chain stays whole throughout.
func TestSequencer_HolderKilled_AnotherTakesOver(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	a, b := openStore(t, url), openStore(t, url)
	waitFor(t, "sequencing at either replica", func() bool { return a.Sequencing() || b.Sequencing() })
	if a.Sequencing() && b.Sequencing() {
		t.Fatal("both replicas sequence at once")
	}
	appendEvents(t, a, 5, "a")
	appendEvents(t, b, 5, "b")
	verify(t, a, 10)

	// Kill the holder's session, as a crashed process or a cut network would.
	admin, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var killed int
	err = admin.QueryRow(ctx, `SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.objid = $1`, uint32(sequencerLockLow)).Scan(&killed)
	if err != nil || killed != 1 {
		t.Fatalf("killed %d sequencer sessions, %v; want 1", killed, err)
	}
	appendEvents(t, b, 5, "after kill")
	verify(t, b, 15)

	holder, other := a, b
	if b.Sequencing() {
		holder, other = b, a
	}
	appendEvents(t, holder, 3, "pending at holder's end")
	holder.Close()
	waitFor(t, "taken over by the other replica", other.Sequencing)
	appendEvents(t, other, 2, "after takeover")
	verify(t, other, 20)
}

// sequencerLockLow is the low 32 bits of the sequencer's advisory lock key,
// as pg_locks shows it in objid.
const sequencerLockLow = 0x69736571

// With the database down, reads and writes fail at once with
// store.ErrUnavailable naming the database, and Open does too; once it is
// back, the same store works again without reopening, and events committed
// before and after are sequenced into one intact chain.
func TestDatabaseDown_UnavailableThenRecovers(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	s := openStore(t, url)
	appendEvents(t, s, 3, "before")
	verify(t, s, 3)

	srv.Kill()
	where := strings.TrimPrefix(strings.Split(url, "?")[0], "postgres://postgres@")
	err := s.Update(ctx, func(tx store.Tx) error { return tx.AddCount("x", 1) })
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "PostgreSQL at "+where) {
		t.Fatalf("update with the database down: %v; want store.ErrUnavailable naming %s", err, where)
	}
	err = s.View(ctx, func(r store.Reader) error { _, err := r.Count("x"); return err })
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("view with the database down: %v; want store.ErrUnavailable", err)
	}
	if _, err := postgres.Open(ctx, url, testOptions()); !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("open with the database down: %v; want store.ErrUnavailable", err)
	}

	srv.Restart()
	waitFor(t, "writing again after the restart", func() bool {
		return s.Update(ctx, func(tx store.Tx) error { return tx.AddCount("x", 1) }) == nil
	})
	appendEvents(t, s, 2, "after")
	verify(t, s, 5)
}

// Counter deltas folded by the sequencer keep every total, by key and by
// prefix, and deltas added after the fold count on top.
func TestCounters_FoldedKeepTheirTotals(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	s := openStore(t, url)
	add := func(key string, n int64) {
		t.Helper()
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.AddCount(key, n) }); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 5; i++ {
		add("R|refused|2026-11|510104", 2)
		add("R|refused|2026-11|510105", -1)
		// Prefixes not ending in ASCII are matched with LIKE, where '_'
		// must not be a wildcard: "R|a拒" is above "R|_拒" but not under it.
		add("R|_拒|2026", 100)
		add("R|a拒|2026", 7)
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	waitFor(t, "folded", func() bool {
		var left int
		return conn.QueryRow(ctx, "SELECT count(*) FROM count_deltas").Scan(&left) == nil && left == 0
	})
	add("R|refused|2026-11|510104", 1)
	err = s.View(ctx, func(r store.Reader) error {
		var got []string
		if err := r.Counts("R|refused|", func(k string, n int64) error { got = append(got, fmt.Sprint(k, "=", n)); return nil }); err != nil {
			return err
		}
		if fmt.Sprint(got) != "[R|refused|2026-11|510104=11 R|refused|2026-11|510105=-5]" {
			return fmt.Errorf("counts by prefix after the fold = %v", got)
		}
		got = nil
		if err := r.Counts("R|_拒", func(k string, n int64) error { got = append(got, fmt.Sprint(k, "=", n)); return nil }); err != nil {
			return err
		}
		if fmt.Sprint(got) != "[R|_拒|2026=500]" {
			return fmt.Errorf("counts with prefix R|_拒 = %v, want R|_拒|2026 only", got)
		}
		if n, err := r.Count("R|a拒|2026"); n != 35 || err != nil {
			return fmt.Errorf("count = %d, %v; want 35", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Replicas that start together on an empty database migrate it once (goose
// holds an advisory lock) and all open.
func TestOpen_ReplicasStartingTogether_MigrateOnce(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	const replicas = 4
	errs := make(chan error, replicas)
	for range replicas {
		go func() {
			s, err := postgres.Open(ctx, url, testOptions())
			if err == nil {
				err = s.Update(ctx, func(tx store.Tx) error { return tx.AddCount("opened", 1) })
				s.Close()
			}
			errs <- err
		}()
	}
	for range replicas {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	s := openStore(t, url)
	err := s.View(ctx, func(r store.Reader) error {
		if n, err := r.Count("opened"); n != replicas || err != nil {
			return fmt.Errorf("opened = %d, %v; want %d", n, err, replicas)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A step that panics gives its connection back: more panicking steps than
// the pool has connections leave the store working.
func TestUpdate_PanicInFn_ConnectionReturned(t *testing.T) {
	srv := pgtest.Start(t)
	s, err := postgres.Open(ctx, srv.NewDatabase(t)+"&pool_max_conns=2", testOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for range 5 {
		func() {
			defer func() { _ = recover() }()
			_ = s.Update(ctx, func(tx store.Tx) error {
				if err := tx.AddCount("x", 1); err != nil {
					return err
				}
				panic("a bug in a step")
			})
		}()
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	err = s.Update(wctx, func(tx store.Tx) error { return tx.AddCount("x", 1) })
	if err != nil {
		t.Fatalf("update after panicking steps: %v", err)
	}
	err = s.View(ctx, func(r store.Reader) error {
		if n, err := r.Count("x"); n != 1 || err != nil {
			return fmt.Errorf("x = %d, %v; want 1 (the panicking steps rolled back)", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// /metrics' size per plan on PostgreSQL: Stats reports the size of ruqi's
// tables with their indexes and the plans in them, measured in the
// background of the first call.
func TestStats_TablesSizeAndPlans(t *testing.T) {
	srv := pgtest.Start(t)
	s := openStore(t, srv.NewDatabase(t))
	err := s.Update(ctx, func(tx store.Tx) error {
		for _, id := range []string{"INS-1", "INS-2", "INS-3"} {
			if err := tx.PutInspection(&ruqiv1.Inspection{Id: id, EnterpriseUscc: "91510104CY4C7RGWMR"}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "measured", func() bool { st := s.Stats(); return st.Plans == 3 && st.FileBytes > 0 })
}

// A replica that may not lead (SetMayLead: the server's witness policy is
// not the store's) does not take the sequencer's lock, lets it go within
// an interval when it holds it, and the other replica sequences the
// events of both; its session stays up meanwhile (no reconnection every
// idle_session_timeout).
func TestSequencer_MayNotLead_StandsAside(t *testing.T) {
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	a := openStore(t, url)
	waitFor(t, "sequencing at a", a.Sequencing)
	var aMay, bMay atomic.Bool
	aMay.Store(true)
	a.SetMayLead(func(context.Context) bool { return aMay.Load() })
	b := openStore(t, url)
	b.SetMayLead(func(context.Context) bool { return bMay.Load() })
	appendEvents(t, b, 3, "b, a leading")
	verify(t, b, 3)
	if b.Sequencing() {
		t.Fatal("b sequences though it may not lead")
	}

	admin, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	// a's session while it leads, the lock's: it closes it to stand aside.
	var led string
	if err := admin.QueryRow(ctx, `SELECT coalesce(string_agg(pid::text, ','), '') FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&led); err != nil || led == "" {
		t.Fatalf("the leader's session: %q %v", led, err)
	}

	aMay.Store(false)
	waitFor(t, "a standing aside", func() bool { return !a.Sequencing() })
	appendEvents(t, a, 2, "a, nobody leading")
	// Standbys that may not lead still speak: PostgreSQL ends a session
	// idle for 5 s (idle_session_timeout), which would have the sequencer
	// reconnect, and warn, every 5 s.
	sessions := func() string {
		var pids string
		if err := admin.QueryRow(ctx, `SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), '') FROM pg_stat_activity
			WHERE application_name LIKE 'ruqi sequencer %' AND datname = current_database()`).Scan(&pids); err != nil {
			t.Fatal(err)
		}
		return pids
	}
	// Both standbys' sessions up first: a, standing aside, closes the
	// session it led from (listed until its backend has gone) and connects
	// again after an interval, which on a loaded machine took longer than
	// the 200 ms this slept (then: one session, or none, then two).
	var before string
	waitFor(t, "both sequencers connected as standbys", func() bool {
		before = sessions()
		return strings.Count(before, ",") == 1 && !slices.Contains(strings.Split(before, ","), led)
	})
	time.Sleep(6 * time.Second)
	if after := sessions(); after != before {
		t.Errorf("the sequencers' sessions were %q and are %q 6 s later; want the same two", before, after)
	}
	if a.Sequencing() || b.Sequencing() {
		t.Fatalf("sequencing at a %v, b %v; neither may lead", a.Sequencing(), b.Sequencing())
	}
	err = a.View(ctx, func(r store.Reader) error {
		seq, _, err := r.Head()
		if err == nil && seq != 3 {
			return fmt.Errorf("head %d with nobody leading; want 3", seq)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	bMay.Store(true)
	waitFor(t, "sequencing at b", b.Sequencing)
	appendEvents(t, a, 2, "a, b leading")
	verify(t, a, 7)
	if a.Sequencing() {
		t.Fatal("a took the lock back though it may not lead")
	}
}
