package tlog_test

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Every field of a receipt's event is refused when changed, even with its
// hash recomputed from the changed contents (what anyone holding the
// receipt can do): the leaf is then another, and the proof fails. And an
// event of one seq cannot be shown as another's, with the leaf index moved
// along with it.
func TestReceipt_EveryFieldChangedIsRefused(t *testing.T) {
	f := newFixture(t)
	f.append(t, 9, "91350100M000100Y43")
	f.integrate(t)
	if _, err := f.verify.Receipt(f.receipt(t, 4)); err != nil {
		t.Fatal(err)
	}
	changes := map[string]func(*ruqiv1.Event){
		"time":       func(e *ruqiv1.Event) { e.Time = timestamppb.New(e.GetTime().AsTime().Add(time.Hour)) },
		"nanos":      func(e *ruqiv1.Event) { e.Time.Nanos++ },
		"no time":    func(e *ruqiv1.Event) { e.Time = nil },
		"type":       func(e *ruqiv1.Event) { e.Type = ruqiv1.EventType_EVENT_TYPE_REFUSED },
		"actor":      func(e *ruqiv1.Event) { e.Actor = "officer:O-1" },
		"inspection": func(e *ruqiv1.Event) { e.InspectionId += "x" },
		"enterprise": func(e *ruqiv1.Event) { e.EnterpriseUscc = "91350100M000100Y44" },
		"officer":    func(e *ruqiv1.Event) { e.OfficerId = "O-1" },
		"detail":     func(e *ruqiv1.Event) { e.Detail = "refused" },
		"salt":       func(e *ruqiv1.Event) { e.Salt[len(e.Salt)-1] ^= 1 },
		"salt as v2": func(e *ruqiv1.Event) { e.Salt = e.Salt[1:] },
		"prev hash":  func(e *ruqiv1.Event) { e.PrevHash = bytes.Repeat([]byte{1}, 32) },
	}
	for name, change := range changes {
		for _, rehash := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/rehashed=%v", name, rehash), func(t *testing.T) {
				rc := f.receipt(t, 4)
				change(rc.Event)
				if rehash {
					rc.Event.Hash = store.EventHash(rc.Event.GetPrevHash(), rc.Event)
				}
				if _, err := f.verify.Receipt(rc); err == nil {
					t.Fatalf("a receipt whose event's %s was changed verified", name)
				}
			})
		}
	}
	// The event of seq 4 shown as seq 5, at leaf 4, its hash recomputed.
	for _, rehash := range []bool{false, true} {
		rc := f.receipt(t, 4)
		other := f.receipt(t, 5)
		rc.Event.Seq, rc.LeafIndex, rc.InclusionProof = 5, 4, other.InclusionProof
		if rehash {
			rc.Event.Hash = store.EventHash(rc.Event.GetPrevHash(), rc.Event)
		}
		if _, err := f.verify.Receipt(rc); err == nil {
			t.Fatalf("event 4 verified as event 5 (rehashed %v)", rehash)
		}
	}
	// A receipt of event 5 whose leaf index is not seq−1.
	rc := f.receipt(t, 5)
	rc.LeafIndex = 3
	rc.InclusionProof = f.receipt(t, 4).InclusionProof
	if _, err := f.verify.Receipt(rc); err == nil {
		t.Fatal("a receipt at another leaf verified")
	}
}

// A receipt of one log does not verify against another's key, whether the
// other log has another origin or the same one.
func TestReceipt_OfLogA_RefusedByLogB(t *testing.T) {
	a := newFixture(t)
	a.append(t, 5, "91350100M000100Y43")
	a.integrate(t)
	rc := a.receipt(t, 2)
	for _, name := range []string{origin, "other.test/log"} {
		_, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		v, err := tlog.NewVerifier(vkey, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.Receipt(proto.Clone(rc).(*ruqiv1.Receipt)); err == nil {
			t.Fatalf("log %s verified another log's receipt", name)
		}
	}
}

// witnessed returns a log with a receipt cosigned by one witness, and that
// witness's verifier key and URL.
func witnessedReceipt(t *testing.T) (f *fixture, rc *ruqiv1.Receipt, wvkey, url string) {
	t.Helper()
	f = newFixture(t)
	wskey, wvkey, _ := note.GenerateKey(rand.Reader, "sifaju.test")
	w, err := tlog.NewWitness(wskey, []string{f.vkey}, filepath.Join(t.TempDir(), "witness.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(w)
	t.Cleanup(srv.Close)
	clients, err := tlog.WitnessClients([]byte(fmt.Sprintf("witness sfj %s %s\nquorum sfj\n", wvkey, srv.URL)), srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	f.append(t, 4, "91350100M000100Y43")
	if _, err := tlog.Cosign(ctx, f.st, clients, f.integrate(t)); err != nil {
		t.Fatal(err)
	}
	return f, f.receipt(t, 2), wvkey, srv.URL
}

// A policy that asks for two witnesses is not met by one cosignature, even
// when the policy names that witness twice in a group (directly, through a
// nested group, or under a second name with the same key): one witness
// counted twice is a split view one key can sign. NewVerifier refuses such
// a policy or the checkpoint fails it.
func TestCheckpoint_OneWitnessCountedTwice_DoesNotMeetAPolicyOfTwo(t *testing.T) {
	f, rc, wvkey, url := witnessedReceipt(t)
	_, other, _ := note.GenerateKey(rand.Reader, "other-witness.test")
	one := fmt.Sprintf("witness a %s %s\nquorum a\n", wvkey, url)
	if v, err := tlog.NewVerifier(f.vkey, []byte(one)); err != nil {
		t.Fatal(err)
	} else if _, err := v.Receipt(rc); err != nil {
		t.Fatalf("the witness's own policy: %v", err)
	}
	// Saved by Notepad, with a byte order mark: "unknown keyword" (a trial
	// of bad input, 2026-12-07).
	if _, err := tlog.NewVerifier(f.vkey, []byte("\ufeff"+one)); err != nil {
		t.Fatalf("the policy with a byte order mark: %v", err)
	}
	two := fmt.Sprintf("witness a %s %s\nwitness b %s %s/b\ngroup g 2 a b\nquorum g\n", wvkey, url, other, url)
	if v, err := tlog.NewVerifier(f.vkey, []byte(two)); err != nil {
		t.Fatal(err)
	} else if _, err := v.Receipt(rc); err == nil {
		t.Fatal("one cosignature met a policy of two witnesses")
	}
	for name, policy := range map[string]string{
		"twice in a group":    fmt.Sprintf("witness a %s %s\ngroup g 2 a a\nquorum g\n", wvkey, url),
		"all of a group":      fmt.Sprintf("witness a %s %s\ngroup g all a a\nquorum g\n", wvkey, url),
		"in a nested group":   fmt.Sprintf("witness a %s %s\ngroup h 1 a\ngroup g 2 a h\nquorum g\n", wvkey, url),
		"under a second name": fmt.Sprintf("witness a %s %s\nwitness b %s %s/b\ngroup g 2 a b\nquorum g\n", wvkey, url, wvkey, url),
	} {
		t.Run(name, func(t *testing.T) {
			v, err := tlog.NewVerifier(f.vkey, []byte(policy))
			if err != nil {
				return // refused as a policy: fine
			}
			if _, err := v.Receipt(proto.Clone(rc).(*ruqiv1.Receipt)); err == nil {
				t.Fatalf("one cosignature met a policy of two (%q)", policy)
			}
		})
	}
}
