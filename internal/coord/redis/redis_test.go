package redis

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/coordtest/storeseed"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	"github.com/ruqi/ruqi/internal/testutil/redistest"
)

var ctx = context.Background()

// backend hands out a new client, as a new replica holds, to one shared
// redis-server.
type backend struct{ srv *redistest.Server }

func (b backend) Client(t *testing.T, seed coord.Seeder) coord.Coordinator {
	return dial(t, b.srv, seed)
}

func dial(t testing.TB, srv *redistest.Server, seed coord.Seeder) *Coordinator {
	t.Helper()
	c, err := Dial(srv.Addr(), seed)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// dialPatient is a coordinator whose client waits for a script's reply and
// never retries one: the randomized comparison checks the scripts' answers,
// and on a loaded machine a reply slower than Open's 500 ms read timeout
// would be retried, running a withdrawal or a settlement twice (the second
// run answers that nothing was left to release).
func dialPatient(t testing.TB, srv *redistest.Server, seed coord.Seeder) *Coordinator {
	t.Helper()
	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr(), ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, MaxRetries: -1})
	t.Cleanup(func() { _ = client.Close() })
	return New(client, seed)
}

func TestConformance(t *testing.T) {
	coordtest.Run(t, backend{redistest.Start(t)})
}

// TestConformance_SeededFromBolt runs the suite with Redis seeded, as a
// server seeds it, from what the service wrote to a bbolt file.
func TestConformance_SeededFromBolt(t *testing.T) {
	coordtest.RunWith(t, backend{redistest.Start(t)}, storeseed.Bolt)
}

// TestConformance_SeededFromPostgres: the same from a PostgreSQL database,
// a fresh one per test.
func TestConformance_SeededFromPostgres(t *testing.T) {
	coordtest.RunWith(t, backend{redistest.Start(t)}, storeseed.Postgres(pgtest.Start(t)))
}

var usccSeq atomic.Int64

// freshUSCC: a new enterprise for every test, on a server some tests share.
func freshUSCC() string {
	return fmt.Sprintf("91510100MA%08d", time.Now().UnixNano()%1e6*100+usccSeq.Add(1)%100)
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, coordtest.Beijing)
	if err != nil {
		panic(err)
	}
	return t
}

func ptr(n int) *int { return &n }

// step is one call in a scripted run: a decision, or a withdrawal of the
// plan decided at step withdraw-1.
type step struct {
	agency, from, to string
	withdraw         int
}

// run plays steps for uscc through c, writing the record as the service
// would, and calls before(i) ahead of each step.
func run(t *testing.T, c coord.Coordinator, rec *coordtest.Record, uscc string, pol coord.Policy, now time.Time, steps []step, before func(i int)) []coord.Decision {
	t.Helper()
	var plans []coord.Plan
	var out []coord.Decision
	for i, s := range steps {
		if before != nil {
			before(i)
		}
		if s.withdraw > 0 {
			p := plans[s.withdraw-1]
			d, err := c.Withdraw(ctx, p, 0, now)
			if err != nil {
				t.Fatalf("step %d: withdraw %s: %v", i, p.InspectionID, err)
			}
			rec.Withdraw(p, d)
			plans = append(plans, coord.Plan{})
			out = append(out, d)
			continue
		}
		p := coord.Plan{InspectionID: fmt.Sprintf("INS-S-%03d", i), AgencyID: s.agency, USCC: uscc, Start: at(s.from), End: at(s.to), Grade: "B"}
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil {
			t.Fatalf("step %d: decide %s: %v", i, p.InspectionID, err)
		}
		rec.Apply(p, d)
		plans = append(plans, p)
		out = append(out, d)
	}
	return out
}

// TestFlushAll_DecidesLikeAnUnflushedRun: Redis emptied by FLUSHALL halfway
// (a failover to an empty replica); the enterprise is seeded from the store
// again and every later decision, version included, is the one an
// uninterrupted run makes.
func TestFlushAll_DecidesLikeAnUnflushedRun(t *testing.T) {
	srv := redistest.Start(t)
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(2), WarnVisitsPerDay: ptr(1), WarnVisitsPerWeek: ptr(2)}
	now := at("2026-11-20 09:00")
	steps := []step{
		{agency: "AG-1", from: "2026-11-23 08:00", to: "2026-11-23 10:00"},
		{agency: "AG-2", from: "2026-11-23 12:00", to: "2026-11-23 14:00"},
		{agency: "AG-3", from: "2026-11-23 09:30", to: "2026-11-23 12:30"}, // joins 1 (30 min), never bridges 1 and 2
		{agency: "AG-1", from: "2026-11-24 08:00", to: "2026-11-24 09:00"},
		{agency: "AG-4", from: "2026-11-24 08:30", to: "2026-11-24 10:00"},
		{withdraw: 4}, // the lead of the second visit
		// --- FLUSHALL here ---
		{agency: "AG-1", from: "2026-11-25 08:00", to: "2026-11-25 09:00"}, // AG-1's second: its 24th was withdrawn
		{agency: "AG-1", from: "2026-11-27 08:00", to: "2026-11-27 09:00"}, // AG-1's third: capped
		{agency: "AG-5", from: "2026-11-23 13:30", to: "2026-11-23 15:00"}, // joins AG-2's visit
		{agency: "AG-2", from: "2026-11-23 13:00", to: "2026-11-23 13:30"}, // duplicate of AG-2's
		{agency: "AG-6", from: "2026-11-24 09:30", to: "2026-11-24 11:00"}, // joins AG-4's visit
		{agency: "AG-6", from: "2026-11-26 08:00", to: "2026-11-26 09:00"}, // the week's third visit
		{withdraw: 1},
		{agency: "AG-7", from: "2026-11-23 08:30", to: "2026-11-23 09:00"}, // overlaps only the withdrawn
	}
	const flushAt = 6

	ref := coord.NewState(coord.Seed{}, pol, now)
	plain := coordtest.NewRecord()
	uninterrupted := run(t, dial(t, srv, plain.Seed), plain, freshUSCC(), pol, now, steps, nil)

	rec := coordtest.NewRecord()
	flushed := run(t, dial(t, srv, rec.Seed), rec, freshUSCC(), pol, now, steps, func(i int) {
		if i == flushAt {
			srv.FlushAll()
		}
	})

	// And both are what coord.State, never interrupted, decides.
	var want []coord.Decision
	var plans []coord.Plan
	for i, s := range steps {
		if s.withdraw > 0 {
			want = append(want, ref.Withdraw(plans[s.withdraw-1].InspectionID, now))
			plans = append(plans, coord.Plan{})
			continue
		}
		p := coord.Plan{InspectionID: fmt.Sprintf("INS-S-%03d", i), AgencyID: s.agency, Start: at(s.from), End: at(s.to), Grade: "B"}
		want = append(want, ref.Decide(p, pol, now))
		plans = append(plans, p)
	}
	for i := range steps {
		if !reflect.DeepEqual(ruled(uninterrupted[i]), want[i]) {
			t.Errorf("step %d, uninterrupted:\n got %+v\nwant %+v", i, uninterrupted[i], want[i])
		}
		if !reflect.DeepEqual(ruled(flushed[i]), want[i]) {
			t.Errorf("step %d, flushed at step %d:\n got %+v\nwant %+v", i, flushAt, flushed[i], want[i])
		}
	}
}

