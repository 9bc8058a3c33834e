// Package storeseed runs the coordinator conformance suite (coordtest) with
// the coordinator seeded from a real store: every decision and cancellation
// is written to a store.Store through the same functions the service writes
// with (internal/inspection), and the seeder is the service's own Seed, the
// one a server passes to its coordinator. It is a package of its own because
// it needs the service, which coordtest's users must not pull in.
package storeseed

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/coordtest"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/report"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// region is the division every enterprise of the suite is in.
const region = "510100"

// admin cancels plans: the suite's plans belong to no officer.
var admin = auth.Principal{Role: ruqiv1.Role_ROLE_ADMIN, Subject: "coordtest", TokenID: "tok-coordtest"}

// Bolt returns new records, each on its own bbolt file.
func Bolt(t *testing.T) coordtest.Recorder {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "seed.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return New(t, st)
}

// Postgres returns a function making new records, each on a fresh database
// of srv.
func Postgres(srv *pgtest.Server) func(*testing.T) coordtest.Recorder {
	return func(t *testing.T) coordtest.Recorder {
		st, err := postgres.Open(context.Background(), srv.NewDatabase(t), postgres.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = st.Close() })
		return New(t, st)
	}
}

// Record is the suite's record kept in a real store.
type Record struct {
	t   *testing.T
	st  store.Store
	svc *service.Service
	// mu orders writes as registrations: a plan's registration time is
	// when it was written, which is the order the seed lists plans in.
	mu  sync.Mutex
	reg time.Time
}

// New returns a record on st, read back by a service on st.
func New(t *testing.T, st store.Store) *Record {
	// The seed keeps plans of this year and last by the service's clock.
	cfg := service.Config{Now: coordtest.Now}
	// The service's own coordinator is never asked: the suite's clients are
	// the backend's, given Seed.
	svc, err := service.New(context.Background(), st, cfg, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return &Record{t: t, st: st, svc: svc, reg: coordtest.Now()}
}

// Seed is the service's seeder. The directory holds every enterprise the
// suite names, as an imported directory would: one is put in on first sight.
func (r *Record) Seed(ctx context.Context, uscc string, fence bool) (coord.Seed, error) {
	err := r.st.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Enterprise(uscc); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return tx.PutEnterprise(enterprise(uscc, "B"))
	})
	if err != nil {
		return coord.Seed{}, err
	}
	return r.svc.Seed(ctx, uscc, fence)
}

// Apply writes a decision as registration does: the plan, if accepted or
// joined and not yet written, how it is counted, and joint membership
// (inspection.ApplyDecision).
func (r *Record) Apply(p coord.Plan, d coord.Decision) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	fenced := false
	r.update(func(tx store.Tx) error {
		fenced = false
		if d.Outcome == coord.Accepted || d.Outcome == coord.Joined {
			if err := inspection.CheckFence(tx, p.USCC, d.Fence); errors.Is(err, inspection.ErrFenced) {
				fenced = true
				return nil
			} else if err != nil {
				return err
			}
			// The coordinator's plan carries the enterprise's grade, as the
			// service reads it from the directory.
			if err := tx.PutEnterprise(enterprise(p.USCC, p.Grade)); err != nil {
				return err
			}
			_, err := tx.Inspection(p.InspectionID)
			if errors.Is(err, store.ErrNotFound) { // a retried decision writes nothing new
				r.reg = r.reg.Add(time.Millisecond)
				if err := tx.PutInspection(inspectionOf(p, r.reg)); err != nil {
					return err
				}
				err = report.MarkPlan(tx, p.InspectionID, d.Outcome == coord.Joined)
			}
			if err != nil {
				return err
			}
		}
		_, err := inspection.ApplyDecision(tx, p.USCC, d, p.InspectionID)
		return err
	})
	return !fenced
}

// Cancel cancels a plan as 撤销 does (inspection.Cancel).
func (r *Record) Cancel(p coord.Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cancel(p)
}

