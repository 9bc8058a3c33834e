// Package local is the in-process coordinator of the embedded default: one
// lock per enterprise around coord.State.
//
// It holds a bounded working set (issue 14): the coordinator is an index
// derived from the store, so an enterprise it has not used for a while, or
// the least recently used beyond a maximum count, is forgotten and seeded
// again from the store when next needed, as after a restart. An enterprise
// holding a pending decision is never forgotten: its plan is reserved but
// not yet in the store, so a seed would not know it and a second plan could
// take its place.
package local

import (
	"context"
	"sync"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
)

// Bound limits the working set. Zero fields mean no limit.
type Bound struct {
	// MaxEnterprises is how many enterprises are held at most, plus those
	// with a pending decision or a call in progress; the least recently
	// used beyond it are forgotten.
	MaxEnterprises int
	// IdleAfter forgets an enterprise not used for this long.
	IdleAfter time.Duration
	// Clock tells the time for IdleAfter; time.Now when nil. The decision
	// times passed to Decide are the callers' and may be anything.
	Clock func() time.Time
	// SharedStore: other servers may write the store (PostgreSQL), each
	// deciding with a coordinator of its own. Every seed then raises the
	// store's fence, as coord/redis's do, so that a state seeded here is
	// fenced once another coordinator seeds the enterprise (and registers
	// plans this one does not know), and one seeded elsewhere is fenced
	// by this one's seed. Without it a server on the replicas' store
	// started without -redis-addr decided on a state it seeded once and
	// kept, and registered a third plan where two a year are allowed (an
	// operator's trial, 2026-12-06).
	SharedStore bool
}

// Stats describes the working set.
type Stats struct {
	Enterprises int    // held now
	Evictions   uint64 // forgotten by the bound since start
}

// evictSteps bounds the entries one call looks at to evict: each call adds
// one entry at most, so a few steps keep the bound while skipping the
// entries that must stay.
const evictSteps = 8

// Coordinator holds the working set's states, seeded from the store on
// first use.
type Coordinator struct {
	seed  coord.Seeder
	bound Bound

	mu         sync.Mutex
	ents       map[string]*entry
	head, tail *entry // used order: head most recently, tail least
	evictions  uint64
}

// entry is one enterprise. The fields but mu, state and forgotten are
// guarded by Coordinator.mu; those two by entry.mu, which a caller takes only while it
// holds a reference (refs), so that an entry is never dropped from the map
// while a call uses it and two states never exist for one enterprise.
type entry struct {
	uscc  string
	mu    sync.Mutex
	state *coord.State

	refs    int32
	pending bool // the state held a pending decision (or forgotten was set) when last released
	// forgotten: Forget dropped the state, perhaps with writes in flight;
	// the next seed raises the store's fence (coord.Seeder).
	forgotten  bool
	used       int64 // Unix nanoseconds of the last call: 8 bytes, not a time.Time's 24
	prev, next *entry
}

var _ coord.Coordinator = (*Coordinator)(nil)

// New returns a coordinator that seeds enterprises with seed and holds
// every enterprise it has seen.
func New(seed coord.Seeder) *Coordinator {
	return NewBounded(seed, Bound{})
}

// NewBounded returns a coordinator that holds a working set within b.
func NewBounded(seed coord.Seeder, b Bound) *Coordinator {
	if b.Clock == nil {
		b.Clock = time.Now
	}
	return &Coordinator{seed: seed, bound: b, ents: map[string]*entry{}}
}

// Stats reports the working set.
func (c *Coordinator) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Enterprises: len(c.ents), Evictions: c.evictions}
}

// acquire returns the enterprise's entry, locked, with a reference: release
// it with release.
func (c *Coordinator) acquire(uscc string) *entry {
	c.mu.Lock()
	e, ok := c.ents[uscc]
	if !ok {
		e = &entry{uscc: uscc}
		c.ents[uscc] = e
	} else {
		c.unlink(e)
	}
	c.pushFront(e)
	e.refs++
	e.used = c.bound.Clock().UnixNano()
	c.mu.Unlock()
	e.mu.Lock()
	return e
}

// release unlocks the entry, drops the reference and evicts what the bound
// says. c.mu is taken before e.mu is let go (the lock order is e.mu, then
// c.mu; nothing waits for an entry's lock holding c.mu): otherwise another
// caller could decide a pending plan between the two, and this one would
// then mark the entry not pending, and let it be forgotten with the plan.
func (c *Coordinator) release(e *entry) {
	// A forgotten entry stays as well, with its mark, until its next seed
	// raises the fence: forgetting it again would lose the mark.
	pending := e.forgotten || (e.state != nil && e.state.Pending())
	c.mu.Lock()
	e.mu.Unlock()
	defer c.mu.Unlock()
	e.refs--
	e.pending = pending
	c.evict()
}

