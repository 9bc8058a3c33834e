package service_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A witness holding a larger tree (the log rolled back): the notice is set
// by the integration that signs, and was cleared by the next idle tick not
// due to ask the witness again (cosignRetryEvery), though nothing had
// changed (a review, 2026-12-07). It stays until an integration signs or
// has the witnesses cosign.
func TestIntegrateLog_WitnessAhead_NoticeStaysThroughIdleTicks(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte("1000\n"))
	}))
	defer srv.Close()
	_, wvkey, _ := note.GenerateKey(rand.Reader, "witness-a.test")
	policy := fmt.Sprintf("witness a %s %s\nquorum a\n", wvkey, srv.URL)
	skey, vkey, _ := note.GenerateKey(rand.Reader, "ruqi.example/log")
	l, _ := tlog.New(skey)
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example", Log: service.LogConfig{Log: l, Key: vkey, WitnessPolicy: []byte(policy)}}
	svc, err := service.New(ctx, st, cfg, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Update(ctx, func(tx store.Tx) error {
		return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_REFUSED,
			Actor: "enterprise:91350100M000100Y43", EnterpriseUscc: "91350100M000100Y43", InspectionId: "INS-1", Detail: "refused"})
	}); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		_, err := svc.IntegrateLog(ctx)
		if i == 1 && !errors.Is(err, tlog.ErrWitnessAhead) {
			t.Fatalf("the first integration: %v, want ErrWitnessAhead", err)
		}
	}
	if svc.Notice() == "" {
		t.Errorf("the witness still holds a larger tree, but /healthz's notice was cleared by an idle tick")
	}
}
