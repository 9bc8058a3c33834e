package service_test

import (
	"context"
	"testing"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/inspection"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/postgres"
	"github.com/ruqi/ruqi/internal/testutil/pgtest"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Replicas started one after the other on different policy files each
// publish their digest on PostgreSQL, whose counts are sums of deltas folded
// by the sequencer: the replica that published last passes its own check,
// the sequencer goes on, and a start on the first file again publishes it.
// A review (2026-12-05) found digests whose difference wrapped an int64: the
// sum no longer fit, every registration failed INTERNAL, every start failed,
// and the sequencer stopped folding counts.
func TestPolicyDigest_PG_PublishedOverAndOver(t *testing.T) {
	ctx := context.Background()
	pg, err := postgres.Open(ctx, pgtest.Start(t).NewDatabase(t), postgres.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	// The extremes first, straight through the store.
	for _, d := range []int64{1, 1<<62 - 1, 1, 1<<62 - 1} {
		if err := pg.Update(ctx, func(tx store.Tx) error { _, err := inspection.PublishPolicy(tx, d); return err }); err != nil {
			t.Fatalf("publish %d: %v", d, err)
		}
		if err := pg.View(ctx, func(r store.Reader) error { return inspection.CheckPolicy(r, d) }); err != nil {
			t.Fatalf("check %d after publishing it: %v", d, err)
		}
	}
	four := 4
	loose, err := coord.NewPolicies(coord.PolicyFile{Default: coord.PolicyConfig{AgencyPerYear: &four}})
	if err != nil {
		t.Fatal(err)
	}
	newCoord := func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil }
	for i, pols := range []*coord.Policies{coord.DefaultPolicies(), loose, coord.DefaultPolicies()} {
		svc, err := service.New(ctx, pg, service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example", Policies: pols}, newCoord)
		if err != nil {
			t.Fatalf("start %d: %v", i, err)
		}
		svc.Close()
		if err := pg.View(ctx, func(r store.Reader) error { return inspection.CheckPolicy(r, pols.Digest()) }); err != nil {
			t.Fatalf("start %d checks its own digest: %v", i, err)
		}
	}
	// The sequencer still chains events (and folds counts).
	var before uint64
	if err := pg.View(ctx, func(r store.Reader) error { before, _, err = r.Head(); return err }); err != nil {
		t.Fatal(err)
	}
	if err := pg.Update(ctx, func(tx store.Tx) error {
		return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, InspectionId: "INS-X"})
	}); err != nil {
		t.Fatal(err)
	}
	if err := pg.WaitSequenced(ctx); err != nil {
		t.Fatal(err)
	}
	var after uint64
	if err := pg.View(ctx, func(r store.Reader) error { after, _, err = r.Head(); return err }); err != nil || after <= before {
		t.Fatalf("head %d after an event appended at %d: %v", after, before, err)
	}
}