// TestUnavailable_WhenRedisIsDown_ThenRecovers: a dead Redis refuses
// registrations with coord.ErrUnavailable at once; the same coordinator works
// again once Redis is back (empty: it seeds the enterprise from the store).
func TestUnavailable_WhenRedisIsDown_ThenRecovers(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-20 09:00")
	a := coord.Plan{InspectionID: "INS-U-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 09:00"), End: at("2026-11-23 12:00")}
	b := coord.Plan{InspectionID: "INS-U-2", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-23 10:00"), End: at("2026-11-23 11:00")}
	d, err := c.Decide(ctx, a, pol, now)
	if err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("%+v %v", d, err)
	}
	rec.Apply(a, d)

	srv.Kill()
	calls := map[string]func() error{
		"decide":   func() error { _, err := c.Decide(ctx, b, pol, now); return err },
		"withdraw": func() error { _, err := c.Withdraw(ctx, a, 0, now); return err },
		"release":  func() error { _, err := c.Release(ctx, a, 0, now); return err },
		"confirm":  func() error { return c.Confirm(ctx, a, now) },
		"forget":   func() error { return c.Forget(ctx, uscc) },
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		took := time.Since(start)
		if !errors.Is(err, coord.ErrUnavailable) {
			t.Fatalf("%s with Redis down: %v, want coord.ErrUnavailable", name, err)
		}
		if !strings.Contains(err.Error(), srv.Addr()) {
			t.Errorf("%s: the message should say which Redis: %v", name, err)
		}
		// ctx has no deadline: the call returns by the client's own
		// timeouts, or hangs until go test's -timeout fails the run. No
		// bound on its time is asserted.
		t.Logf("%s with Redis down: %v after %v", name, err, took.Round(time.Millisecond))
	}
	if _, err := Dial(srv.Addr(), rec.Seed); !errors.Is(err, coord.ErrUnavailable) {
		t.Fatalf("Dial with Redis down: %v, want coord.ErrUnavailable", err)
	}

	srv.Restart()
	// The client reconnects by itself; after failed dials it waits for a
	// probe (about a second) before it dials again.
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err = c.Decide(ctx, b, pol, now)
		if err == nil {
			break
		}
		if !errors.Is(err, coord.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("decide after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Redis came back empty; the store still has a, so b joins it.
	if d.Outcome != coord.Joined || fmt.Sprint(d.Members) != "[INS-U-1 INS-U-2]" || d.LeadAgency != "AG-1" || d.Version != 2 {
		t.Fatalf("after the restart: %+v", d)
	}
}

// TestKeys_CarryTheEnterpriseHashTag: every key a decision leaves has the
// enterprise's hash tag (one Cluster slot per enterprise) and an expiry, and
// Forget leaves none of them.
func TestKeys_CarryTheEnterpriseHashTag(t *testing.T) {
	srv := redistest.Start(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(2), ProactivePerYearByGrade: map[string]int{"B": 5}, WarnVisitsPerDay: ptr(1)}
	now := at("2026-11-20 09:00")
	ents := []string{freshUSCC(), freshUSCC()}
	for _, uscc := range ents {
		rec := coordtest.NewRecord()
		run(t, dial(t, srv, rec.Seed), rec, uscc, pol, now, []step{
			{agency: "AG-1", from: "2026-11-23 08:00", to: "2026-11-23 10:00"},
			{agency: "AG-2", from: "2026-11-23 12:00", to: "2026-11-23 14:00"},
			{agency: "AG-3", from: "2026-11-23 09:30", to: "2026-11-23 12:30"},
			{withdraw: 1},
			{agency: "AG-4", from: "2026-12-30 08:00", to: "2027-01-02 08:00"},
		}, nil)
	}
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	per := map[string]int{}
	for _, k := range keys {
		owner := ""
		for _, uscc := range ents {
			if strings.Contains(k, "{"+uscc+"}") {
				owner = uscc
			}
		}
		if owner == "" || !strings.HasPrefix(k, "ruqi:{") {
			t.Errorf("key %q has no enterprise's hash tag", k)
			continue
		}
		per[owner]++
		if exp, err := rdb.PExpireTime(ctx, k).Result(); err != nil || exp <= 0 {
			t.Errorf("key %q has no expiry (%v, %v)", k, exp, err)
		}
	}
	// The state hash and the counters: agency and grade years, visit year,
	// months, weeks and days.
	for _, uscc := range ents {
		if per[uscc] < 10 {
			t.Errorf("enterprise %s has %d keys: %v", uscc, per[uscc], keys)
		}
	}
	t.Logf("%d keys, e.g. %v", len(keys), keys[:min(len(keys), 6)])

	c := dial(t, srv, coordtest.NewRecord().Seed)
	if err := c.Forget(ctx, ents[0]); err != nil {
		t.Fatal(err)
	}
	left, err := rdb.Keys(ctx, "ruqi:{"+ents[0]+"}*").Result()
	if err != nil || len(left) != 0 {
		t.Fatalf("after Forget: %v %v", left, err)
	}
	if other, _ := rdb.Keys(ctx, "ruqi:{"+ents[1]+"}*").Result(); len(other) != per[ents[1]] {
		t.Fatalf("Forget of one enterprise touched another's keys: %d left of %d", len(other), per[ents[1]])
	}
}

// TestRandom_MatchesState plays random registrations (some held pending
// until their write commits, is lost or fails), retries, withdrawals, the
// passing of time and losses of Redis's state against coord.State, the
// reference, and wants every decision equal: the joint rule (common time,
// chains, minimum), cancellations after windows, rollbacks next to other
// pending plans and the settling of expired pending plans. Dates in the past run too:
// counts lapse by the caller's now, never by Redis's clock.
func TestRandom_MatchesState(t *testing.T) {
	testRandom(t, func(*testing.T) coordtest.Recorder { return coordtest.NewRecord() })
}

// TestRandom_MatchesState_SeededFromBolt plays the same with the record in
// a bbolt file, written as the service writes it and read back by the
// service's seeder.
func TestRandom_MatchesState_SeededFromBolt(t *testing.T) {
	testRandom(t, storeseed.Bolt)
}

// TestRandom_MatchesState_SeededFromPostgres: the same in PostgreSQL.
func TestRandom_MatchesState_SeededFromPostgres(t *testing.T) {
	testRandom(t, storeseed.Postgres(pgtest.Start(t)))
}

func testRandom(t *testing.T, newRecord func(*testing.T) coordtest.Recorder) {
	srv := redistest.Start(t)
	pol := coord.Policy{
		Zone:                    coordtest.Beijing,
		AgencyPerYear:           ptr(8),
		VisitsPerYear:           ptr(24),
		ProactivePerYearByGrade: map[string]int{"A": 0, "C": 12},
		WarnVisitsPerDay:        ptr(1), WarnVisitsPerWeek: ptr(2), WarnVisitsPerMonth: ptr(4),
		EntriesPerYear:    ptr(30),
		WarnEntriesPerDay: ptr(2), WarnEntriesPerWeek: ptr(5), WarnEntriesPerMonth: ptr(8),
	}
	for _, base := range []string{"2026-12-27 06:00", "2024-02-26 06:00", "2028-12-29 06:00"} {
		for seed := int64(1); seed <= 12; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", base[:10], seed), func(t *testing.T) {
				playRandom(t, srv, newRecord(t), pol, at(base), seed)
			})
		}
	}
}

