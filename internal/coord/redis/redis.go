package redis

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/redisconn"
)

var (
	//go:embed lib.lua
	libLua string
	//go:embed decide.lua
	decideLua string
	//go:embed withdraw.lua
	withdrawLua string
	//go:embed seed.lua
	seedLua string
	//go:embed forget.lua
	forgetLua string
	//go:embed close.lua
	closeLua string
	//go:embed settle.lua
	settleLua string

	// Each script is the shared library followed by its own body: one
	// self-contained EVAL, run by EVALSHA with EVAL as the fallback when
	// Redis does not know it (after a restart or SCRIPT FLUSH).
	decideScript   = goredis.NewScript(libLua + "\n" + decideLua)
	withdrawScript = goredis.NewScript(libLua + "\n" + withdrawLua)
	seedScript     = goredis.NewScript(libLua + "\n" + seedLua)
	forgetScript   = goredis.NewScript(libLua + "\n" + forgetLua)
	settleScript   = goredis.NewScript(libLua + "\n" + settleLua)
	closeScript    = goredis.NewScript(libLua + "\n" + closeLua)
)

// Coordinator is a coord.Coordinator over Redis: every decision is one Lua
// script on one enterprise's keys, so replicas sharing the Redis decide as
// one.
type Coordinator struct {
	client goredis.UniversalClient
	seed   coord.Seeder
	owned  bool   // Close closes client: Dial made it
	addr   string // for messages
}

var _ coord.Coordinator = (*Coordinator)(nil)

// New returns a coordinator on client that seeds enterprises with seed. The
// caller keeps the client: Close leaves it open.
func New(client goredis.UniversalClient, seed coord.Seeder) *Coordinator {
	c := &Coordinator{client: client, seed: seed}
	if cl, ok := client.(*goredis.Client); ok {
		c.addr = cl.Options().Addr
	}
	return c
}

// Open makes a client for the Redis at target with short timeouts, so that
// an unreachable Redis fails a registration within about a second instead
// of holding it. It does not connect: a server may start while Redis is
// down (scanning does not need it) and registration works once Redis is
// back.
func Open(target redisconn.Target, seed coord.Seeder) *Coordinator {
	o := target.Options()
	o.DialTimeout = time.Second
	o.DialerRetries = 1
	o.ReadTimeout = 500 * time.Millisecond
	o.WriteTimeout = 500 * time.Millisecond
	o.MaxRetries = 1
	c := New(goredis.NewClient(o), seed)
	c.owned = true
	return c
}

// Ping checks the connection.
func (c *Coordinator) Ping(ctx context.Context) error {
	if err := c.client.Ping(ctx).Err(); err != nil {
		return c.fail(ctx, "ping", err)
	}
	return nil
}

// Dial is Open on addr (as -redis-addr takes it: host:port or a redis://
// URL), then checks the connection once.
func Dial(addr string, seed coord.Seeder) (*Coordinator, error) {
	target, err := redisconn.Parse(addr, "")
	if err != nil {
		return nil, err
	}
	c := Open(target, seed)
	client := c.client
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, c.fail(context.Background(), "ping", err)
	}
	return c, nil
}

// Close closes the client if Dial made it.
func (c *Coordinator) Close() error {
	if !c.owned {
		return nil
	}
	return c.client.Close()
}

// keys are one enterprise's keys; the hash tag {USCC} puts them in one slot.
type keys struct{ prefix string }

func keysOf(uscc string) (keys, error) {
	if uscc == "" || strings.ContainsAny(uscc, "{}") {
		return keys{}, fmt.Errorf("coord/redis: enterprise code %q cannot name a key", uscc)
	}
	return keys{prefix: "ruqi:{" + uscc + "}:"}, nil
}

// state is the hash of the enterprise's open plans and its version, order
// counter and live counters.
func (k keys) state() string              { return k.prefix + "p" }
func (k keys) raising() string            { return k.prefix + "raising" }
func (k keys) counter(name string) string { return k.prefix + "c:" + name }

// checkID refuses the inspection ids that would be taken for the state
// hash's own fields.
func checkID(id string) error {
	if id == "" || strings.HasPrefix(id, "#") {
		return fmt.Errorf("coord/redis: inspection id %q: want a non-empty id not starting with #", id)
	}
	return nil
}

