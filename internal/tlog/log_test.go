package tlog_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	sumtlog "golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var ctx = context.Background()

const origin = "ruqi.test/log"

type fixture struct {
	st     *bolt.Store
	log    *tlog.Log
	vkey   string
	verify *tlog.Verifier
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		t.Fatal(err)
	}
	st, err := bolt.Open(filepath.Join(t.TempDir(), "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := tlog.New(skey)
	if err != nil {
		t.Fatal(err)
	}
	v, err := tlog.NewVerifier(vkey, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, log: l, vkey: vkey, verify: v}
}

func (f *fixture) append(t testing.TB, n int, uscc string) {
	t.Helper()
	err := f.st.Update(ctx, func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			e := &ruqiv1.Event{Time: timestamppb.New(time.Date(2026, 12, 1, 9, 0, i, 0, time.UTC)), Type: ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED, Actor: "enterprise:" + uscc, EnterpriseUscc: uscc, InspectionId: fmt.Sprintf("INS-%d", i)}
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) integrate(t testing.TB) tlog.Integration {
	t.Helper()
	var in tlog.Integration
	err := f.st.Update(ctx, func(tx store.Tx) error {
		var err error
		in, err = f.log.Integrate(tx, 1000)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func (f *fixture) receipt(t testing.TB, seq uint64) *ruqiv1.Receipt {
	t.Helper()
	var rc *ruqiv1.Receipt
	err := f.st.View(ctx, func(r store.Reader) error {
		var err error
		rc, err = tlog.NewReceipt(r, seq)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func TestIntegrate_EveryEventIsALeafInSequenceOrder(t *testing.T) {
	f := newFixture(t)
	if in := f.integrate(t); in.Size != 0 || !in.Signed {
		t.Fatalf("empty log: %+v, want a signed checkpoint of size 0", in)
	}
	total := 0
	for _, n := range []int{1, 2, 5, 8, 13, 1} {
		f.append(t, n, "91350100M000100Y43")
		total += n
		in := f.integrate(t)
		if in.Size != uint64(total) || in.Added != n {
			t.Fatalf("after %d more: %+v, want size %d", n, in, total)
		}
		cp, err := f.verify.Checkpoint(in.Note)
		if err != nil {
			t.Fatal(err)
		}
		// The root must be the RFC 6962 root of the events' chain hashes,
		// computed by an independent implementation (Go's sumdb tlog).
		var leaves [][]byte
		f.st.View(ctx, func(r store.Reader) error {
			return r.Events(0, func(e *ruqiv1.Event) error { leaves = append(leaves, e.GetHash()); return nil })
		})
		if want := independentRoot(t, leaves); string(cp.Hash) != string(want[:]) {
			t.Fatalf("size %d: root %x, sumdb/tlog computes %x", total, cp.Hash, want)
		}
	}
	if in := f.integrate(t); in.Added != 0 || in.Signed {
		t.Fatalf("nothing new: %+v, want no new checkpoint", in)
	}
}

// independentRoot computes the tree hash with golang.org/x/mod/sumdb/tlog,
// which shares no code with transparency-dev/merkle.
func independentRoot(t *testing.T, leaves [][]byte) sumtlog.Hash {
	t.Helper()
	var stored []sumtlog.Hash
	for i, l := range leaves {
		hs, err := sumtlog.StoredHashes(int64(i), l, hashReader(stored))
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, hs...)
	}
	h, err := sumtlog.TreeHash(int64(len(leaves)), hashReader(stored))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type hashReader []sumtlog.Hash

func (h hashReader) ReadHashes(idx []int64) ([]sumtlog.Hash, error) {
	out := make([]sumtlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = h[x]
	}
	return out, nil
}

func TestReceipt_VerifiesOfflineAndIndependently(t *testing.T) {
	f := newFixture(t)
	f.append(t, 21, "91350100M000100Y43")
	f.integrate(t)
	for seq := uint64(1); seq <= 21; seq++ {
		rc := f.receipt(t, seq)
		got, err := f.verify.Receipt(rc)
		if err != nil {
			t.Fatalf("receipt %d: %v", seq, err)
		}
		if got.Event.GetSeq() != seq || got.Checkpoint.Size != 21 {
			t.Fatalf("receipt %d proves event %d in size %d", seq, got.Event.GetSeq(), got.Checkpoint.Size)
		}
		// Independent check: sumdb's note and tlog packages.
		n, err := note.Open([]byte(rc.GetCheckpoint()), note.VerifierList(mustVerifier(t, f.vkey)))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(n.Text, "\n")
		var root sumtlog.Hash
		root, err = sumtlog.ParseHash(lines[2])
		if err != nil {
			t.Fatal(err)
		}
		var prf sumtlog.RecordProof
		for _, h := range rc.GetInclusionProof() {
			prf = append(prf, sumtlog.Hash(h))
		}
		if err := sumtlog.CheckRecord(prf, 21, root, int64(seq-1), sumtlog.RecordHash(rc.GetEvent().GetHash())); err != nil {
			t.Fatalf("sumdb/tlog rejects receipt %d: %v", seq, err)
		}
	}
}

func mustVerifier(t *testing.T, vkey string) note.Verifier {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestReceipt_TamperedEventOrProofFails(t *testing.T) {
	f := newFixture(t)
	f.append(t, 9, "91350100M000100Y43")
	f.integrate(t)
	cases := map[string]func(*ruqiv1.Receipt){
		"detail changed": func(rc *ruqiv1.Receipt) { rc.Event.Detail = "refused" },
		"salt changed":   func(rc *ruqiv1.Receipt) { rc.Event.Salt[0] ^= 1 },
		"hash recomputed": func(rc *ruqiv1.Receipt) {
			rc.Event.Actor = "x"
			rc.Event.Hash = store.EventHash(rc.Event.PrevHash, rc.Event)
		},
		"proof hash flipped":  func(rc *ruqiv1.Receipt) { rc.InclusionProof[0][0] ^= 1 },
		"leaf index moved":    func(rc *ruqiv1.Receipt) { rc.LeafIndex++ },
		"checkpoint re-typed": func(rc *ruqiv1.Receipt) { rc.Checkpoint = strings.Replace(rc.Checkpoint, "\n9\n", "\n8\n", 1) },
	}
	for name, tamper := range cases {
		t.Run(name, func(t *testing.T) {
			rc := f.receipt(t, 4)
			tamper(rc)
			_, err := f.verify.Receipt(rc)
			if err == nil {
				t.Fatal("tampered receipt verified")
			}
			// Said in words, not the proof library's byte lists.
			if strings.Contains(err.Error(), "[") {
				t.Errorf("message for a person: %v", err)
			}
		})
	}
	// A checkpoint signed by another key with the same origin.
	skey, _, _ := note.GenerateKey(rand.Reader, origin)
	other, _ := tlog.New(skey)
	rc := f.receipt(t, 4)
	forged, _ := other.Sign(9, []byte(strings.Repeat("x", 32)))
	rc.Checkpoint = string(forged)
	if _, err := f.verify.Receipt(rc); err == nil {
		t.Fatal("receipt under another key's checkpoint verified")
	}
}

func TestConsistency_BetweenAnyTwoKeptCheckpoints(t *testing.T) {
	f := newFixture(t)
	var sizes []uint64
	for _, n := range []int{3, 1, 4, 1, 5, 9, 2, 6} {
		f.append(t, n, "91350100M000100Y43")
		sizes = append(sizes, f.integrate(t).Size)
	}
	f.st.View(ctx, func(r store.Reader) error {
		for i, a := range sizes {
			for _, b := range sizes[i:] {
				na, _ := r.Checkpoint(a)
				nb, _ := r.Checkpoint(b)
				ca, err := f.verify.Checkpoint(na)
				if err != nil {
					t.Fatal(err)
				}
				cb, _ := f.verify.Checkpoint(nb)
				prf, err := tlog.ConsistencyProof(r, a, b)
				if err != nil {
					t.Fatal(err)
				}
				if err := tlog.Consistent(ca, cb, prf); err != nil {
					t.Fatalf("%d → %d: %v", a, b, err)
				}
			}
		}
		return nil
	})
}

// Witnessing: the witness cosigns a log that grows, refuses a fork shown to
// it after (a split view), and keeps refusing after a restart.
func TestWitness_CosignsGrowthRefusesSplitView(t *testing.T) {
	f := newFixture(t)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "sifaju.test")
	statePath := filepath.Join(t.TempDir(), "witness.json")
	w, err := tlog.NewWitness(wskey, []string{f.vkey}, statePath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	defer srv.Close()
	policy := fmt.Sprintf("witness sfj %s %s\nquorum sfj\n", wvkey, srv.URL)
	verify, err := tlog.NewVerifier(f.vkey, []byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := tlog.WitnessClients([]byte(policy), srv.Client())
	if err != nil || len(clients) != 1 {
		t.Fatalf("clients %v %v", clients, err)
	}
	cosign := func(t *testing.T, st *bolt.Store, in tlog.Integration) error {
		_, err := tlog.Cosign(ctx, st, clients, in)
		return err
	}
	for _, n := range []int{4, 7} {
		f.append(t, n, "91350100M000100Y43")
		if err := cosign(t, f.st, f.integrate(t)); err != nil {
			t.Fatal(err)
		}
	}
	rc := f.receipt(t, 3)
	if _, err := verify.Receipt(rc); err != nil {
		t.Fatalf("witnessed receipt: %v", err)
	}
	if w.Witnessed(origin) != 11 {
		t.Fatalf("witness holds %d, want 11", w.Witnessed(origin))
	}

	// The same log key, another history: a fork of 11 events, the size the
	// witness cosigned, with another root.
	fork := &fixture{log: f.log, vkey: f.vkey, verify: f.verify}
	var err2 error
	fork.st, err2 = bolt.Open(filepath.Join(t.TempDir(), "fork.db"), bolt.DefaultOptions())
	if err2 != nil {
		t.Fatal(err2)
	}
	defer fork.st.Close()
	fork.append(t, 11, "91350100M000100Y43")
	forked := fork.integrate(t)
	if err := cosign(t, fork.st, forked); err == nil || !strings.Contains(err.Error(), "422") {
		t.Fatalf("witness cosigned a fork: %v", err)
	}
	// The fork's signed checkpoint, the proof of it beside the one the
	// witness cosigned, is kept (it was thrown away: a trial of the 司法局's
	// witness, 2026-12-07); sent again, it is kept once.
	if err := cosign(t, fork.st, forked); err == nil {
		t.Fatal("witness cosigned the fork when sent again")
	}
	kept, _ := filepath.Glob(filepath.Join(statePath+".evidence", "*.note"))
	if len(kept) != 1 {
		t.Fatalf("evidence kept: %v, want the fork's checkpoint", kept)
	}
	if b, _ := os.ReadFile(kept[0]); !bytes.Equal(b, forked.Note) {
		t.Errorf("the evidence kept is not the fork's signed checkpoint:\n%s", b)
	}
	// What proves no fork keeps nothing (a review, 2026-12-07: anyone
	// could fill the witness's disk with public checkpoints): an older
	// checkpoint of the log, and the one cosigned sent with a bogus proof.
	var four, eleven []byte
	f.st.View(ctx, func(r store.Reader) error {
		four, _ = r.Checkpoint(4)
		eleven, _ = r.Checkpoint(11)
		return nil
	})
	for i := 0; i < 3; i++ {
		w.AddCheckpoint(4, nil, four)
		w.AddCheckpoint(11, [][]byte{make([]byte, 32)}, append(append([]byte{}, eleven...), fmt.Sprintf("— other.test %d\n", i)...))
	}
	if again, _ := filepath.Glob(filepath.Join(statePath+".evidence", "*.note")); len(again) != 1 {
		t.Errorf("evidence after replays of genuine checkpoints: %v, want the fork's alone", again)
	}
	w2, err := tlog.NewWitness(wskey, []string{f.vkey}, statePath)
	if err != nil || w2.Witnessed(origin) != 11 {
		t.Fatalf("restarted witness holds %d (%v), want 11", w2.Witnessed(origin), err)
	}
	// Without the witness's cosignature, the fork's receipts fail the policy.
	if _, err := verify.Receipt(fork.receipt(t, 3)); err == nil {
		t.Fatal("a fork's receipt met the witness policy")
	}
}

// Nodes below KeptLevel are not stored but computed from the events under
// them: every receipt of a log integrated in uneven batches still verifies,
// and the store holds one node per block of 16 leaves and up.
func TestIntegrate_KeepsNoNodeBelowKeptLevel_ReceiptsStillVerify(t *testing.T) {
	f := newFixture(t)
	total := 0
	for _, n := range []int{7, 16, 1, 31, 12, 3} {
		f.append(t, n, "91350100M000100Y43")
		total += n
		f.integrate(t)
	}
	for seq := uint64(1); seq <= uint64(total); seq++ {
		if _, err := f.verify.Receipt(f.receipt(t, seq)); err != nil {
			t.Fatalf("receipt %d of %d: %v", seq, total, err)
		}
	}
	f.st.View(ctx, func(r store.Reader) error {
		for level := uint(0); level < tlog.KeptLevel; level++ {
			if _, err := r.TreeNode(level, 0); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("node %d/0 stored (%v)", level, err)
			}
		}
		if _, err := r.TreeNode(tlog.KeptLevel, 0); err != nil {
			t.Errorf("node %d/0: %v", tlog.KeptLevel, err)
		}
		return nil
	})
}

// Integration indexes under the enterprise the events it may hold receipts
// for, and not the others that name it (a code issued, a warning).
func TestIntegrate_IndexesReceiptEventsOnly(t *testing.T) {
	f := newFixture(t)
	const uscc = "91510100MA6CAT0001"
	types := []ruqiv1.EventType{
		ruqiv1.EventType_EVENT_TYPE_REGISTERED,
		ruqiv1.EventType_EVENT_TYPE_CODE_ISSUED,
		ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED,
		ruqiv1.EventType_EVENT_TYPE_FREQUENCY_WARNING,
		ruqiv1.EventType_EVENT_TYPE_DOOR_WARNING,
		ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED,
	}
	err := f.st.Update(ctx, func(tx store.Tx) error {
		for i, typ := range types {
			e := &ruqiv1.Event{Time: timestamppb.New(time.Date(2026, 12, 1, 9, 0, i, 0, time.UTC)), Type: typ, EnterpriseUscc: uscc, InspectionId: "INS-1"}
			if err := tx.AppendEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.integrate(t)
	var got []uint64
	err = f.st.View(ctx, func(r store.Reader) error {
		return r.EnterpriseEvents(uscc, 0, func(seq uint64) error { got = append(got, seq); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint64{1, 3, 6}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("indexed under the enterprise: %v, want %v (registered, scanned, result)", got, want)
	}
}

// A log restored from a backup is behind its witness, which refuses the
// restored history as a fork. Told of the restore, the 司法局 lets go on
// purpose (RewindWitness); the witness then cosigns the restored log's next
// checkpoint, and its state keeps what it let go of, when and why (an
// operator's trial, 2026-12-05: after a restore no checkpoint was ever
// witnessed again, and nothing said how to go on).
func TestWitness_RewoundOnPurpose_CosignsTheRestoredLog(t *testing.T) {
	f := newFixture(t)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "sifaju.test")
	statePath := filepath.Join(t.TempDir(), "witness.json")
	w, err := tlog.NewWitness(wskey, []string{f.vkey}, statePath)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	policy := fmt.Sprintf("witness sfj %s %s\nquorum sfj\n", wvkey, srv.URL)
	clients, err := tlog.WitnessClients([]byte(policy), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	f.append(t, 11, "91350100M000100Y43")
	if _, err := tlog.Cosign(ctx, f.st, clients, f.integrate(t)); err != nil {
		t.Fatal(err)
	}
	srv.Close() // the witness is stopped for the rewind

	// The restore: the same key, the history of 5 events, then 3 more.
	restored := &fixture{log: f.log, vkey: f.vkey, verify: f.verify}
	restored.st, err = bolt.Open(filepath.Join(t.TempDir(), "restored.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer restored.st.Close()
	restored.append(t, 8, "91350100M000100Y44")
	in := restored.integrate(t)

	if _, err := tlog.RewindWitness(statePath, origin, "  ", time.Now()); err == nil {
		t.Fatal("rewound without a reason")
	}
	if _, err := tlog.RewindWitness(statePath, "other.test/log", "恢复", time.Now()); err == nil {
		t.Fatal("rewound a log the witness never cosigned")
	}
	at := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	r, err := tlog.RewindWitness(statePath, origin, "2026-12-05 数据库自备份恢复", at)
	if err != nil || r.Size != 11 {
		t.Fatalf("rewind: %+v %v, want size 11 let go of", r, err)
	}
	w2, err := tlog.NewWitness(wskey, []string{f.vkey}, statePath)
	if err != nil || w2.Witnessed(origin) != 0 {
		t.Fatalf("after the rewind the witness holds %d (%v), want 0", w2.Witnessed(origin), err)
	}
	srv2 := httptest.NewServer(w2)
	defer srv2.Close()
	clients, err = tlog.WitnessClients([]byte(fmt.Sprintf("witness sfj %s %s\nquorum sfj\n", wvkey, srv2.URL)), srv2.Client())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tlog.Cosign(ctx, restored.st, clients, in); err != nil {
		t.Fatalf("the restored log's checkpoint after the rewind: %v", err)
	}
	if w2.Witnessed(origin) != 8 {
		t.Fatalf("witness holds %d, want 8", w2.Witnessed(origin))
	}
	b, err := os.ReadFile(statePath)
	if err != nil || !strings.Contains(string(b), `"rewound":[{"size":11`) || !strings.Contains(string(b), "数据库自备份恢复") {
		t.Fatalf("the state does not keep what was let go of: %s %v", b, err)
	}
}
