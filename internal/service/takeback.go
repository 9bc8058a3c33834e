package service

import (
	"context"
	"errors"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A reservation taken back: the plan of a registration that failed after
// its decision, or whose decision may have run unanswered
// (coord.ErrOutcomeUnknown), released unless the store holds it
// (afterFailedWrite).
type pendingTakeBack struct {
	ctx   context.Context // the registration's, without its cancellation: for logs
	req   *ruqiv1.RegisterInspectionRequest
	plan  coord.Plan // as held, ConfirmBy the failed attempt's
	now   time.Time  // the registration's
	until time.Time  // when its hold is up, by this process's wall clock
}

// takeBack takes one reservation back (takeBackAll).
func (s *Service) takeBack(ctx context.Context, req *ruqiv1.RegisterInspectionRequest, plan coord.Plan, now time.Time) error {
	left := s.takeBackAll(plan.USCC, []pendingTakeBack{{ctx: context.WithoutCancel(ctx), req: req, plan: plan, now: now}})
	if len(left) > 0 {
		return left[0].err
	}
	return nil
}

type leftTakeBack struct {
	pendingTakeBack
	err error // wraps coord.ErrUnavailable
}

// takeBackAll takes back the reservations of plans at one enterprise. One
// store transaction reads each: a plan the store holds (an attempt of the
// same request wrote it) stays, confirmed if it is this very request; for
// the others the enterprise's fence is raised, once, and each release takes
// it, so that a retry of the same request still writing under a released
// reservation, on any replica and whatever its clock, fails its check and
// is decided again instead of landing uncounted. A plan without a request
// id needs no fence: no retry shares its random id. If the store cannot
// say (a commit whose answer was lost as the database went away may have
// landed), nothing is released: the coordinator checks the pending plans
// against the store when their holds are up. It answers the releases the
// coordinator could not take (unavailable), to be tried again.
func (s *Service) takeBackAll(uscc string, ps []pendingTakeBack) []leftTakeBack {
	bg := context.WithoutCancel(ps[0].ctx)
	stored := make([]*ruqiv1.Inspection, len(ps))
	holds := func(r store.Reader) error {
		for i, p := range ps {
			stored[i] = nil
			ins, err := r.Inspection(p.plan.InspectionID)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if ins.GetEnterpriseUscc() == p.plan.USCC && ins.GetAgencyId() == p.plan.AgencyID &&
				ins.GetWindowStart().AsTime().Equal(p.plan.Start) && ins.GetWindowEnd().AsTime().Equal(p.plan.End) {
				stored[i] = ins
			}
		}
		return nil
	}
	var (
		fence int64
		err   error
	)
	fenced := false
	for _, p := range ps {
		fenced = fenced || p.req.GetRequestId() != ""
	}
	if fenced {
		err = s.store.Update(bg, func(tx store.Tx) error {
			fence = 0
			if err := holds(tx); err != nil {
				return err
			}
			for i, p := range ps {
				if stored[i] == nil && p.req.GetRequestId() != "" {
					var err error
					fence, err = inspection.RaiseFence(tx, uscc)
					return err
				}
			}
			return nil
		})
	}
	if !fenced || err != nil {
		// The store takes no write (a full disk), perhaps why the
		// registration failed: if it can still say what it holds, the
		// releases go by their attempts' holds alone, as before the fence
		// (a retry on a replica whose clock is behind may then lose its
		// plan's count: docs/ARCHITECTURE.md, "The fence").
		fence = 0
		err = s.store.View(bg, holds)
	}
	if err != nil {
		for _, p := range ps {
			slog.WarnContext(p.ctx, "a failed registration's plan left pending: the store cannot say whether it holds it", "inspection", p.plan.InspectionID, "err", err)
		}
		return nil
	}
	var left []leftTakeBack
	for i, p := range ps {
		if stored[i] != nil {
			if sameRegistration(stored[i], p.req) {
				if cerr := s.coord.Confirm(bg, p.plan, p.now); cerr != nil {
					slog.ErrorContext(p.ctx, "confirm a plan a retry wrote", "inspection", p.plan.InspectionID, "err", cerr)
				}
			}
			continue
		}
		f := fence
		if p.req.GetRequestId() == "" {
			f = 0
		}
		rd, err := s.coord.Release(bg, p.plan, f, p.now)
		if errors.Is(err, coord.ErrUnavailable) {
			left = append(left, leftTakeBack{p, err})
			continue
		}
		if err != nil {
			// The store's fence is ahead of the coordinator's:
			// registrations for the enterprise are decided again until
			// the pending plan's hold is over and its check raises the
			// coordinator's (or the service forgets the state, see
			// register).
			slog.ErrorContext(p.ctx, "release after a failed registration", "inspection", p.plan.InspectionID, "err", err)
			continue
		}
		// Plans written meanwhile that had joined this one: the store
		// learns who holds their visit now.
		s.handOverDropped(p.ctx, uscc, []coord.Decision{rd})
	}
	return left
}

// takeBackLater takes a reservation back in the background, once the
// coordinator answers, before its hold is up. The releases wait together,
// by enterprise: when Redis answers a ping, each enterprise's are taken
// back in one store transaction that raises its fence once
// (takeBackAll). Tried one by one, each reading the store and raising the
// fence anew, a Redis outage cost every failed registration a dozen store
// writes, and the releases landing together when it came back fenced the
// registrations in flight until they gave up (REGISTRATION_RESEEDED: 21 of
// 640 after 200 failures at one enterprise; a review, 2026-12-07). Each try
// raises the fence anew all the same: a release retried with its first
// try's fence was taken by a state rebuilt since, and dropped the
// reservation a retry of the same request was writing under, on a replica
// whose clock was behind (a review, 2026-12-07).
func (s *Service) takeBackLater(ctx context.Context, req *ruqiv1.RegisterInspectionRequest, plan coord.Plan, now time.Time) {
	p := pendingTakeBack{ctx: context.WithoutCancel(ctx), req: req, plan: plan, now: now, until: time.Now().Add(plan.ConfirmBy.Sub(now))}
	r := &s.takeBacks
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pending == nil {
		r.pending = map[string][]pendingTakeBack{}
	}
	r.pending[plan.USCC] = append(r.pending[plan.USCC], p)
	if !r.running {
		r.running = true
		r.wake = make(chan struct{}, 1)
		go s.takeBackWhenAnswered(r.wake)
		return
	}
	// A new one is tried soon, not after the wait the older ones have
	// come to (up to 4.5 s; a review, 2026-12-07).
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// takeBacks are the reservations takeBackLater holds, by USCC, and whether
// its goroutine runs.
type takeBacks struct {
	mu      sync.Mutex
	pending map[string][]pendingTakeBack
	running bool
	wake    chan struct{} // a new reservation, for the running goroutine
}

// takeBackWhenAnswered is takeBackLater's goroutine: it ends when nothing
// is left to take back.
func (s *Service) takeBackWhenAnswered(wake chan struct{}) {
	r := &s.takeBacks
	wait := releaseRetryFirst
	for {
		select {
		case <-time.After(wait/2 + mrand.N(wait)):
			wait = min(2*wait, releaseRetryMax)
		case <-wake:
			wait = releaseRetryFirst
			time.Sleep(wait/2 + mrand.N(wait))
		}
		r.mu.Lock()
		now := time.Now()
		for uscc, ps := range r.pending {
			kept := ps[:0]
			for _, p := range ps {
				if now.Before(p.until) {
					kept = append(kept, p)
				} else {
					// Not lost: the coordinator checks the pending plan
					// against the store now that its hold is up.
					slog.WarnContext(p.ctx, "release after a failed registration left to the hold's end: the coordinator did not answer", "inspection", p.plan.InspectionID)
				}
			}
			if len(kept) == 0 {
				delete(r.pending, uscc)
			} else {
				r.pending[uscc] = kept
			}
		}
		if len(r.pending) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		if !s.coordAnswers() {
			continue
		}
		r.mu.Lock()
		batch := r.pending
		r.pending = map[string][]pendingTakeBack{}
		r.mu.Unlock()
		wait = releaseRetryFirst // what is left was answered once: soon again
		for uscc, ps := range batch {
			left := s.takeBackAll(uscc, ps)
			taken := len(ps) - len(left)
			if taken > 0 {
				slog.Info("took back the reservations of registrations whose decisions may have run unanswered", "uscc", uscc, "plans", taken)
			}
			if len(left) > 0 {
				r.mu.Lock()
				for _, l := range left {
					r.pending[uscc] = append(r.pending[uscc], l.pendingTakeBack)
				}
				r.mu.Unlock()
			}
		}
	}
}

// coordAnswers says whether the coordinator answers now (a Redis ping),
// true for one that cannot be asked.
func (s *Service) coordAnswers() bool {
	p, ok := s.coord.(interface{ Ping(context.Context) error })
	if !ok {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return p.Ping(ctx) == nil
}

// A reservation takeBackLater holds is tried after about releaseRetryFirst,
// twice as long each time up to releaseRetryMax, each wait drawn between
// half and one and a half of it.
const (
	releaseRetryFirst = 200 * time.Millisecond
	releaseRetryMax   = 3 * time.Second
)

// closeTakeBacksWithin bounds the last round of take-backs at Close.
const closeTakeBacksWithin = 2 * time.Second

// flushTakeBacks makes one last round of the reservations still waiting to
// be taken back, if the coordinator answers, within d: left waiting at a
// stop, they stayed reserved in the shared Redis for the rest of their
// holds, counted against the other replicas (a review, 2026-12-07).
func (s *Service) flushTakeBacks(d time.Duration) {
	r := &s.takeBacks
	r.mu.Lock()
	batch := r.pending
	r.pending = map[string][]pendingTakeBack{}
	r.mu.Unlock()
	if len(batch) == 0 || !s.coordAnswers() {
		return
	}
	deadline := time.Now().Add(d)
	for uscc, ps := range batch {
		if time.Now().After(deadline) {
			slog.Warn("stop: reservations left to their holds' end", "uscc", uscc, "plans", len(ps))
			continue
		}
		s.takeBackAll(uscc, ps)
	}
}