func playRandom(t *testing.T, srv *redistest.Server, rec coordtest.Recorder, pol coord.Policy, base time.Time, seed int64) {
	rnd := rand.New(rand.NewSource(seed))
	c := dialPatient(t, srv, rec.Seed)
	uscc := freshUSCC()
	now := base
	ref := coord.NewState(coord.Seed{}, pol, now)
	var plans []coord.Plan
	// The record as a service keeps it: a plan once, however often its
	// decision is retried; a pending plan only once its write commits.
	recorded := map[string]bool{}
	pending := map[string]coord.Decision{} // decided, not yet written
	record := func(p coord.Plan) func(coord.Decision) {
		return func(d coord.Decision) {
			if d.Outcome != coord.Accepted && d.Outcome != coord.Joined {
				rec.Apply(p, d)
				return
			}
			if !p.ConfirmBy.IsZero() && !recorded[p.InspectionID] {
				pending[p.InspectionID] = d
				return
			}
			if recorded[p.InspectionID] {
				d.Outcome = coord.Capped // nothing to add; joint membership only
			}
			recorded[p.InspectionID] = true
			rec.Apply(p, d)
		}
	}
	withdrawn := func(p coord.Plan) func(coord.Decision) {
		return func(d coord.Decision) {
			recorded[p.InspectionID] = false
			delete(pending, p.InspectionID)
			rec.Withdraw(p, d)
		}
	}
	// settle is what coord/redis does before a decision: the store says
	// which expired pending plans were written.
	decide := func(p coord.Plan) coord.Decision {
		var dropped []coord.Decision
		if exp := ref.Expired(now); len(exp) > 0 {
			s, _ := rec.Seed(ctx, uscc, false)
			stored, missing := coord.SplitStored(s, exp)
			dropped = ref.Settle(stored, missing, now)
		}
		d := ref.Decide(p, pol, now)
		d.Dropped = dropped
		return d
	}
	grades := []string{"A", "B", "B", "C", "C", "D"}
	mustDecide := false
	for i := 0; i < 160; i++ {
		op := rnd.Intn(110)
		if mustDecide {
			op = 0
			mustDecide = false
		}
		switch {
		case op < 60 || len(plans) == 0: // a new plan
			start := base.Add(time.Duration(rnd.Intn(5*24*4)) * 15 * time.Minute)
			p := coord.Plan{
				InspectionID: fmt.Sprintf("INS-R%d-%03d", seed, i),
				AgencyID:     fmt.Sprintf("AG-%d", rnd.Intn(5)),
				USCC:         uscc,
				Start:        start,
				End:          start.Add(time.Duration(1+rnd.Intn(16)) * 15 * time.Minute),
				Exempt:       rnd.Intn(6) == 0,
				Grade:        grades[rnd.Intn(len(grades))],
			}
			if rnd.Intn(5) == 0 { // a visit that is not an inspection (走访调研 …)
				p.NotInspection, p.Exempt = true, false
			}
			if rnd.Intn(3) == 0 { // decided, its write still to come
				p.ConfirmBy = now.Add(time.Duration(rnd.Intn(5)) * 15 * time.Minute)
			}
			plans = append(plans, p)
			compare(t, i, "decide "+p.InspectionID, decide(p), func() (coord.Decision, error) { return c.Decide(ctx, p, pol, now) }, record(p))
		case op < 70: // a retry, a pending one sometimes asking to be held longer
			p := plans[rnd.Intn(len(plans))]
			if !p.ConfirmBy.IsZero() && rnd.Intn(2) == 0 {
				p.ConfirmBy = now.Add(time.Hour)
			}
			compare(t, i, "retry "+p.InspectionID, decide(p), func() (coord.Decision, error) { return c.Decide(ctx, p, pol, now) }, record(p))
		case op < 85: // a withdrawal, mostly of a registered plan
			p := plans[rnd.Intn(len(plans))]
			for _, q := range plans {
				if recorded[q.InspectionID] && rnd.Intn(3) == 0 {
					p = q
				}
			}
			compare(t, i, "withdraw "+p.InspectionID, ref.Withdraw(p.InspectionID, now), func() (coord.Decision, error) { return c.Withdraw(ctx, p, 0, now) }, withdrawn(p))
		case op < 95: // a pending plan's write commits (confirmed or not) or fails (released)
			var ids []string
			for id := range pending {
				ids = append(ids, id)
			}
			if len(ids) == 0 {
				continue
			}
			sort.Strings(ids)
			id := ids[rnd.Intn(len(ids))]
			var p coord.Plan
			for _, q := range plans {
				if q.InspectionID == id {
					p = q
				}
			}
			d := pending[id]
			delete(pending, id)
			switch rnd.Intn(3) {
			case 0: // committed and confirmed
				recorded[id] = true
				rec.Apply(p, d)
				ref.Confirm(id)
				if err := c.Confirm(ctx, p, now); err != nil {
					t.Fatal(err)
				}
			case 1: // committed, the confirmation lost
				recorded[id] = true
				rec.Apply(p, d)
			default: // the write failed
				compare(t, i, "release "+id, ref.Release(id, p.ConfirmBy, now), func() (coord.Decision, error) { return c.Release(ctx, p, 0, now) }, func(coord.Decision) {})
			}
		case op < 107: // time passes
			now = now.Add(time.Duration(rnd.Intn(12*4)) * 15 * time.Minute)
		default: // Redis loses the enterprise; both sides seed from the record
			if err := c.Forget(ctx, uscc); err != nil {
				t.Fatal(err)
			}
			s, _ := rec.Seed(ctx, uscc, false)
			ref = coord.NewState(s, pol, now)
			pending = map[string]coord.Decision{} // reservations lost with the state
			mustDecide = true
		}
		if t.Failed() {
			return
		}
	}
}

// ruled is what the rule decided: d without its fence, which counts how
// often the store was read with the fence raised (seeds, checks of pending
// plans), not what the rule made of it. TestFence_* test it.
func ruled(d coord.Decision) coord.Decision {
	d.Fence = 0
	if d.Dropped != nil {
		d.Dropped = append([]coord.Decision(nil), d.Dropped...)
		for i := range d.Dropped {
			d.Dropped[i] = ruled(d.Dropped[i])
		}
	}
	return d
}

