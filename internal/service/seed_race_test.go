package service_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// pausingStore pauses the first Update that starts while armed, until
// released: the moment between Seed's View and its Update.
type pausingStore struct {
	store.Store
	armed   atomic.Bool
	reached chan struct{}
	release chan struct{}
}

func (p *pausingStore) Update(ctx context.Context, fn func(store.Tx) error) error {
	if p.armed.CompareAndSwap(true, false) {
		close(p.reached)
		<-p.release
	}
	return p.Store.Update(ctx, fn)
}

// Two replicas reseed one enterprise from PostgreSQL at once (Redis came
// back empty, or both check expired pending plans). Replica A reads the
// store (View), then replica B reseeds, writes its regroup at version 6 and
// a newer decision (version 7: P3 joins a visit with P4) commits. Then A
// writes its regroup. It used to write what it had computed from its View,
// at version 6, over the newer decision's membership; it now reads again
// and regroups inside its write transaction. (Found by a read-only review,
// 2026-12-03.)
func TestSeed_RegroupDoesNotOverwriteANewerDecision_Postgres(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	open := func() store.Store {
		st, err := postgres.Open(ctx, url, postgres.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	now := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	cfg := service.Config{Now: func() time.Time { return now }}
	pa := &pausingStore{Store: open(), reached: make(chan struct{}), release: make(chan struct{})}
	stB := open()
	newSvc := func(st store.Store) *service.Service {
		s, err := service.New(ctx, st, cfg, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	svcA, svcB := newSvc(pa), newSvc(stB)

	const uscc = "91510100MA0000001X"
	day := func(d int) *timestamppb.Timestamp { return timestamppb.New(now.AddDate(0, 0, d)) }
	ins := func(id string, reg, from, to int) *ruqiv1.Inspection {
		return &ruqiv1.Inspection{Id: id, AgencyId: "AG-" + id, EnterpriseUscc: uscc, WindowStart: day(from), WindowEnd: day(to),
			State: ruqiv1.InspectionState_INSPECTION_STATE_REGISTERED, RegisteredAt: timestamppb.New(now.Add(time.Duration(reg) * time.Minute)),
			Type: ruqiv1.InspectionType_INSPECTION_TYPE_ROUTINE, VisitKind: ruqiv1.VisitKind_VISIT_KIND_INSPECTION}
	}
	// A joint inspection the older, transitive rule made: P1∩P2 and P2∩P3
	// overlap, P1∩P3 do not. RegroupSeed keeps P1+P2 in J and moves P3 out.
	err := stB.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutEnterprise(&ruqiv1.Enterprise{Uscc: uscc, Name: "e", RegionCode: "510100"}); err != nil {
			return err
		}
		for _, in := range []*ruqiv1.Inspection{ins("INS-P1", 1, 1, 3), ins("INS-P2", 2, 2, 5), ins("INS-P3", 3, 4, 6)} {
			if err := tx.PutInspection(in); err != nil {
				return err
			}
			if err := tx.PutJointOf(in.GetId(), "JNT-J", 5); err != nil {
				return err
			}
		}
		if err := tx.PutJointInspection(&ruqiv1.JointInspection{Id: "JNT-J", EnterpriseUscc: uscc, Version: 5, InspectionIds: []string{"INS-P1", "INS-P2", "INS-P3"}}); err != nil {
			return err
		}
		return tx.AddCount(inspection.VersionKey(uscc), 5)
	})
	if err != nil {
		t.Fatal(err)
	}

	pa.armed.Store(true)
	doneA := make(chan error, 1)
	go func() { _, err := svcA.Seed(ctx, uscc, true); doneA <- err }()
	<-pa.reached // A has read the store and is about to write its regroup

	// Replica B reseeds (regroup at version 6) and then decides: P4 joins
	// P3's visit, version 7, written as registration writes it.
	seedB, err := svcB.Seed(ctx, uscc, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("B seeded at version %d", seedB.Version)
	err = stB.Update(ctx, func(tx store.Tx) error {
		if err := tx.PutInspection(ins("INS-P4", 4, 4, 6)); err != nil {
			return err
		}
		_, err := inspection.ApplyDecision(tx, uscc, coord.Decision{Outcome: coord.Joined, Version: seedB.Version + 1, JointID: "JNT-J2",
			LeadAgency: "AG-INS-P3", Members: []string{"INS-P3", "INS-P4"}, CommonStart: now.AddDate(0, 0, 4), CommonEnd: now.AddDate(0, 0, 6)}, "INS-P4")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	close(pa.release)
	if err := <-doneA; err != nil {
		t.Fatal(err)
	}
	err = stB.View(ctx, func(r store.Reader) error {
		joint, v, err := r.JointOf("INS-P3")
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		n, _ := r.Count(inspection.VersionKey(uscc))
		t.Logf("after both seeds: joint_of(P3) = (%q, v%d); version counter %d", joint, v, n)
		if joint != "JNT-J2" || v != seedB.Version+1 {
			t.Errorf("joint_of(P3) = (%q, %d), want (JNT-J2, %d): the newer decision was overwritten by a reseed computed from a stale read", joint, v, seedB.Version+1)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Replicas starting together on a new database make one first key.
func TestSigningKeys_FirstKeyOnceAcrossReplicas_Postgres(t *testing.T) {
	ctx := context.Background()
	srv := pgtest.Start(t)
	url := srv.NewDatabase(t)
	const n = 6
	stores := make([]store.Store, n)
	for i := range stores {
		st, err := postgres.Open(ctx, url, postgres.DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	errs := make(chan error, n)
	for i := range stores {
		go func() {
			s, err := service.New(ctx, stores[i], service.Config{}, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range stores {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	err := stores[0].View(ctx, func(r store.Reader) error {
		keys, err := r.SigningKeys()
		if len(keys) != 1 {
			t.Errorf("%d signing keys after %d replicas started at once, want 1", len(keys), n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