// evict forgets, from the least recently used, enterprises over the count
// or idle too long. Entries in use or holding a pending decision stay; a
// pending one moves to the front, so that a few never block the others.
// Called with c.mu held: an entry without references is unlocked and no
// caller can reach it but through c.mu.
func (c *Coordinator) evict() {
	now := c.bound.Clock().UnixNano()
	e := c.tail
	for range evictSteps {
		if e == nil {
			return
		}
		over := c.bound.MaxEnterprises > 0 && len(c.ents) > c.bound.MaxEnterprises
		idle := c.bound.IdleAfter > 0 && time.Duration(now-e.used) >= c.bound.IdleAfter
		if !over && !idle {
			return
		}
		prev := e.prev
		switch {
		case e.refs > 0:
		case e.pending:
			c.unlink(e)
			c.pushFront(e)
		default:
			c.unlink(e)
			delete(c.ents, e.uscc)
			c.evictions++
		}
		e = prev
	}
}

func (c *Coordinator) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		c.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		c.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (c *Coordinator) pushFront(e *entry) {
	e.next = c.head
	if c.head != nil {
		c.head.prev = e
	}
	c.head = e
	if c.tail == nil {
		c.tail = e
	}
}

// Decide decides under the enterprise's lock, seeding it first if needed.
func (c *Coordinator) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	e := c.acquire(p.USCC)
	defer c.release(e)
	if e.state == nil {
		seed, err := c.seed(ctx, p.USCC, e.forgotten || c.bound.SharedStore)
		if err != nil {
			return coord.Decision{}, err
		}
		e.state, e.forgotten = coord.NewState(seed, pol, now), false
	}
	var dropped []coord.Decision
	if expired := e.state.Expired(now); len(expired) > 0 {
		// Fenced: a plan found missing may be a write still committing
		// (a stalled disk); the raise makes that commit fail its check
		// instead of landing uncounted.
		seed, err := c.seed(ctx, p.USCC, true)
		if err != nil {
			return coord.Decision{}, err
		}
		if e.state.TakeSeedFence(seed) {
			stored, missing := coord.SplitStored(seed, expired)
			dropped = e.state.Settle(stored, missing, now)
		} else {
			// Another raise came between and the state lacks a stored
			// plan (a store restored, another server on the same store):
			// rebuilt from the read just made.
			e.state = coord.NewState(seed, pol, now)
		}
	}
	d := e.state.Decide(p, pol, now)
	d.Dropped, d.Fence = dropped, e.state.Fence
	return d, nil
}

// Confirm marks a pending plan as written.
func (c *Coordinator) Confirm(ctx context.Context, p coord.Plan, now time.Time) error {
	e := c.acquire(p.USCC)
	defer c.release(e)
	if e.state != nil {
		e.state.Confirm(p.InspectionID)
	}
	return nil
}

// ClosePlan marks a plan closed.
func (c *Coordinator) ClosePlan(ctx context.Context, p coord.Plan, now time.Time) error {
	e := c.acquire(p.USCC)
	defer c.release(e)
	if e.state != nil {
		e.state.Close(p.InspectionID)
	}
	return nil
}

// Release undoes a pending reservation whose store write failed.
func (c *Coordinator) Release(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	e := c.acquire(p.USCC)
	defer c.release(e)
	if e.state == nil || e.state.ReleaseStale(fence) {
		return coord.Decision{}, nil
	}
	if !e.state.TakeFence(fence) {
		// Another raise came between: dropped, seeded again (fenced).
		e.state, e.forgotten = nil, true
		return coord.Decision{}, nil
	}
	return e.state.Release(p.InspectionID, p.ConfirmBy, now), nil
}

// Withdraw removes a plan; an enterprise not held (never seen, or
// forgotten) has nothing to undo: its next seed reads the store, where the
// plan is cancelled, and the caller takes the visit's heir from the store.
func (c *Coordinator) Withdraw(ctx context.Context, p coord.Plan, fence int64, now time.Time) (coord.Decision, error) {
	e := c.acquire(p.USCC)
	defer c.release(e)
	if e.state == nil {
		return coord.Decision{}, nil
	}
	if !e.state.TakeFence(fence) {
		// Another raise came between: dropped, seeded again (fenced).
		e.state, e.forgotten = nil, true
		return coord.Decision{}, nil
	}
	return e.state.Withdraw(p.InspectionID, now), nil
}

// Forget drops the enterprise's state. Unlike an eviction it may drop
// pending decisions, whose writes may still commit: the next seed raises
// the store's fence, so that they fail their check.
func (c *Coordinator) Forget(ctx context.Context, uscc string) error {
	e := c.acquire(uscc)
	defer c.release(e)
	e.state, e.forgotten = nil, true
	return nil
}

// Close does nothing: there is nothing outside the process.
func (c *Coordinator) Close() error { return nil }