func compare(t *testing.T, i int, what string, want coord.Decision, call func() (coord.Decision, error), apply func(coord.Decision)) {
	t.Helper()
	got, err := call()
	if err != nil {
		t.Fatalf("op %d, %s: %v", i, what, err)
	}
	if !reflect.DeepEqual(ruled(got), ruled(want)) {
		t.Errorf("op %d, %s:\n got %s\nwant %s", i, what, show(got), show(want))
	}
	apply(got)
}

func show(d coord.Decision) string {
	s := fmt.Sprintf("%+v", d)
	if d.Cap != nil {
		s += fmt.Sprintf(" cap=%+v", *d.Cap)
	}
	return s
}

// TestDecide_RefusesKeysItCannotBuild: an id that would be read as one of
// the state hash's own fields, or an enterprise code that would break the
// hash tag, is refused before Redis is asked.
func TestDecide_RefusesKeysItCannotBuild(t *testing.T) {
	c := New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"}), nil)
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-20 09:00")
	for _, p := range []coord.Plan{
		{InspectionID: "#v", AgencyID: "AG-1", USCC: "91510100MA00000001"},
		{InspectionID: "", AgencyID: "AG-1", USCC: "91510100MA00000001"},
		{InspectionID: "INS-1", AgencyID: "AG-1", USCC: "9151{0100}MA000001"},
		{InspectionID: "INS-1", AgencyID: "AG-1", USCC: ""},
	} {
		p.Start, p.End = now, now.Add(time.Hour)
		if _, err := c.Decide(ctx, p, pol, now); err == nil || errors.Is(err, coord.ErrUnavailable) {
			t.Errorf("decide %q of %q: %v, want a refusal", p.InspectionID, p.USCC, err)
		}
		if _, err := c.Withdraw(ctx, p, 0, now); err == nil || errors.Is(err, coord.ErrUnavailable) {
			t.Errorf("withdraw %q of %q: %v, want a refusal", p.InspectionID, p.USCC, err)
		}
	}
}

// TestUnavailable_WhenRedisHangs: a Redis that accepts connections but never
// answers is unavailable after the client's read timeout; the caller's own
// deadline, when it comes first, is reported as the caller's.
func TestUnavailable_WhenRedisHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				_ = c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	if _, err := Dial(l.Addr().String(), nil); !errors.Is(err, coord.ErrUnavailable) {
		t.Fatalf("Dial of a silent Redis: %v, want coord.ErrUnavailable", err)
	}

	client := goredis.NewClient(&goredis.Options{Addr: l.Addr().String(), ReadTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer client.Close()
	c := New(client, nil)
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-20 09:00")
	p := coord.Plan{InspectionID: "INS-H-1", AgencyID: "AG-1", USCC: freshUSCC(), Start: now, End: now.Add(time.Hour)}
	_, err = c.Decide(ctx, p, pol, now)
	if !errors.Is(err, coord.ErrUnavailable) {
		t.Fatalf("decide on a silent Redis: %v, want coord.ErrUnavailable", err)
	}
	t.Log(err)

	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	_, err = c.Decide(short, p, pol, now)
	if errors.Is(err, coord.ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("decide past the caller's deadline: %v, want the caller's context.DeadlineExceeded", err)
	}
}

// TestPausedRedis_NoReservationWithoutAStoredPlan: Redis is stopped
// (SIGSTOP) longer than the client's timeout while officers register. The
// registrations fail with coord.ErrUnavailable and their releases fail too;
// when Redis continues, the decision scripts already sent still run and
// leave reservations for plans the store never got. The retries (same
// inspection ids, as a retried request derives) are accepted, and once the
// confirm-by time has passed, no reservation remains that the store does not
// hold.
func TestPausedRedis_NoReservationWithoutAStoredPlan(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(1)}
	now := at("2026-11-20 09:00")
	hold := time.Minute
	// register is what the service does: decide (pending), write the store,
	// confirm; release if the decision failed.
	register := func(p coord.Plan) (coord.Decision, error) {
		p.ConfirmBy = now.Add(hold)
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil {
			_, _ = c.Release(ctx, p, 0, now) // fails too while Redis is stopped
			return d, err
		}
		if d.Outcome == coord.Accepted || d.Outcome == coord.Joined {
			rec.Apply(p, d)
			if err := c.Confirm(ctx, p, now); err != nil {
				return d, err
			}
		}
		return d, nil
	}
	plan := func(i int) coord.Plan {
		start := at("2026-11-23 09:00").Add(time.Duration(i%3) * 24 * time.Hour)
		return coord.Plan{InspectionID: fmt.Sprintf("INS-P-%02d", i), AgencyID: fmt.Sprintf("AG-%d", i), USCC: uscc, Start: start, End: start.Add(2 * time.Hour), Grade: "B"}
	}
	if _, err := register(plan(0)); err != nil {
		t.Fatal(err)
	}

	srv.Pause()
	const n = 8
	errs := make([]error, n)
	done := make(chan int)
	for i := 1; i <= n; i++ {
		go func(i int) {
			_, errs[i-1] = register(plan(i))
			done <- i
		}(i)
	}
	for range n {
		<-done
	}
	time.Sleep(500 * time.Millisecond) // longer than the client's timeout already; and then some
	srv.Resume()
	for i, err := range errs {
		if !errors.Is(err, coord.ErrUnavailable) {
			t.Fatalf("registration %d while Redis was stopped: %v, want coord.ErrUnavailable", i+1, err)
		}
	}

	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	k, _ := keysOf(uscc)
	held := func() map[string]storedPlan {
		raw, err := rdb.HGetAll(ctx, k.state()).Result()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]storedPlan{}
		for f, v := range raw {
			if strings.HasPrefix(f, "#") {
				continue
			}
			var sp struct {
				storedPlan
				ConfirmBy int64 `json:"cb"`
			}
			if err := json.Unmarshal([]byte(v), &sp); err != nil {
				t.Fatal(err)
			}
			out[f] = sp.storedPlan
		}
		return out
	}
	phantoms := func() []string {
		seed, _ := rec.Seed(ctx, uscc, false)
		stored := map[string]bool{}
		for _, p := range seed.Plans {
			stored[p.InspectionID] = true
		}
		var out []string
		for id := range held() {
			if !stored[id] {
				out = append(out, id)
			}
		}
		sort.Strings(out)
		return out
	}
	// The scripts sent before the stop ran after it: reservations without a
	// plan in the store (if none ran, this test proves nothing).
	before := phantoms()
	if len(before) == 0 {
		t.Fatalf("no decision ran after Redis continued: the stop did not fall during the registrations")
	}
	t.Logf("reservations without a stored plan after SIGCONT: %v", before)

	// Retries of half of them, with the same ids: accepted.
	for i := 1; i <= n/2; i++ {
		d, err := register(plan(i))
		if err != nil || (d.Outcome != coord.Accepted && d.Outcome != coord.Joined) {
			t.Fatalf("retry of registration %d: %+v %v", i, d, err)
		}
	}
	// The others were given up. Past their confirm-by time, the next
	// decision checks them against the store and drops them.
	now = now.Add(hold + time.Second)
	d, err := register(coord.Plan{InspectionID: "INS-P-99", AgencyID: "AG-99", USCC: uscc, Start: at("2026-11-30 09:00"), End: at("2026-11-30 10:00"), Grade: "B"})
	if err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("a later registration: %+v %v", d, err)
	}
	if left := phantoms(); len(left) != 0 {
		t.Fatalf("reservations without a stored plan remain: %v", left)
	}
	// And the abandoned agencies' quota is free again.
	for i := n/2 + 1; i <= n; i++ {
		p := plan(i)
		p.InspectionID += "-again"
		if d, err := register(p); err != nil || d.Outcome == coord.Capped {
			t.Fatalf("agency %s registering again: %+v %v", p.AgencyID, d, err)
		}
	}
}

