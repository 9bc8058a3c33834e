package service_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/transparency-dev/formats/log"
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

// signedLog writes a bbolt file of 20 events integrated in two
// checkpoints (sizes 5 and 20) and returns its path and the log.
func signedLog(t *testing.T) (string, *tlog.Log, string) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ruqi.db")
	skey, vkey, _ := note.GenerateKey(rand.Reader, "ruqi.example/log")
	l, _ := tlog.New(skey)
	st, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, n := range []int{5, 15} {
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
	return path, l, vkey
}

// atRest edits the stopped server's file as its operator can, with bbolt.
func atRest(t *testing.T, path string, edit func(ev *bbolt.Bucket) error) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error { return edit(tx.Bucket([]byte("events"))) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
}

// integrateOneMore appends an event, as the next call would, and
// integrates it.
func integrateOneMore(st store.Store, l *tlog.Log) error {
	return st.Update(context.Background(), func(tx store.Tx) error {
		if err := tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_REFUSED,
			Actor: "enterprise:91350100M000100Y43", EnterpriseUscc: "91350100M000100Y43", InspectionId: "INS-NEXT", Detail: "refused"}); err != nil {
			return err
		}
		_, err := l.Integrate(tx, 100)
		return err
	})
}

// An operator rewrites the events under the latest signed checkpoint
// (events 17..20, every hash recomputed, the tree nodes left). The
// integrator signed the next checkpoint on top: the log's own key signed a
// tree that does not extend the one it signed before, a fork that only the
// witnesses caught (an audit trial, 2026-12-07). It refuses now.
func TestIntegrate_EventsRewrittenUnderTheCheckpoint_NotSignedOnTop(t *testing.T) {
	path, l, _ := signedLog(t)
	atRest(t, path, func(ev *bbolt.Bucket) error {
		// Integration sealed nothing (fewer than 512 events): single records.
		prev, err := store.EventHashOf(ev.Get(seqKey(16)))
		if err != nil {
			return err
		}
		for seq := uint64(17); seq <= 20; seq++ {
			e, err := store.DecodeEvent(seq, prev, ev.Get(seqKey(seq)))
			if err != nil {
				return err
			}
			e.Detail = "never refused"
			e.PrevHash, e.Hash = prev, nil
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
		return nil
	})
	st, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = integrateOneMore(st, l)
	if err == nil || !strings.Contains(err.Error(), "no longer give its root") {
		t.Fatalf("integrating on events rewritten under the checkpoint: %v, want a refusal saying the events were changed", err)
	}
}

// An operator deletes the newest events (18..20) under the latest signed
// checkpoint. The integrator failed at every interval on "node 3/2: store:
// not found", and `ruqi log verify` and `ruqi receipt verify --online` of a
// receipt of size 5 got the server's internal error (exit 1, as if to try
// again) where the log is one that cannot prove its history: now the
// integrator says that signed events were deleted, the server that it
// cannot prove consistency (FAILED_PRECONDITION LOG_EVENTS_MISSING), and
// the verifier that the log does not extend what it saw (exit 3).
func TestLog_NewestEventsDeleted_SaidSoToVerifiers(t *testing.T) {
	path, l, vkey := signedLog(t)
	old := keptCheckpointAt(t, path, 5) // as a receipt holder kept it
	atRest(t, path, func(ev *bbolt.Bucket) error {
		for seq := uint64(18); seq <= 20; seq++ {
			if err := ev.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		return nil
	})
	st, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := integrateOneMore(st, l); err == nil || !strings.Contains(err.Error(), "signed events were deleted") {
		t.Errorf("integrating on a log whose newest signed events were deleted: %v, want a refusal saying so", err)
	}

	seen, latest, err := proveServed(t, st, l, vkey, old)
	var ne *tlog.NotExtendedError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "缺失") {
		t.Errorf("proving that the log of size %d extends size %d with its signed events 18..20 deleted: %v, want a NotExtendedError saying events are missing", latest.Size, seen.Size, err)
	}
}

// One signed event deleted from the middle of the log's tail, the events
// after it kept (a review, 2026-12-07): the log cannot prove it extends what
// it signed, which verifiers are told as such (LOG_EVENTS_MISSING), as when
// the newest events are deleted. The proof's leaves read a gap there, which
// reached them as the server's internal error (exit 1, read as "try again").
func TestLog_SignedEventDeletedInTheMiddle_SaidSoToVerifiers(t *testing.T) {
	path, l, vkey := signedLog(t)
	old := keptCheckpointAt(t, path, 5) // as a receipt holder kept it
	atRest(t, path, func(ev *bbolt.Bucket) error { return ev.Delete(seqKey(18)) })
	st, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := integrateOneMore(st, l); err == nil {
		t.Errorf("integrated on a log whose signed event 18 was deleted")
	}

	seen, latest, err := proveServed(t, st, l, vkey, old)
	var ne *tlog.NotExtendedError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "缺失") {
		t.Errorf("proving that the log of size %d extends size %d with its signed event 18 deleted: %v, want a NotExtendedError saying events are missing", latest.Size, seen.Size, err)
	}
}

