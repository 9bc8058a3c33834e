package service_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The first start of a version with hash v3 on a store of legacy events
// seals them, once: the seal names the digest of those events as they read
// then, the chain verifies, and a second start seals nothing more.
func TestNew_SealsLegacyEventsOnce(t *testing.T) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "legacy.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	// Events as a version before v3 hashed them: a salt that is not v3's
	// (store.Chain marks only a 16-byte one), so hashed as v2.
	for i := 0; i < 3; i++ {
		if err := st.Update(ctx, func(tx store.Tx) error {
			return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.New(time.Date(2026, 11, 1, 9, i, 0, 0, time.UTC)), Type: ruqiv1.EventType_EVENT_TYPE_REGISTERED,
				Actor: "officer:O-0001", InspectionId: "INS-20261101-LEGACY", EnterpriseUscc: "91510104CY4C7RGWMR", Salt: []byte("legacy-8")})
		}); err != nil {
			t.Fatal(err)
		}
	}
	start := func() {
		svc, err := service.New(ctx, st, service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example"},
			func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
		if err != nil {
			t.Fatal(err)
		}
		svc.Close()
	}
	start()
	start()
	var seals []*ruqiv1.Event
	var legacy int
	if err := st.View(ctx, func(r store.Reader) error {
		return r.Events(0, func(e *ruqiv1.Event) error {
			if store.HashVersion(e) < 3 {
				legacy++
			}
			if e.GetType() == ruqiv1.EventType_EVENT_TYPE_LEGACY_EVENTS_SEALED {
				seals = append(seals, e)
			}
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if legacy != 3 || len(seals) != 1 || !strings.HasPrefix(seals[0].GetDetail(), "events 1-3 sha256:") || store.HashVersion(seals[0]) != 3 {
		t.Fatalf("%d legacy events, seals %v; want one v3 seal of events 1-3", legacy, seals)
	}
	if err := st.View(ctx, func(r store.Reader) error {
		rep, err := store.VerifyChain(r)
		if err == nil && (!rep.Intact || rep.Legacy != 3 || rep.SealedAt != seals[0].GetSeq()) {
			t.Errorf("the sealed chain: %+v; want intact, 3 legacy events sealed at %d", rep, seals[0].GetSeq())
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}
