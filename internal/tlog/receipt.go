package tlog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"golang.org/x/mod/sumdb/note"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// receiptTypes are the steps an enterprise takes or is shown, for which it
// may fetch receipts (存证).
var receiptTypes = map[ruqiv1.EventType]bool{
	ruqiv1.EventType_EVENT_TYPE_REGISTERED:      true,
	ruqiv1.EventType_EVENT_TYPE_LATE_REGISTERED: true,
	ruqiv1.EventType_EVENT_TYPE_MERGED:          true,
	ruqiv1.EventType_EVENT_TYPE_SCAN_VERIFIED:   true,
	ruqiv1.EventType_EVENT_TYPE_SCAN_REJECTED:   true,
	ruqiv1.EventType_EVENT_TYPE_REFUSED:         true,
	ruqiv1.EventType_EVENT_TYPE_CANCELLED:       true,
	ruqiv1.EventType_EVENT_TYPE_WITHDRAWN:       true,
	ruqiv1.EventType_EVENT_TYPE_RESULT_RECORDED: true,
	ruqiv1.EventType_EVENT_TYPE_COMPLETED:       true,
	ruqiv1.EventType_EVENT_TYPE_EVALUATED:       true,
	ruqiv1.EventType_EVENT_TYPE_COMPLAINED:      true,
}

// HasReceipt reports whether an enterprise may fetch a receipt for events
// of type t that name it. Only these are indexed under the enterprise
// (Integrate): the codes issued, warnings and leads that also name it
// were 38% of the index entries in the province-year, and no enterprise
// reads them there. (Leaving them out saved work and about 10 B per plan,
// not measurable time: the index is packed in chunks.) Entries written
// before are filtered by ListReceipts.
func HasReceipt(t ruqiv1.EventType) bool { return receiptTypes[t] }

// NewReceipt proves event seq against the latest checkpoint.
func NewReceipt(r store.Reader, seq uint64) (*ruqiv1.Receipt, error) {
	size, signed, err := r.LatestCheckpoint()
	if err != nil {
		return nil, err
	}
	return receiptAt(r, seq, size, signed)
}

// NewReceiptAt proves event seq against the checkpoint kept for size (a
// draw's randomness checkpoint).
func NewReceiptAt(r store.Reader, seq, size uint64) (*ruqiv1.Receipt, error) {
	signed, err := r.Checkpoint(size)
	if err != nil {
		return nil, err
	}
	return receiptAt(r, seq, size, signed)
}

func receiptAt(r store.Reader, seq, size uint64, signed []byte) (*ruqiv1.Receipt, error) {
	if seq == 0 || seq > size {
		return nil, ErrNotIntegrated
	}
	if err := SizeMatches(signed, size); err != nil {
		return nil, err
	}
	var e *ruqiv1.Event
	err := r.Events(seq-1, func(ev *ruqiv1.Event) error {
		e = ev
		return store.ErrStop
	})
	if err != nil {
		return nil, err
	}
	if e == nil || e.GetSeq() != seq {
		return nil, fmt.Errorf("tlog: event %d missing from the store", seq)
	}
	prf, err := InclusionProof(r, seq-1, size)
	if err != nil {
		return nil, err
	}
	return &ruqiv1.Receipt{Event: e, LeafIndex: seq - 1, InclusionProof: prf, Checkpoint: string(signed)}, nil
}

// WitnessClients makes a client for every witness of a policy.
func WitnessClients(policy []byte, hc *http.Client) ([]*WitnessClient, error) {
	g, err := ParsePolicy(policy)
	if err != nil {
		return nil, err
	}
	var out []*WitnessClient
	for u, v := range g.Endpoints() {
		if _, err := url.Parse(u); err != nil {
			return nil, err
		}
		out = append(out, &WitnessClient{URL: u, Key: v, HTTP: hc})
	}
	return out, nil
}

// Uncosigned lists the witnesses whose cosignature the checkpoint lacks.
func Uncosigned(signed []byte, clients []*WitnessClient) []*WitnessClient {
	var out []*WitnessClient
	for _, c := range clients {
		if n, err := note.Open(signed, note.VerifierList(c.Key)); err != nil || len(n.Sigs) == 0 {
			out = append(out, c)
		}
	}
	return out
}

// Cosign asks every witness whose cosignature the checkpoint of an
// integration lacks to cosign it, and keeps the checkpoint with the
// cosignatures it has and got. A witness that refuses (a fork, a split
// view) or cannot be reached is reported; the others' cosignatures are kept
// all the same. Asked again later (the log idle, the witness back), it asks
// only the witnesses still missing: one that cosigned already keeps its
// line, whatever it would answer to the same checkpoint twice.
func Cosign(ctx context.Context, st store.Store, clients []*WitnessClient, in Integration) ([]byte, error) {
	if len(clients) == 0 || in.Note == nil {
		return in.Note, nil
	}
	proofFrom := func(old uint64) ([][]byte, error) {
		var prf [][]byte
		err := st.View(ctx, func(r store.Reader) error {
			var err error
			prf, err = ConsistencyProof(r, old, in.Size)
			return err
		})
		return prf, err
	}
	bare := signedText(in.Note)
	bare = append(bare[:len(bare):len(bare)], logSigLines(in.Note)...)
	cosigned := append([]byte(nil), in.Note...)
	var errs []error
	got := 0
	for _, c := range Uncosigned(in.Note, clients) {
		sigs, err := c.Cosign(ctx, bare, in.Size, proofFrom)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		cosigned = append(cosigned, sigs...)
		got++
	}
	if got > 0 {
		err := st.Update(ctx, func(tx store.Tx) error { return tx.PutCheckpoint(in.Size, cosigned) })
		if err != nil {
			errs = append(errs, err)
		}
	}
	return cosigned, errors.Join(errs...)
}

// logSigLines keeps only the first signature line of a note: the log's own
// (Integrate signs with the log key alone; cosignatures come after it).
func logSigLines(signed []byte) []byte {
	lines := sigLines(signed)
	for i, c := range lines {
		if c == '\n' {
			return lines[:i+1]
		}
	}
	return lines
}