// Decide decides p under pol at now, seeding the enterprise from the store
// first if Redis holds nothing for it.
func (c *Coordinator) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	k, err := keysOf(p.USCC)
	if err != nil {
		return coord.Decision{}, err
	}
	if err := checkID(p.InspectionID); err != nil {
		return coord.Decision{}, err
	}
	counters := pol.Counters(p, p.Grade)
	ks := make([]string, 0, 1+len(counters))
	ks = append(ks, k.state())
	args := make([]any, 0, 10+7*len(counters))
	confirmBy := int64(0)
	if !p.ConfirmBy.IsZero() {
		confirmBy = p.ConfirmBy.UnixMilli()
	}
	args = append(args, now.UnixMilli(), p.InspectionID, p.AgencyID, p.Start.UnixMilli(), p.End.UnixMilli(), flag(p.Exempt),
		pol.JointMinimum().Milliseconds(), confirmBy, flag(p.NotInspection), flag(p.Late))
	for _, ct := range counters {
		ks = append(ks, k.counter(ct.Key))
		args = append(args, ct.Key, ct.ExpireAt.UnixMilli(), flag(ct.Visit), ct.Cap, ct.Warn, ct.Rule, ct.Period)
	}
	// Seeding, or settling expired pending plans, then deciding again is
	// normally one round each: the state a seed writes lasts at least a day.
	// A bound keeps a pathological case (the state evicted as soon as
	// written) from looping.
	const attempts = 4
	var (
		dropped []coord.Decision
		waited  time.Duration
		token   string // the raise lock's, while this replica holds it
	)
	unlock := func() {
		if token != "" {
			// Only its own: past its life, the lock may be another's.
			unlockScript.Run(context.WithoutCancel(ctx), c.client, []string{k.raising()}, token)
			token = ""
		}
	}
	defer unlock()
	for attempt := 1; ; attempt++ {
		raw, err := decideScript.Run(ctx, c.client, ks, args...).Text()
		if err != nil {
			// Any failure to reach Redis may follow a try that sent the
			// script and lost its answer: go-redis tries again once and
			// reports the last try's error, a refused dial or a full pool
			// after a read that timed out (a review, 2026-12-07). So does
			// the caller's giving up. Taken for unsure, the worst is a
			// release of nothing.
			ferr := c.fail(ctx, "decide", err)
			if errors.Is(ferr, coord.ErrUnavailable) || ctx.Err() != nil {
				ferr = fmt.Errorf("%w (%w)", ferr, coord.ErrOutcomeUnknown)
			}
			return coord.Decision{}, ferr
		}
		w, err := decodeWire(raw)
		if err != nil {
			return coord.Decision{}, err
		}
		if !w.Seed && len(w.Check) == 0 {
			d := w.decision()
			d.Dropped = dropped
			return d, nil
		}
		if attempt == attempts {
			break
		}
		// One replica at a time raises the enterprise's fence: replicas
		// that find it unseeded, or the same pending plans expired, at
		// once would otherwise raise it each, and every raise fences the
		// registrations decided before it. The others wait for its state.
		// The lock taken, the replica decides again before it raises: the
		// holder before it may have seeded since this replica looked (a
		// second raise for one seed, seen once in a clean run's
		// TestFence_ReplicasSeedingAtOnce_RaiseOnce, 2026-12-04).
		if token == "" && waited < raiseLockTTL {
			mine := lockToken()
			took, err := c.client.SetNX(ctx, k.raising(), mine, raiseLockTTL).Result()
			if err != nil {
				return coord.Decision{}, c.fail(ctx, "lock", err)
			}
			if took {
				token = mine
			} else {
				select {
				case <-ctx.Done():
					return coord.Decision{}, ctx.Err()
				case <-time.After(raisePoll):
				}
				waited += raisePoll
			}
			attempt--
			continue
		}
		released, err := c.raise(ctx, k, p.USCC, w, pol, now)
		unlock()
		if err != nil {
			return coord.Decision{}, err
		}
		dropped = append(dropped, released...)
	}
	return coord.Decision{}, fmt.Errorf("coord/redis: the state of %s vanished again right after seeding it", p.USCC)
}

// unlockScript deletes the raise lock if it still holds this replica's token.
var unlockScript = goredis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)

// lockToken is a random token naming one holder of the raise lock.
func lockToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// raiseLockTTL bounds how long a replica holds the enterprise's raise lock
// (a seed or a check of pending plans: one store transaction and a script),
// and how long the others wait for it before raising anyway; raisePoll is
// how often they look.
const (
	raiseLockTTL = 5 * time.Second
	raisePoll    = 5 * time.Millisecond
)