// keptCheckpointAt reads the signed checkpoint the bbolt file at path
// keeps for size.
func keptCheckpointAt(t *testing.T, path string, size uint64) []byte {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var cp []byte
	_ = db.View(func(tx *bbolt.Tx) error {
		cp = append(cp, tx.Bucket([]byte("checkpoints")).Get(seqKey(size))...)
		return nil
	})
	return cp
}

// proveServed serves st's log in process and asks it, as a verifier
// holding old does, to prove that its latest checkpoint extends old.
func proveServed(t *testing.T, st store.Store, l *tlog.Log, vkey string, old []byte) (seen, latest *log.Checkpoint, err error) {
	t.Helper()
	ctx := context.Background()
	cfg := service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example", Log: service.LogConfig{Log: l, Key: vkey}}
	svc, err := service.New(ctx, st, cfg, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	cc, stop, err := web.InProcess(svc.Register, grpc.ChainUnaryInterceptor(auth.UnaryInterceptor(svc.LookupToken)))
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	v, err := tlog.NewVerifier(vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if seen, err = v.Checkpoint(old); err != nil {
		t.Fatal(err)
	}
	c := ruqiv1.NewLogServiceClient(cc)
	resp, err := c.GetCheckpoint(ctx, &ruqiv1.GetCheckpointRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if latest, err = v.Checkpoint([]byte(resp.GetCheckpoint())); err != nil {
		t.Fatal(err)
	}
	return seen, latest, tlog.ProveExtends(ctx, c, seen, latest)
}

// A log refusing to sign on changed history was only a warning in the
// server's log: /healthz said ok and `log verify` read the frozen log as
// unchanged (a trial of the 司法局's witness, 2026-12-07). The service's
// notice (the second line of /healthz) says so while it lasts.
func TestIntegrateLog_HistoryChanged_SaidInTheNotice(t *testing.T) {
	path, l, vkey := signedLog(t)
	atRest(t, path, func(ev *bbolt.Bucket) error { return ev.Delete(seqKey(20)) })
	st, err := bolt.Open(path, bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	cfg := service.Config{Limits: domain.DefaultLimits(), PublicURL: "https://ruqi.example", Log: service.LogConfig{Log: l, Key: vkey}}
	svc, err := service.New(ctx, st, cfg, func(seed coord.Seeder) (coord.Coordinator, error) { return local.New(seed), nil })
	if err != nil {
		t.Fatal(err)
	}
	if n := svc.Notice(); n != "" {
		t.Fatalf("a notice before any integration: %q", n)
	}
	if err := integrateOneMore(st, l); !errors.Is(err, tlog.ErrHistoryChanged) {
		t.Fatalf("integrating on deleted signed events: %v, want ErrHistoryChanged", err)
	}
	// The next call's event, left for the service's integration.
	if err := st.Update(ctx, func(tx store.Tx) error {
		return tx.AppendEvent(&ruqiv1.Event{Time: timestamppb.Now(), Type: ruqiv1.EventType_EVENT_TYPE_REFUSED,
			Actor: "enterprise:91350100M000100Y43", EnterpriseUscc: "91350100M000100Y43", InspectionId: "INS-NEXT", Detail: "refused"})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.IntegrateLog(ctx); !errors.Is(err, tlog.ErrHistoryChanged) {
		t.Fatalf("the service's integration: %v", err)
	}
	if n := svc.Notice(); !strings.Contains(n, "默克尔日志已停止签名") || !strings.Contains(n, "从备份恢复") {
		t.Errorf("notice after a refused integration: %q", n)
	}
}
