package service_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/auth"
	"github.com/ruqi/ruqi/internal/coord"
	"github.com/ruqi/ruqi/internal/coord/local"
	"github.com/ruqi/ruqi/internal/domain"
	"github.com/ruqi/ruqi/internal/service"
	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/tlog"
	"github.com/ruqi/ruqi/internal/web"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func seqKey(n uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], n)
	return k[:]
}

// An operator with write access to the file but not the log key rewrites
// events 7..10 (every hash recomputed) and keeps the signed checkpoint of
// size 5 under the key of size 10. VerifyEventLog used to check the events
// against the note's size (5) and report size 10 as matching; it now says
// the checkpoint records were swapped, and the integrator refuses to sign
// on top. (Found by a read-only review, 2026-12-03.)
func TestVerifyEventLog_SwappedCheckpointRecord(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ruqi.db")
	skey, vkey, _ := note.GenerateKey(rand.Reader, "ruqi.example/log")
	l, _ := tlog.New(skey)
	st, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{5, 5} {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := 0; i < n; i++ {
				e := &ruqiv1.Event{Time: timestamppb.New(time.Date(2026, 12, 1, 9, 0, i, 0, time.UTC)), Type: ruqiv1.EventType_EVENT_TYPE_REFUSED,
					Actor: "enterprise:91350100M000100Y43", EnterpriseUscc: "91350100M000100Y43", InspectionId: fmt.Sprintf("INS-%d", i), Detail: "refused"}
				if err := tx.AppendEvent(e); err != nil {
					return err
				}
			}
			_, err := l.Integrate(tx, 100)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	// The operator's edit, with bbolt.
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		ev, cps := tx.Bucket([]byte("events")), tx.Bucket([]byte("checkpoints"))
		prev, err := store.EventHashOf(ev.Get(seqKey(6)))
		if err != nil {
			return err
		}
		for seq := uint64(7); seq <= 10; seq++ {
			e, err := store.DecodeEvent(seq, prev, ev.Get(seqKey(seq)))
			if err != nil {
				return err
			}
			e.Detail = "never refused" // the enterprise's refusals, rewritten
			e.PrevHash = prev
			e.Hash = store.EventHash(prev, e)
			b, err := store.EncodeEvent(e, prev)
			if err != nil {
				return err
			}
			if err := ev.Put(seqKey(seq), b); err != nil {
				return err
			}
			prev = e.Hash
		}
		old := append([]byte(nil), cps.Get(seqKey(5))...)
		return cps.Put(seqKey(10), old)
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	st, err = bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	cfg := service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example", Log: service.LogConfig{Log: l, Key: vkey}}
	svc, err := service.New(ctx, st, cfg, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	admin, _, _, _ := auth.NewToken()
	if err := svc.EnsureAdminToken(ctx, admin); err != nil {
		t.Fatal(err)
	}
	cc, stop, err := web.InProcess(svc.Register, grpc.ChainUnaryInterceptor(auth.UnaryInterceptor(svc.LookupToken)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	e := &env{cc: cc, admin: admin}
	v, err := ruqiv1.NewAdminServiceClient(cc).VerifyEventLog(e.as(admin), &ruqiv1.VerifyEventLogRequest{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("VerifyEventLog: events %d intact %v checkpoint_size %d matches %v problem %q", v.GetEvents(), v.GetIntact(), v.GetCheckpointSize(), v.GetCheckpointMatches(), v.GetCheckpointProblem())
	if v.GetIntact() && v.GetCheckpointMatches() {
		t.Errorf("events 7..10 rewritten after the checkpoint of size 10, but VerifyEventLog reports everything in order")
	}
	if v.GetCheckpointProblem() == "" || !strings.Contains(v.GetCheckpointProblem(), "被替换") {
		t.Errorf("the problem %q does not say the checkpoint records were swapped", v.GetCheckpointProblem())
	}
	err = st.Update(ctx, func(tx store.Tx) error {
		_, err := l.Integrate(tx, 100)
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "checkpoints were changed") {
		t.Errorf("integrating on the swapped record: %v, want a refusal", err)
	}
}