// raise seeds the enterprise (w.Seed) or checks its expired pending plans
// against the store (w.Check), raising the store's fence either way, and
// answers the releases the check made.
func (c *Coordinator) raise(ctx context.Context, k keys, uscc string, w wire, pol coord.Policy, now time.Time) ([]coord.Decision, error) {
	if w.Seed {
		return nil, c.seedFromStore(ctx, k, uscc, pol, now)
	}
	// Pending plans past their confirm-by time: the store says which were
	// written. The check raises the store's fence: a plan it finds missing
	// can no longer commit under the fence it was decided under, so
	// dropping it is final, however late its write comes.
	seed, err := c.seed(ctx, uscc, true)
	if err != nil {
		return nil, fmt.Errorf("coord/redis: check pending plans of %s against the store: %w", uscc, err)
	}
	stored, missing := coord.SplitStored(seed, w.Check)
	released, stale, err := c.settle(ctx, k, now, seed.Fence, stored, missing, now)
	if err != nil || !stale {
		return released, err
	}
	// Another raise came between the state's fence and this one: the state
	// takes this fence if it holds every stored plan, and is rebuilt from
	// the read just made otherwise (seed.lua; the store's corrections in
	// Seed keep that consistent with its counts). The next decision checks
	// again.
	return nil, c.writeSeed(ctx, k, uscc, seed, pol, now)
}

// seedFromStore builds the enterprise's state from the store's seed with
// coord.NewState, the reference, and writes it unless another replica
// seeded the enterprise meanwhile. The seed raises the store's fence: a
// registration decided under the state that was lost (Redis restarted
// empty, a Forget) and still being written is decided again rather than
// committed uncounted.
func (c *Coordinator) seedFromStore(ctx context.Context, k keys, uscc string, pol coord.Policy, now time.Time) error {
	seed, err := c.seed(ctx, uscc, true)
	if err != nil {
		return fmt.Errorf("coord/redis: seed %s from the store: %w", uscc, err)
	}
	return c.writeSeed(ctx, k, uscc, seed, pol, now)
}

// writeSeed writes the state coord.NewState builds of seed, unless a state
// on the seed's fence or a later one stands (seed.lua).
func (c *Coordinator) writeSeed(ctx context.Context, k keys, uscc string, seed coord.Seed, pol coord.Policy, now time.Time) error {
	st := coord.NewState(seed, pol, now)
	plans := make([]*coord.PlanState, 0, len(st.Plans))
	for _, ps := range st.Plans {
		plans = append(plans, ps)
	}
	sort.Slice(plans, func(i, j int) bool { return plans[i].Order < plans[j].Order })
	names := make([]string, 0, len(st.Counts))
	for name := range st.Counts {
		names = append(names, name)
	}
	sort.Strings(names)

	ks := make([]string, 0, 1+len(names))
	ks = append(ks, k.state())
	// NewState gives every seed plan an order, open or not: the next plan
	// comes after all of them.
	args := make([]any, 0, 4+2*len(plans)+3*len(names))
	args = append(args, st.Version, len(seed.Plans), len(plans), seed.Fence)
	for _, ps := range plans {
		if err := checkID(ps.InspectionID); err != nil {
			return fmt.Errorf("coord/redis: seed %s: %w", uscc, err)
		}
		sp := storedPlan{
			Agency: ps.AgencyID, Start: ps.Start.UnixMilli(), End: ps.End.UnixMilli(), Exempt: ps.Exempt, NotInspection: ps.NotInspection, Closed: ps.Closed,
			Joint: ps.JointID, NewVisit: ps.NewVisit, Order: ps.Order, Charged: ps.Charged, Keep: ps.KeepUntil.UnixMilli(),
		}
		for _, vk := range ps.VisitKeys {
			sp.VisitKeys = append(sp.VisitKeys, []any{vk.Key, vk.ExpireAt.UnixMilli()})
		}
		raw, err := json.Marshal(sp)
		if err != nil {
			return fmt.Errorf("coord/redis: seed %s: %w", uscc, err)
		}
		args = append(args, ps.InspectionID, string(raw))
	}
	for _, name := range names {
		ks = append(ks, k.counter(name))
		args = append(args, name, st.Counts[name].N, st.Counts[name].ExpireAt.UnixMilli())
	}
	if err := seedScript.Run(ctx, c.client, ks, args...).Err(); err != nil {
		return c.fail(ctx, "seed", err)
	}
	return nil
}

// Confirm marks a pending plan as written.
func (c *Coordinator) Confirm(ctx context.Context, p coord.Plan, now time.Time) error {
	_, err := c.settlePlan(ctx, p, 0, now, true)
	return err
}

