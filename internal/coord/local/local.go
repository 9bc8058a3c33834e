// Package local is the in-process coordinator of the embedded default: one
// lock per enterprise around coord.State.
package local

import (
	"context"
	"sync"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
)

// Coordinator holds every enterprise's state in memory, seeded from the
// store on first use.
type Coordinator struct {
	seed coord.Seeder
	mu   sync.Mutex
	ents map[string]*entry
}

type entry struct {
	mu    sync.Mutex
	state *coord.State
}

var _ coord.Coordinator = (*Coordinator)(nil)

// New returns a coordinator that seeds enterprises with seed.
func New(seed coord.Seeder) *Coordinator {
	return &Coordinator{seed: seed, ents: map[string]*entry{}}
}

func (c *Coordinator) entry(uscc string) *entry {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.ents[uscc]
	if !ok {
		e = &entry{}
		c.ents[uscc] = e
	}
	return e
}

// Decide decides under the enterprise's lock, seeding it first if needed.
func (c *Coordinator) Decide(ctx context.Context, p coord.Plan, pol coord.Policy, now time.Time) (coord.Decision, error) {
	e := c.entry(p.USCC)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == nil {
		seed, err := c.seed(ctx, p.USCC)
		if err != nil {
			return coord.Decision{}, err
		}
		e.state = coord.NewState(seed, pol, now)
	}
	var dropped []coord.Decision
	if expired := e.state.Expired(now); len(expired) > 0 {
		seed, err := c.seed(ctx, p.USCC)
		if err != nil {
			return coord.Decision{}, err
		}
		stored, missing := coord.SplitStored(seed, expired)
		dropped = e.state.Settle(stored, missing, now)
	}
	d := e.state.Decide(p, pol, now)
	d.Dropped = dropped
	return d, nil
}

// Confirm marks a pending plan as written.
func (c *Coordinator) Confirm(ctx context.Context, p coord.Plan, now time.Time) error {
	e := c.entry(p.USCC)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state != nil {
		e.state.Confirm(p.InspectionID)
	}
	return nil
}

// Release undoes a pending reservation whose store write failed.
func (c *Coordinator) Release(ctx context.Context, p coord.Plan, now time.Time) (coord.Decision, error) {
	e := c.entry(p.USCC)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == nil {
		return coord.Decision{}, nil
	}
	return e.state.Release(p.InspectionID, now), nil
}

// Withdraw removes a plan; an enterprise not yet seeded has nothing to undo
// (its next seed reads the store, where the plan is cancelled).
func (c *Coordinator) Withdraw(ctx context.Context, p coord.Plan, now time.Time) (coord.Decision, error) {
	e := c.entry(p.USCC)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.state == nil {
		return coord.Decision{}, nil
	}
	return e.state.Withdraw(p.InspectionID, now), nil
}

// Forget drops the enterprise's state.
func (c *Coordinator) Forget(ctx context.Context, uscc string) error {
	e := c.entry(uscc)
	e.mu.Lock()
	e.state = nil
	e.mu.Unlock()
	return nil
}

// Close does nothing: there is nothing outside the process.
func (c *Coordinator) Close() error { return nil }