// Close closes a plan as 办结 does (inspection.MarkClosed).
func (r *Record) Close(p coord.Plan) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.update(func(tx store.Tx) error {
		ins, err := tx.Inspection(p.InspectionID)
		if err != nil {
			return err
		}
		inspection.MarkClosed(ins, coordtest.Now())
		return tx.PutInspection(ins)
	})
}

// Withdraw writes what the coordinator's withdrawal decided. A stored plan
// is cancelled first and the withdrawal written as the service's
// cancellation writes it (inspection.Withdraw); for a plan the store does
// not hold (a reservation whose write never came) or holds cancelled
// already, it is written as the service writes a dropped reservation
// (inspection.HandOver).
func (r *Record) Withdraw(p coord.Plan, d coord.Decision) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c, cancelled := r.cancel(p)
	r.update(func(tx store.Tx) error {
		if !cancelled {
			_, err := inspection.HandOver(tx, p.USCC, d, d.Heir)
			return err
		}
		joint, _, err := tx.JointOf(p.InspectionID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		_, _, err = inspection.Withdraw(tx, admin, coordtest.Now(), inspection.Withdrawal{Plan: p, Decision: d, HeldVisit: c.HeldVisit, JointID: joint})
		return err
	})
}

// cancel cancels p if the store holds it and it is not cancelled yet.
func (r *Record) cancel(p coord.Plan) (c inspection.Cancelled, ok bool) {
	r.update(func(tx store.Tx) error {
		ins, err := tx.Inspection(p.InspectionID)
		if errors.Is(err, store.ErrNotFound) || ins.GetState() == ruqiv1.InspectionState_INSPECTION_STATE_CANCELLED {
			return nil
		}
		if err != nil {
			return err
		}
		c, err = inspection.Cancel(tx, admin, coordtest.Now(), p.InspectionID, "计划调整")
		ok = err == nil
		return err
	})
	return c, ok
}

func (r *Record) update(fn func(store.Tx) error) {
	if err := r.st.Update(context.Background(), fn); err != nil {
		r.t.Errorf("storeseed: write the record: %v", err)
	}
}

func enterprise(uscc, grade string) *ruqiv1.Enterprise {
	g := map[string]ruqiv1.CreditGrade{"A": ruqiv1.CreditGrade_CREDIT_GRADE_A, "B": ruqiv1.CreditGrade_CREDIT_GRADE_B,
		"C": ruqiv1.CreditGrade_CREDIT_GRADE_C, "D": ruqiv1.CreditGrade_CREDIT_GRADE_D}[grade]
	return &ruqiv1.Enterprise{Uscc: uscc, Name: "样例企业 " + uscc, RegionCode: region, CreditGrade: g}
}

// inspectionOf is the stored inspection of a plan. An exempt plan is a 个案
// check, which is how the service tells the coordinator it is exempt; a plan
// that is not an inspection is a 走访调研 visit.
func inspectionOf(p coord.Plan, registered time.Time) *ruqiv1.Inspection {
	typ := ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE
	if p.Exempt {
		typ = ruqiv1.InspectionType_INSPECTION_TYPE_CASE
	}
	kind := ruqiv1.VisitKind_VISIT_KIND_INSPECTION
	if p.NotInspection { // a visit that is not an inspection has no type
		typ, kind = ruqiv1.InspectionType_INSPECTION_TYPE_UNSPECIFIED, ruqiv1.VisitKind_VISIT_KIND_SURVEY
	}
	return &ruqiv1.Inspection{Id: p.InspectionID, AgencyId: p.AgencyID, EnterpriseUscc: p.USCC, Type: typ, VisitKind: kind, Late: p.Late,
		WindowStart: timestamppb.New(p.Start), WindowEnd: timestamppb.New(p.End),
		State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED, RegisteredAt: timestamppb.New(registered)}
}