// ClosePlan marks a plan closed (close.lua).
func (c *Coordinator) ClosePlan(ctx context.Context, p coord.Plan, now time.Time) error {
	k, err := keysOf(p.USCC)
	if err != nil {
		return err
	}
	if err := checkID(p.InspectionID); err != nil {
		return err
	}
	if err := closeScript.Run(ctx, c.client, []string{k.state()}, p.InspectionID).Err(); err != nil {
		return c.fail(ctx, "close", err)
	}
	return nil
}

// Release undoes a pending reservation whose store write failed.
func (c *Coordinator) Release(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	return c.settlePlan(ctx, p, fence, now, false)
}

func (c *Coordinator) settlePlan(ctx context.Context, p coord.Plan, fence int64, now time.Time, written bool) (coord.Decision, error) {
	k, err := keysOf(p.USCC)
	if err != nil {
		return coord.Decision{}, err
	}
	if err := checkID(p.InspectionID); err != nil {
		return coord.Decision{}, err
	}
	ids := []string{p.InspectionID}
	if written {
		_, _, err := c.settle(ctx, k, now, 0, ids, nil, time.Time{})
		return coord.Decision{}, err
	}
	// Negated: a release (settle.lua), which a fence older than the
	// state's makes release nothing (coord.State.ReleaseStale).
	released, stale, err := c.settle(ctx, k, now, -fence, nil, ids, p.ConfirmBy)
	if stale {
		// The state may lack plans another state committed: dropped, it
		// is seeded again (fenced) at the next decision.
		return coord.Decision{}, c.Forget(ctx, p.USCC)
	}
	if err != nil || len(released) == 0 {
		return coord.Decision{}, err
	}
	return released[0], nil
}