// TestOlderLayout_IsSeededAgain: a state an older version wrote (#seeded
// "1", plans by the transitive rule) is not trusted: the enterprise is seeded
// from the store, where the rule is applied.
func TestOlderLayout_IsSeededAgain(t *testing.T) {
	srv := redistest.Start(t)
	rdb := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	k, _ := keysOf(uscc)
	now := at("2026-11-20 09:00")
	old := `{"a":"AG-1","s":` + fmt.Sprint(at("2026-11-23 09:00").UnixMilli()) + `,"e":` + fmt.Sprint(at("2026-11-23 11:00").UnixMilli()) + `,"x":false,"j":"","nv":true,"o":1}`
	if err := rdb.HSet(ctx, k.state(), "#seeded", "1", "#v", "1", "#o", "1", "INS-OLD-1", old).Err(); err != nil {
		t.Fatal(err)
	}
	// The store does not hold INS-OLD-1: after the reseed AG-1 has no open
	// plan to be a duplicate of.
	p := coord.Plan{InspectionID: "INS-NEW-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 10:00"), End: at("2026-11-23 12:00"), Grade: "B"}
	d, err := c.Decide(ctx, p, coord.Policy{Zone: coordtest.Beijing}, now)
	if err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("decision on an older layout: %+v %v, want a reseed and acceptance", d, err)
	}
	if got, _ := rdb.HGet(ctx, k.state(), "#seeded").Result(); !strings.HasPrefix(got, "4:") {
		t.Fatalf("#seeded = %q after the reseed", got)
	}
}

// TestJointRule_ScriptMatchesState plays the cases of the joint rule, step
// by step, through Redis and through coord.State, and wants every decision
// equal: the chain A–B–C, a plan overlapping a member but not the common
// time, the minimum common time, cancelling the bridge, a rollback next to
// another pending plan, a cancellation after the window, before and after a
// restart (the state lost, reseeded from the record), and a visit left under
// the minimum by a cancellation, which the reseed keeps as it was.
func TestJointRule_ScriptMatchesState(t *testing.T) {
	srv := redistest.Start(t)
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(1), WarnVisitsPerDay: ptr(1), WarnVisitsPerWeek: ptr(2)}
	const (
		acc    = coord.Accepted
		jnd    = coord.Joined
		capped = coord.Capped
	)
	type op struct {
		what             string // decide, pending, withdraw, release, confirm, at, restart
		agency, from, to string
		ref              int           // the step whose plan to withdraw, release or confirm
		when             string        // for "at"
		want             coord.Outcome // 0: not checked
	}
	steps := []op{
		{what: "decide", agency: "AG-1", from: "2026-11-23 10:00", to: "2026-11-23 12:00", want: acc}, // 0 A
		{what: "decide", agency: "AG-3", from: "2026-11-23 12:30", to: "2026-11-23 14:00", want: acc}, // 1 C: a second visit
		{what: "decide", agency: "AG-2", from: "2026-11-23 11:00", to: "2026-11-23 13:00", want: jnd}, // 2 B: joins A only
		{what: "decide", agency: "AG-4", from: "2026-11-23 11:40", to: "2026-11-23 12:25", want: acc}, // 3 20 min of A–B's common time: own visit
		{what: "decide", agency: "AG-5", from: "2026-11-23 11:30", to: "2026-11-23 12:00", want: jnd}, // 4 30 min: joins A–B
		{what: "withdraw", ref: 2}, // 5 the "bridge" B
		{what: "withdraw", ref: 0}, // 6 the holder A: AG-5's plan holds the visit
		{what: "pending", agency: "AG-6", from: "2026-11-24 09:00", to: "2026-11-24 11:00", want: acc}, // 7
		{what: "pending", agency: "AG-7", from: "2026-11-24 09:30", to: "2026-11-24 11:00", want: jnd}, // 8 joins 7
		{what: "confirm", ref: 8},            // 9
		{what: "release", ref: 7, want: acc}, // 10 7's write failed: 8 alone, holds the visit
		{what: "decide", agency: "AG-1", from: "2026-11-25 09:00", to: "2026-11-25 10:00", want: acc},    // 11 AG-1's one this year (A withdrawn)
		{what: "decide", agency: "AG-1", from: "2026-11-26 09:00", to: "2026-11-26 10:00", want: capped}, // 12 a second: capped
		{what: "at", when: "2026-11-25 12:00"},                                                           // 13 step 11's window is over
		{what: "withdraw", ref: 11},                                                                      // 14 cancelled after its window, never visited
		{what: "decide", agency: "AG-1", from: "2026-11-26 09:00", to: "2026-11-26 10:00", want: acc},    // 15 accepted now
		{what: "restart"}, // 16
		{what: "decide", agency: "AG-1", from: "2026-11-27 09:00", to: "2026-11-27 10:00", want: capped}, // 17 capped, as without the restart
		{what: "decide", agency: "AG-8", from: "2026-11-26 09:15", to: "2026-11-26 10:00", want: jnd},    // 18 joins 15's visit
		{what: "decide", agency: "AG-9", from: "2026-11-28 10:00", to: "2026-11-28 10:20", want: acc},    // 19 a short window
		{what: "decide", agency: "AG-10", from: "2026-11-28 10:00", to: "2026-11-28 13:00", want: jnd},   // 20 joins it: all of 19 is common time
		{what: "decide", agency: "AG-11", from: "2026-11-28 09:40", to: "2026-11-28 10:20", want: jnd},   // 21 joins: all of the common time
		{what: "withdraw", ref: 19}, // 22 20 and 21 share 20 minutes, under the minimum, and stay one visit
		{what: "restart"},           // 23 and the reseed keeps them so
		{what: "decide", agency: "AG-12", from: "2026-11-28 12:00", to: "2026-11-28 13:00", want: acc}, // 24 misses their common time: a visit of its own
	}
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			rec := coordtest.NewRecord()
			c := dial(t, srv, rec.Seed)
			uscc := freshUSCC()
			now := at("2026-11-20 09:00")
			ref := coord.NewState(coord.Seed{}, pol, now)
			plans := make([]coord.Plan, len(steps))
			for i, s := range steps {
				var want, got coord.Decision
				var err error
				switch s.what {
				case "decide", "pending":
					p := coord.Plan{InspectionID: fmt.Sprintf("INS-J-%02d", i), AgencyID: s.agency, USCC: uscc, Start: at(s.from), End: at(s.to), Grade: "B"}
					if s.what == "pending" {
						p.ConfirmBy = now.Add(time.Hour)
					}
					plans[i] = p
					want = ref.Decide(p, pol, now)
					got, err = c.Decide(ctx, p, pol, now)
					if err == nil && s.what == "decide" {
						rec.Apply(p, got)
					}
				case "confirm":
					p := plans[s.ref]
					rec.Apply(p, coord.Decision{Outcome: coord.Joined, Members: []string{p.InspectionID}})
					ref.Confirm(p.InspectionID)
					err = c.Confirm(ctx, p, now)
				case "release":
					want = ref.Release(plans[s.ref].InspectionID, plans[s.ref].ConfirmBy, now)
					got, err = c.Release(ctx, plans[s.ref], 0, now)
					rec.Apply(plans[s.ref], got)
				case "withdraw":
					want = ref.Withdraw(plans[s.ref].InspectionID, now)
					got, err = c.Withdraw(ctx, plans[s.ref], 0, now)
					rec.Withdraw(plans[s.ref], got)
				case "at":
					now = at(s.when)
				case "restart":
					if !restart {
						continue
					}
					if err := c.Forget(ctx, uscc); err != nil {
						t.Fatal(err)
					}
					seed, _ := rec.Seed(ctx, uscc, false)
					ref = coord.NewState(seed, pol, now)
				}
				if err != nil {
					t.Fatalf("step %d (%s): %v", i, s.what, err)
				}
				if !reflect.DeepEqual(ruled(got), ruled(want)) {
					t.Errorf("step %d (%s):\n got %s\nwant %s", i, s.what, show(got), show(want))
				}
				if s.want != 0 && got.Outcome != s.want {
					t.Errorf("step %d (%s): %s, want %s", i, s.what, got.Outcome, s.want)
				}
			}
		})
	}
}

