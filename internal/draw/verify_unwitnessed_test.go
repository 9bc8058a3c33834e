package draw

import (
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A draw committed under a checkpoint the log signed alone, verified under
// a witness policy (the draw revealed before the policy, or while its
// witnesses were down): refused, saying that, where it read "承诺事件不在
// 已签名的日志中：事件 1 在规模 1 的日志中…（存证取自…）", which
// contradicted itself and spoke of a receipt (a review, 2026-12-07).
func TestVerify_CommitmentUnderUnwitnessedCheckpoint_SaidAsSuch(t *testing.T) {
	d, verify := unwitnessedCommitment(t)
	p := Pick(d, d.Randomness)
	d.PickedEnterprises, d.PickedOfficers = p.Enterprises, p.Officers
	err := verify()
	if err == nil {
		t.Fatal("a draw whose commitment no witness cosigned verified under a witness policy")
	}
	if msg := err.Error(); strings.Contains(msg, "不在已签名的日志中") || strings.Contains(msg, "存证") || !strings.Contains(msg, "见证签名") || !strings.Contains(msg, d.GetId()) {
		t.Fatalf("want the draw named and the missing cosignature said, not that the event is not in the log: %s", msg)
	}
}

// A commitment under an unwitnessed checkpoint whose draw's population was
// changed after it was committed: the change is what is said, not only the
// missing cosignature, which read as if the draw were merely unwitnessed
// (review2: the unwitnessed branch returned before the commitment's checks).
func TestVerify_CommitmentUnderUnwitnessedCheckpoint_PopulationChangedSaid(t *testing.T) {
	d, verify := unwitnessedCommitment(t)
	// The population published differs from the one committed.
	d.EnterprisePopulation = d.EnterprisePopulation[1:]
	err := verify()
	if err == nil || !strings.Contains(err.Error(), "不一致") {
		t.Fatalf("a draw whose population changed after its commitment, under an unwitnessed checkpoint: %v; want the change said", err)
	}
}

// unwitnessedCommitment is the sample draw committed (event 1) under a
// checkpoint the log signed alone, its randomness that checkpoint's root;
// verify checks the draw as it stands then, under a witness policy the
// checkpoint does not meet.
func unwitnessedCommitment(t *testing.T) (d *ruqiv1.Draw, verify func() error) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if err != nil {
		t.Fatal(err)
	}
	_, wvkey, err := note.GenerateKey(rand.Reader, "sifaju.test/witness")
	if err != nil {
		t.Fatal(err)
	}
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	d = sampleDraw()
	e := &ruqiv1.Event{Seq: 1, Time: timestamppb.New(time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)),
		Type: ruqiv1.EventType_EVENT_TYPE_DRAW_COMMITTED, Detail: CommitDetail(d.GetId(), Commitment(d))}
	store.Chain(nil, e)
	cp, err := l.Sign(1, tlog.LeafHash(e))
	if err != nil {
		t.Fatal(err)
	}
	d.Randomness, d.RandomnessSize = tlog.LeafHash(e), 1
	v, err := tlog.NewVerifier(vkey, []byte(fmt.Sprintf("witness sfj %s https://sifaju.test\nquorum sfj\n", wvkey)))
	if err != nil {
		t.Fatal(err)
	}
	return d, func() error {
		_, err := Verify(v, &ruqiv1.GetDrawResponse{Draw: d, CommitmentReceipt: &ruqiv1.Receipt{Event: e, Checkpoint: string(cp)}})
		return err
	}
}