// settle confirms the pending plans the store holds and releases the
// others held no later than heldUntil (State.Release; zero for any hold),
// after the state takes the store's fence (0: none raised;
// coord.State.TakeFence), and answers the releases' decisions. stale says
// the state could not take the fence and changed nothing.
func (c *Coordinator) settle(ctx context.Context, k keys, now time.Time, fence int64, stored, missing []string, heldUntil time.Time) (_ []coord.Decision, stale bool, _ error) {
	var held int64
	if !heldUntil.IsZero() {
		held = heldUntil.UnixMilli()
	}
	args := make([]any, 0, 3+len(stored)+2*len(missing))
	args = append(args, now.UnixMilli(), fence, len(stored))
	for _, id := range stored {
		args = append(args, id)
	}
	for _, id := range missing {
		args = append(args, id, held)
	}
	raw, err := settleScript.Run(ctx, c.client, []string{k.state()}, args...).Text()
	if err != nil {
		return nil, false, c.fail(ctx, "settle", err)
	}
	var out struct {
		Noop     bool   `json:"noop"`
		Stale    bool   `json:"stale"`
		Released []wire `json:"r"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		return nil, false, fmt.Errorf("coord/redis: unreadable answer from settle %q: %w", raw, err)
	}
	var ds []coord.Decision
	for _, w := range out.Released {
		ds = append(ds, w.decision())
	}
	return ds, out.Stale, nil
}

// Withdraw removes a plan. An enterprise Redis holds nothing for has nothing
// to undo: its next seed reads the store, where the plan is cancelled.
func (c *Coordinator) Withdraw(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	k, err := keysOf(p.USCC)
	if err != nil {
		return coord.Decision{}, err
	}
	if err := checkID(p.InspectionID); err != nil {
		return coord.Decision{}, err
	}
	raw, err := withdrawScript.Run(ctx, c.client, []string{k.state()}, now.UnixMilli(), p.InspectionID, fence).Text()
	if err != nil {
		return coord.Decision{}, c.fail(ctx, "withdraw", err)
	}
	w, err := decodeWire(raw)
	if err != nil {
		return coord.Decision{}, err
	}
	if w.Noop {
		return coord.Decision{}, nil
	}
	return w.decision(), nil
}

// Forget deletes the enterprise's keys: the state hash and every counter it
// lists (no SCAN).
func (c *Coordinator) Forget(ctx context.Context, uscc string) error {
	k, err := keysOf(uscc)
	if err != nil {
		return err
	}
	if err := forgetScript.Run(ctx, c.client, []string{k.state()}).Err(); err != nil {
		return c.fail(ctx, "forget", err)
	}
	return nil
}

// storedPlan is an open plan in the state hash; lib.lua reads and writes
// the same fields.
type storedPlan struct {
	Agency string `json:"a"`
	Start  int64  `json:"s"` // unix ms
	End    int64  `json:"e"` // unix ms
	Exempt bool   `json:"x"`
	// NotInspection: a visit that is not an inspection, never merged.
	NotInspection bool `json:"ni,omitempty"`
	// Closed: an inspection its agency closed (coord.Plan.Closed).
	Closed   bool     `json:"cd,omitempty"`
	Joint    string   `json:"j"`
	NewVisit bool     `json:"nv"`
	Order    int64    `json:"o"`
	Charged  []string `json:"c,omitempty"` // counter names it added one to
	// VisitKeys are its visit counters as [name, expiry (unix ms)].
	VisitKeys [][]any `json:"vk,omitempty"`
	Keep      int64   `json:"k"` // unix ms: its last counter lapses
}

// wire is a script's answer (lib.lua's describe).
type wire struct {
	Seed      bool          `json:"seed"`
	Check     []string      `json:"check"`
	Noop      bool          `json:"noop"`
	Outcome   coord.Outcome `json:"o"`
	JointID   string        `json:"j"`
	Lead      string        `json:"l"`
	Members   []string      `json:"m"`
	Regrouped []string      `json:"r"`
	NewVisit  bool          `json:"nv"`
	Heir      string        `json:"h"`
	CS        int64         `json:"cs"`
	CE        int64         `json:"ce"`
	Existing  string        `json:"x"`
	Cap       *wireBreach   `json:"cap"`
	Warnings  []wireBreach  `json:"w"`
	Version   int64         `json:"v"`
	Fence     int64         `json:"ep"`
}

type wireBreach struct {
	Rule   string `json:"rule"`
	Limit  int    `json:"limit"`
	Count  int    `json:"count"`
	Period string `json:"period"`
}

func decodeWire(raw string) (wire, error) {
	var w wire
	if err := json.Unmarshal([]byte(raw), &w); err != nil {
		return wire{}, fmt.Errorf("coord/redis: unreadable answer from script %q: %w", raw, err)
	}
	return w, nil
}

func (w wire) decision() coord.Decision {
	d := coord.Decision{
		Outcome: w.Outcome, JointID: w.JointID, LeadAgency: w.Lead,
		Members: w.Members, Regrouped: w.Regrouped, NewVisit: w.NewVisit, Heir: w.Heir, Existing: w.Existing, Version: w.Version,
		Fence: w.Fence,
	}
	if w.CS != 0 || w.CE != 0 {
		d.CommonStart, d.CommonEnd = time.UnixMilli(w.CS), time.UnixMilli(w.CE)
	}
	if w.Cap != nil {
		d.Cap = &coord.Breach{Rule: w.Cap.Rule, Limit: w.Cap.Limit, Count: w.Cap.Count, Period: w.Cap.Period}
	}
	for _, b := range w.Warnings {
		d.Warnings = append(d.Warnings, coord.Breach(b))
	}
	return d
}

func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// fail turns a Redis error into the coordinator's: coord.ErrUnavailable
// when Redis cannot be reached or cannot serve now, the caller's own
// cancellation as it is, anything else (a script bug) as a plain error.
func (c *Coordinator) fail(ctx context.Context, op string, err error) error {
	where := "redis"
	if c.addr != "" {
		where += " at " + c.addr
	}
	if cerr := ctx.Err(); cerr != nil {
		// The caller gave up; go-redis reports it as the i/o timeout the
		// context's deadline caused, so name the cause.
		if errors.Is(err, cerr) {
			return fmt.Errorf("coord/redis: %s: %w", op, err)
		}
		return fmt.Errorf("coord/redis: %s: %w (%w)", op, cerr, err)
	}
	if unreachable(err) {
		return fmt.Errorf("%w: %s: %s: %w", coord.ErrUnavailable, where, op, err)
	}
	return fmt.Errorf("coord/redis: %s: %s: %w", where, op, err)
}

func unreachable(err error) bool {
	var netErr net.Error
	switch {
	case errors.As(err, &netErr),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		// The client's own timeouts (the caller's context is still live).
		errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrPoolExhausted):
		return true
	}
	// Redis answers, but cannot serve writes now: loading its data, a
	// failover under way, a cluster without quorum, a long script; or it
	// refuses the login (its password changed under a running server,
	// which found it right at start): registration is unavailable, not
	// broken, and the logged error says NOAUTH or WRONGPASS.
	return goredis.IsAuthError(err) || goredis.IsLoadingError(err) || goredis.IsReadOnlyError(err) ||
		goredis.IsClusterDownError(err) || goredis.IsTryAgainError(err) ||
		goredis.IsMasterDownError(err) || goredis.IsMaxClientsError(err) ||
		goredis.HasErrorPrefix(err, "BUSY")
}