// TestFence_SeedOfASeededEnterprise_ReplacesAnOlderState: two replicas find
// an enterprise's state missing and both seed it, each raising the store's
// fence. The second seed finds the first's state written, on an older fence:
// it replaces it (it was read later, and holds every plan committed), or
// every registration decided on that state would fail the store's check of
// the fence until the service forgets it.
func TestFence_SeedOfASeededEnterprise_ReplacesAnOlderState(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-23 08:00")
	p := coord.Plan{InspectionID: "INS-F-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-24 09:00"), End: at("2026-11-24 10:00"), Grade: "B"}
	d, err := c.Decide(ctx, p, pol, now)
	if err != nil {
		t.Fatal(err)
	}
	rec.Apply(p, d)
	k, err := keysOf(uscc)
	if err != nil {
		t.Fatal(err)
	}
	// The second replica's seed, which found the state missing before the
	// first wrote it.
	if err := c.seedFromStore(ctx, k, uscc, pol, now); err != nil {
		t.Fatal(err)
	}
	stored, _ := rec.Seed(ctx, uscc, false)
	q := coord.Plan{InspectionID: "INS-F-2", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-25 09:00"), End: at("2026-11-25 10:00"), Grade: "B"}
	d2, err := c.Decide(ctx, q, pol, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.Fence != 1 || stored.Fence != 2 || d2.Fence != stored.Fence {
		t.Fatalf("fences: first decision %d, the store's after the second seed %d, the next decision %d; want 1, 2, 2", d.Fence, stored.Fence, d2.Fence)
	}
}

// TestFence_ReplicasSeedingAtOnce_RaiseOnce: eight replicas find an
// enterprise unseeded at once. Each raise of the fence fences every
// registration decided before it, so one replica seeds (the raise lock)
// and the others decide on its state: the store's fence is raised once.
func TestFence_ReplicasSeedingAtOnce_RaiseOnce(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-23 08:00")
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 16 {
		c := dial(t, srv, func(ctx context.Context, u string, fence bool) (coord.Seed, error) {
			time.Sleep(20 * time.Millisecond) // a store read takes a while
			return rec.Seed(ctx, u, fence)
		})
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := at("2026-11-24 09:00").Add(time.Duration(i) * 24 * time.Hour)
			p := coord.Plan{InspectionID: fmt.Sprintf("INS-O-%02d", i), AgencyID: "AG-1", USCC: uscc, Start: start, End: start.Add(time.Hour), Grade: "B"}
			_, err := c.Decide(ctx, p, pol, now)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if s, _ := rec.Seed(ctx, uscc, false); s.Fence != 1 {
		t.Fatalf("the store's fence after sixteen decisions at once: %d, want 1 (one seed)", s.Fence)
	}
}

// TestFence_RaiseLock_AnotherHoldersLockStays: a raise slower than the
// lock's life lets another replica take the lock; the slow one, done,
// must not delete the other's.
func TestFence_RaiseLock_AnotherHoldersLockStays(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	uscc := freshUSCC()
	k, err := keysOf(uscc)
	if err != nil {
		t.Fatal(err)
	}
	other := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { other.Close() })
	c := dial(t, srv, func(ctx context.Context, u string, fence bool) (coord.Seed, error) {
		// The lock expired meanwhile, and another replica took it.
		if err := other.Set(ctx, k.raising(), "another", time.Minute).Err(); err != nil {
			return coord.Seed{}, err
		}
		return rec.Seed(ctx, u, fence)
	})
	p := coord.Plan{InspectionID: "INS-L-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-24 09:00"), End: at("2026-11-24 10:00"), Grade: "B"}
	if _, err := c.Decide(ctx, p, coord.Policy{Zone: coordtest.Beijing}, at("2026-11-23 08:00")); err != nil {
		t.Fatal(err)
	}
	if got, err := other.Get(ctx, k.raising()).Result(); err != nil || got != "another" {
		t.Fatalf("the other replica's lock: %q %v, want it kept", got, err)
	}
}

