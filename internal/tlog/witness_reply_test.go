package tlog_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/ruqi/ruqi/internal/store"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	fnote "github.com/transparency-dev/formats/note"
	"golang.org/x/mod/sumdb/note"

	"github.com/ruqi/ruqi/internal/tlog"
)

// A witness answers 200 with its valid cosignature plus a forged line under
// another witness's key. Cosign used to keep the whole answer in the
// checkpoint; every verifier whose policy names the second witness then
// refused the checkpoint (note.Open fails on a known key's bad signature),
// even under a 1-of-2 quorum the honest cosignature meets, and so every
// receipt under it. Only the witness's own line is kept now. (Found by a
// read-only review, 2026-12-03.)
func TestCosign_KeepsOnlyTheWitnesssOwnLine(t *testing.T) {
	f := newFixture(t)
	askey, avkey, _ := note.GenerateKey(rand.Reader, "witness-a.test")
	bskey, bvkey, _ := note.GenerateKey(rand.Reader, "witness-b.test")
	wa, err := tlog.NewWitness(askey, []string{f.vkey}, filepath.Join(t.TempDir(), "a.json"))
	if err != nil {
		t.Fatal(err)
	}
	bsigner, err := fnote.NewSignerForCosignatureV1(bskey)
	if err != nil {
		t.Fatal(err)
	}
	otherText := origin + "\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
	other, err := note.Sign(&note.Note{Text: otherText}, bsigner)
	if err != nil {
		t.Fatal(err)
	}
	forged := other[len(otherText)+1:] // "— witness-b.test <sig over another text>\n"
	// Witness A, misbehaving: its real answer plus one forged line.
	srvA := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		wa.ServeHTTP(rec, r)
		body, _ := io.ReadAll(rec.Result().Body)
		w.WriteHeader(rec.Code)
		w.Write(body)
		if rec.Code == http.StatusOK {
			w.Write(forged)
		}
	}))
	defer srvA.Close()
	// Witness B is down (a 1-of-2 policy tolerates that).
	srvB := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", http.StatusServiceUnavailable) }))
	defer srvB.Close()
	policy := fmt.Sprintf("witness a %s %s\nwitness b %s %s\ngroup g any a b\nquorum g\n", avkey, srvA.URL, bvkey, srvB.URL)
	verify, err := tlog.NewVerifier(f.vkey, []byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := tlog.WitnessClients([]byte(policy), srvA.Client())
	if err != nil {
		t.Fatal(err)
	}
	f.append(t, 5, "91350100M000100Y43")
	in := f.integrate(t)
	stored, err := tlog.Cosign(ctx, f.st, clients, in)
	t.Logf("Cosign error (B down): %v", err)
	t.Logf("stored checkpoint:\n%s", stored)
	if bytes.Contains(stored, []byte("witness-b.test")) {
		t.Errorf("the checkpoint keeps a line under witness B's name, which A sent")
	}
	if _, err := verify.Receipt(f.receipt(t, 3)); err != nil {
		t.Fatalf("receipt under a checkpoint cosigned by A (quorum 1 of 2 met) fails: %v", err)
	}
}

// Sealing into blocks and compaction keep every leaf: every receipt and the
// root recomputed from events still match the checkpoint.
func TestSealAndCompact_KeepTheRoot(t *testing.T) {
	f := newFixture(t)
	for _, n := range []int{300, 250, 170} {
		f.append(t, n, "91350100M000100Y43")
		f.integrate(t)
	}
	check := func(st interface {
		View(context.Context, func(store.Reader) error) error
	}) {
		st.View(ctx, func(r store.Reader) error {
			size, signed, _ := r.LatestCheckpoint()
			cp, err := f.verify.Checkpoint(signed)
			if err != nil {
				t.Fatal(err)
			}
			root, err := tlog.RootOfEvents(r, size)
			if err != nil || string(root) != string(cp.Hash) {
				t.Fatalf("root of events %x (%v), checkpoint %x", root, err, cp.Hash)
			}
			rep, err := store.VerifyChain(r)
			if err != nil || !rep.Intact || rep.Events != size {
				t.Fatalf("chain %+v %v", rep, err)
			}
			for seq := uint64(1); seq <= size; seq += 37 {
				rc, err := tlog.NewReceipt(r, seq)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := f.verify.Receipt(rc); err != nil {
					t.Fatalf("receipt %d: %v", seq, err)
				}
			}
			return nil
		})
	}
	check(f.st)
	if _, err := f.st.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	check(f.st)
}

// A witness that answers 409 with a size beyond the log's holds a larger
// tree: the log was rolled back. Cosign says so as ErrWitnessAhead, which
// the server shows on /healthz (a trial of the 司法局's witness,
// 2026-12-07: it was a warning in the log only).
func TestCosign_WitnessAhead_SaidAsSuch(t *testing.T) {
	f := newFixture(t)
	_, avkey, _ := note.GenerateKey(rand.Reader, "witness-a.test")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte("1000\n"))
	}))
	defer srv.Close()
	policy := fmt.Sprintf("witness a %s %s\nquorum a\n", avkey, srv.URL)
	clients, err := tlog.WitnessClients([]byte(policy), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	f.append(t, 5, "91350100M000100Y43")
	if _, err := tlog.Cosign(ctx, f.st, clients, f.integrate(t)); !errors.Is(err, tlog.ErrWitnessAhead) {
		t.Errorf("a witness holding size 1000 of a log of 5: %v, want ErrWitnessAhead", err)
	}
}