// TestRestartFromASnapshot_SeedsAgain: a Redis that comes back with an
// older copy of its data (the default configuration's RDB snapshot after a
// crash, a replica promoted before it had the last writes) holds states
// that lack the plans decided since. They are not the record: the next
// decision seeds the enterprise from the store again, as after a restart
// empty, and the plan decided after the snapshot still counts.
func TestRestartFromASnapshot_SeedsAgain(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-20 09:00")
	a := coord.Plan{InspectionID: "INS-R-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 09:00"), End: at("2026-11-23 10:00")}
	b := coord.Plan{InspectionID: "INS-R-2", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-24 09:00"), End: at("2026-11-24 12:00")}
	again := coord.Plan{InspectionID: "INS-R-3", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-24 10:00"), End: at("2026-11-24 11:00")}
	for _, p := range []coord.Plan{a, b} {
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil || d.Outcome != coord.Accepted {
			t.Fatalf("%s: %+v %v", p.InspectionID, d, err)
		}
		rec.Apply(p, d)
		if p == a {
			srv.Save() // the snapshot holds a, not b
		}
	}

	srv.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for {
		d, err := c.Decide(ctx, again, pol, now)
		if errors.Is(err, coord.ErrUnavailable) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if err != nil {
			t.Fatalf("decide after the restart: %v", err)
		}
		if d.Outcome != coord.Duplicate || d.Existing != b.InspectionID {
			t.Fatalf("AG-2's second plan for the day of INS-R-2, after Redis came back from a snapshot without it: %+v, want a duplicate of INS-R-2", d)
		}
		return
	}
}

// eventLog is a store's event log as FollowStore reads it: the hashes of
// its events, in order, and the head a replica reads (heads, if set, one
// per read, then the log's own).
type eventLog struct {
	hashes [][]byte
	heads  []uint64
}

func (l *eventLog) Head(context.Context) (uint64, []byte, error) {
	n := uint64(len(l.hashes))
	if len(l.heads) > 0 {
		n, l.heads = l.heads[0], l.heads[1:]
	}
	if n == 0 {
		return 0, nil, nil
	}
	return n, l.hashes[n-1], nil
}

func (l *eventLog) HashAt(_ context.Context, seq uint64) ([]byte, error) {
	if seq == 0 || seq > uint64(len(l.hashes)) {
		return nil, nil
	}
	return l.hashes[seq-1], nil
}

// history is a log of n events whose hashes start with tag.
func history(tag string, n int) *eventLog {
	l := &eventLog{}
	for i := range n {
		l.hashes = append(l.hashes, []byte(fmt.Sprintf("%s-%d", tag, i+1)))
	}
	return l
}

// divergent is l's first n events, then m of its own, tagged tag: the same
// store's log after another backup was restored and went on.
func divergent(l *eventLog, n int, tag string, m int) *eventLog {
	out := &eventLog{hashes: append([][]byte(nil), l.hashes[:n]...)}
	out.hashes = append(out.hashes, history(tag, m).hashes...)
	return out
}

// TestFollowStore_AnotherLog_DropsStates: a store restored from a backup
// holds another log than the one replicas read before, shorter or, after
// the wrong backup served for a while and the right one came back, longer
// and different; the states in Redis count plans it no longer holds.
// FollowStore drops them, and the next decision is seeded from the store
// as it is. A replica whose read was merely older than another's report
// drops nothing: the store, read again, has caught up.
func TestFollowStore_AnotherLog_DropsStates(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-20 09:00")
	a := coord.Plan{InspectionID: "INS-F-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 09:00"), End: at("2026-11-23 10:00")}
	b := coord.Plan{InspectionID: "INS-F-2", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-24 09:00"), End: at("2026-11-24 12:00")}
	again := coord.Plan{InspectionID: "INS-F-3", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-24 10:00"), End: at("2026-11-24 11:00")}
	decideB := func() {
		t.Helper()
		for _, p := range []coord.Plan{a, b} {
			d, err := c.Decide(ctx, p, pol, now)
			if err != nil || (d.Outcome != coord.Accepted && d.Outcome != coord.Duplicate) {
				t.Fatalf("%s: %+v %v", p.InspectionID, d, err)
			}
			if p == a && d.Outcome == coord.Accepted {
				rec.Apply(p, d) // the restored store holds a; b came after its backup
			}
		}
	}
	follow := func(what string, log *eventLog, wantDrop bool) {
		t.Helper()
		n, err := c.FollowStore(ctx, log)
		if err != nil || (n > 0) != wantDrop {
			t.Fatalf("%s: dropped %d keys, %v; want a drop %v", what, n, err, wantDrop)
		}
	}
	wantOutcome := func(what string, o coord.Outcome) {
		t.Helper()
		d, err := c.Decide(ctx, again, pol, now)
		if err != nil || d.Outcome != o {
			t.Fatalf("%s: %+v %v, want %v", what, d, err, o)
		}
		if o == coord.Accepted { // undo, for the next round
			if _, err := c.Withdraw(ctx, again, 0, now); err != nil {
				t.Fatal(err)
			}
		}
	}

	decideB()
	live := history("x", 40)
	follow("first report", live, false)
	stale := history("x", 41)
	stale.heads = []uint64{35} // read before another replica reported 40
	follow("a stale read", stale, false)
	wantOutcome("before any restore", coord.Duplicate)

	// Restored: the log ends at 30 now.
	follow("a store behind Redis", history("x", 30), true)
	wantOutcome("after the restore", coord.Accepted)
	follow("the restored log going on", history("x", 31), false)

	// The wrong backup served, then the right one: longer, and another log.
	decideB()
	follow("the log as before", history("x", 31), false)
	follow("another log, longer", divergent(history("x", 31), 20, "y", 40), true)
	wantOutcome("after the second restore", coord.Accepted)
	follow("the second restored log going on", divergent(history("x", 31), 20, "y", 41), false)
}

// TestFollowStore_AnotherStore_Refused: two stores given one Redis (two
// deployments, or a test's, configured alike). Each one's log would look
// like a restore of the other's, and every report would drop the other's
// states. The store that reported first keeps the Redis; the other is told
// coord.ErrAnotherStore and moves nothing, however far its log reaches.
func TestFollowStore_AnotherStore_Refused(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-20 09:00")
	a := coord.Plan{InspectionID: "INS-S-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 09:00"), End: at("2026-11-23 10:00")}
	again := coord.Plan{InspectionID: "INS-S-2", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 09:30"), End: at("2026-11-23 11:00")}
	if d, err := c.Decide(ctx, a, pol, now); err != nil || d.Outcome != coord.Accepted {
		t.Fatalf("decide: %+v %v", d, err)
	}
	if n, err := c.FollowStore(ctx, history("ours", 10)); err != nil || n != 0 {
		t.Fatalf("first report: %d %v", n, err)
	}
	for _, other := range []*eventLog{history("theirs", 5), history("theirs", 500)} {
		n, err := c.FollowStore(ctx, other)
		if !errors.Is(err, coord.ErrAnotherStore) || n != 0 {
			t.Fatalf("another store's log of %d events: dropped %d, %v; want coord.ErrAnotherStore and nothing dropped", len(other.hashes), n, err)
		}
	}
	// Ours goes on as if the other had never reported.
	if n, err := c.FollowStore(ctx, history("ours", 11)); err != nil || n != 0 {
		t.Fatalf("our next report: dropped %d, %v", n, err)
	}
	if d, err := c.Decide(ctx, again, pol, now); err != nil || d.Outcome != coord.Duplicate {
		t.Fatalf("a duplicate of INS-S-1 after the other store's reports: %+v %v", d, err)
	}
	// A restore of ours is still a restore.
	if n, err := c.FollowStore(ctx, history("ours", 3)); err != nil || n == 0 {
		t.Fatalf("our store restored: dropped %d, %v; want a drop", n, err)
	}
}

// TestFollowStore_EmptyOtherStore_TakesNothing: a store with no event yet
// names no log. Taken for a restore of the store that reported first, it
// dropped that store's states and reset the position, and its next report
// took the Redis: the first store was then refused (a review, 2026-12-05;
// on PostgreSQL a new store's first events are sequenced after the server
// reports).
func TestFollowStore_EmptyOtherStore_TakesNothing(t *testing.T) {
	srv := redistest.Start(t)
	c := dial(t, srv, coordtest.NewRecord().Seed)
	if _, err := c.FollowStore(ctx, history("ours", 10)); err != nil {
		t.Fatal(err)
	}
	if n, err := c.FollowStore(ctx, &eventLog{}); err != nil || n != 0 {
		t.Fatalf("an empty log: dropped %d, %v; want nothing", n, err)
	}
	if _, err := c.FollowStore(ctx, history("theirs", 1)); !errors.Is(err, coord.ErrAnotherStore) {
		t.Errorf("the other store's first event: %v, want coord.ErrAnotherStore", err)
	}
	if _, err := c.FollowStore(ctx, history("ours", 11)); err != nil {
		t.Errorf("the store that reported first is refused: %v", err)
	}
}

// TestFollowStore_PositionWithoutFirstEvent_Adopted: a position written
// before it named its log ("<seq>:<hash>") is read, and the next report
// that raises it names the log.
func TestFollowStore_PositionWithoutFirstEvent_Adopted(t *testing.T) {
	srv := redistest.Start(t)
	c := dial(t, srv, coordtest.NewRecord().Seed)
	raw := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	defer raw.Close()
	log := history("ours", 12)
	if err := raw.Set(ctx, "ruqi:store-position", "10:"+hex.EncodeToString(log.hashes[9]), 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.FollowStore(ctx, log); err != nil || n != 0 {
		t.Fatalf("report over a two-part position of the same log: dropped %d, %v", n, err)
	}
	if _, err := c.FollowStore(ctx, history("theirs", 20)); !errors.Is(err, coord.ErrAnotherStore) {
		t.Fatalf("another store after the position named its log: %v, want coord.ErrAnotherStore", err)
	}
}

// TestFailoverAndFailback_SeedsAgain: the master fails over to a replica
// that lacks its last plan, rejoins as that replica's replica (taking its
// copy), and is promoted again: the same process, the same run id, and
// states without the plan. They count as not seeded: the replication id
// changed with each promotion (a review, 2026-12-05, found the plan's
// duplicate accepted).
func TestFailoverAndFailback_SeedsAgain(t *testing.T) {
	m, r := redistest.Start(t), redistest.Start(t)
	mc := goredis.NewClient(&goredis.Options{Addr: m.Addr()})
	rcl := goredis.NewClient(&goredis.Options{Addr: r.Addr()})
	defer mc.Close()
	defer rcl.Close()
	host, port, _ := strings.Cut(m.Addr(), ":")
	if err := rcl.ReplicaOf(ctx, host, port).Err(); err != nil {
		t.Fatal(err)
	}
	waitLink(t, rcl)

	rec := coordtest.NewRecord()
	c := dial(t, m, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing}
	now := at("2026-11-20 09:00")
	a := coord.Plan{InspectionID: "INS-FB-1", AgencyID: "AG-1", USCC: uscc, Start: at("2026-11-23 09:00"), End: at("2026-11-23 10:00")}
	b := coord.Plan{InspectionID: "INS-FB-2", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-24 09:00"), End: at("2026-11-24 12:00")}
	again := coord.Plan{InspectionID: "INS-FB-3", AgencyID: "AG-2", USCC: uscc, Start: at("2026-11-24 10:00"), End: at("2026-11-24 11:00")}

	decide := func(p coord.Plan) {
		t.Helper()
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil || d.Outcome != coord.Accepted {
			t.Fatalf("%s: %+v %v", p.InspectionID, d, err)
		}
		rec.Apply(p, d)
	}
	decide(a)
	if n, err := mc.Wait(ctx, 1, 5*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT: %d %v", n, err)
	}
	// The partition: R is promoted, and does not get P2.
	if err := rcl.ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	decide(b) // on M, written in the store
	// M rejoins as R's replica: its data is R's now (P1 only, marked with M's run id).
	rhost, rport, _ := strings.Cut(r.Addr(), ":")
	if err := mc.ReplicaOf(ctx, rhost, rport).Err(); err != nil {
		t.Fatal(err)
	}
	waitLink(t, mc)
	// The failback.
	if err := mc.ReplicaOf(ctx, "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	var d coord.Decision
	var err error
	for range 100 {
		d, err = c.Decide(ctx, again, pol, now)
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != coord.Duplicate || d.Existing != b.InspectionID {
		t.Fatalf("AG-2's second plan for the day of INS-FB-2 after a failover and failback: %+v; want a duplicate of INS-FB-2, which the store holds", d)
	}
}

func waitLink(t *testing.T, c *goredis.Client) {
	t.Helper()
	for range 200 {
		info, _ := c.Info(ctx, "replication").Result()
		if strings.Contains(info, "master_link_status:up") {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("replication link never up")
}

// TestCounterKeyLost_SeedsAgain: Redis drops one counter key of an
// enterprise whose state hash stays, as an eviction does (maxmemory with a
// volatile-* or allkeys-* policy, the default of managed Redis services:
// every counter key has an expiry); the state is seeded again from the
// store, and the agency's third plan of the year is still capped. Before,
// the missing key read as a count of 0 and the plan was accepted (an
// operator's trial, 2026-12-07: two registrations over the cap).
func TestCounterKeyLost_SeedsAgain(t *testing.T) {
	srv := redistest.Start(t)
	rec := coordtest.NewRecord()
	c := dial(t, srv, rec.Seed)
	uscc := freshUSCC()
	pol := coord.Policy{Zone: coordtest.Beijing, AgencyPerYear: ptr(2)}
	// Next year's, on Redis's clock too: a counter whose period Redis's
	// clock has passed may be collected and is not asked for.
	year := strconv.Itoa(time.Now().Year() + 1)
	now := at(year + "-01-10 09:00")
	for i, day := range []string{year + "-01-12", year + "-01-13"} {
		p := coord.Plan{InspectionID: fmt.Sprintf("INS-E-%d", i), AgencyID: "AG-1", USCC: uscc, Start: at(day + " 09:00"), End: at(day + " 10:00"), Grade: "B"}
		d, err := c.Decide(ctx, p, pol, now)
		if err != nil || d.Outcome != coord.Accepted {
			t.Fatalf("%s: %+v %v", p.InspectionID, d, err)
		}
		rec.Apply(p, d)
	}

	client := goredis.NewClient(&goredis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = client.Close() })
	key := "ruqi:{" + uscc + "}:c:a:AG-1:y:" + year
	if n, err := client.Unlink(ctx, key).Result(); err != nil || n != 1 {
		t.Fatalf("unlink %s: %d %v", key, n, err)
	}

	third := coord.Plan{InspectionID: "INS-E-2", AgencyID: "AG-1", USCC: uscc, Start: at(year + "-01-15 09:00"), End: at(year + "-01-15 10:00"), Grade: "B"}
	d, err := c.Decide(ctx, third, pol, now)
	if err != nil {
		t.Fatal(err)
	}
	if d.Outcome != coord.Capped {
		t.Fatalf("AG-1's third plan of the year after its counter key was evicted: %v, want capped", d.Outcome)
	}
}
