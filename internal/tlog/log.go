package tlog

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/transparency-dev/formats/log"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
	"golang.org/x/mod/sumdb/note"

	"github.com/ruqi/ruqi/internal/store"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

var (
	hasher = rfc6962.DefaultHasher
	ranges = &compact.RangeFactory{Hash: hasher.HashChildren}
)

// LeafHash is the Merkle leaf hash of a sequenced event.
func LeafHash(e *ruqiv1.Event) []byte { return hasher.HashLeaf(e.GetHash()) }

// ErrNotIntegrated means the event is not in the tree yet: the integrator
// adds new events every few seconds.
var ErrNotIntegrated = errors.New("tlog: event not integrated yet")

// Log signs checkpoints for one origin.
type Log struct {
	origin string
	signer note.Signer
}

// New returns the log that signs with skey (a note signer key whose name is
// the log's origin).
func New(skey string) (*Log, error) {
	s, err := note.NewSigner(skey)
	if err != nil {
		return nil, fmt.Errorf("log signing key: %w", err)
	}
	return &Log{origin: s.Name(), signer: s}, nil
}

// Integration says what one Integrate call did.
type Integration struct {
	Size   uint64 // tree size after the call
	Added  int    // leaves added
	Signed bool   // a new checkpoint was kept
	Note   []byte // the checkpoint at Size
}

// Integrate adds up to max sequenced events after the tree's current size to
// the tree, indexes those an enterprise may hold receipts for under it
// (HasReceipt), and keeps a checkpoint signed at the new size, all in tx.
// An empty log gets a checkpoint of size 0. Node hashes and signatures are
// deterministic (Ed25519), so two replicas integrating the same events
// write the same records.
func (l *Log) Integrate(tx store.Tx, max int) (Integration, error) {
	size, last, err := tx.LatestCheckpoint()
	if err != nil {
		return Integration{}, err
	}
	if err := SizeMatches(last, size); err != nil {
		// Signing on top would extend whatever the store holds now.
		return Integration{}, err
	}
	r, err := signedRange(tx, size, last)
	if err != nil {
		return Integration{}, err
	}
	var visitErr error
	visit := func(id compact.NodeID, h []byte) {
		if visitErr == nil && id.Level >= KeptLevel {
			visitErr = tx.PutTreeNode(id.Level, id.Index, h)
		}
	}
	added := 0
	err = tx.Events(size, func(e *ruqiv1.Event) error {
		if e.GetSeq() != r.End()+1 {
			return fmt.Errorf("tlog: event %d follows tree size %d: the log has a gap", e.GetSeq(), r.End())
		}
		if err := r.Append(LeafHash(e), visit); err != nil {
			return err
		}
		if u := e.GetEnterpriseUscc(); u != "" && HasReceipt(e.GetType()) {
			if err := tx.PutEnterpriseEvent(u, e.GetSeq()); err != nil {
				return err
			}
		}
		added++
		if added >= max {
			return store.ErrStop
		}
		return visitErr
	})
	if err == nil {
		err = visitErr
	}
	if err != nil {
		return Integration{}, err
	}
	if added == 0 && last != nil {
		return Integration{Size: size, Note: last}, nil
	}
	root, err := rootOf(r)
	if err != nil {
		return Integration{}, err
	}
	signed, err := l.Sign(r.End(), root)
	if err != nil {
		return Integration{}, err
	}
	if err := tx.PutCheckpoint(r.End(), signed); err != nil {
		return Integration{}, err
	}
	// The events just integrated are under a signed root now: the store
	// may pack them (bbolt's sealed blocks), in this same transaction.
	if err := tx.SealEvents(r.End()); err != nil {
		return Integration{}, err
	}
	return Integration{Size: r.End(), Added: added, Signed: true, Note: signed}, nil
}

// SizeMatches checks that a kept checkpoint note (nil: none) is for the
// size it is kept under. A store whose checkpoint records were swapped (the
// signed note of an earlier size copied under the latest key, which needs
// no key) would otherwise have the events after that size checked against
// nothing, and integrated on top of. The signature is the verifier's to
// check; this reads the size only.
func SizeMatches(signed []byte, size uint64) error {
	if signed == nil {
		return nil
	}
	cp, err := keptCheckpoint(signed, size)
	if err != nil {
		return err
	}
	if cp.Size != size {
		return fmt.Errorf("tlog: the checkpoint kept for size %d is signed for size %d: the store's checkpoints were changed", size, cp.Size)
	}
	return nil
}

// keptCheckpoint reads the text of a kept checkpoint note (kept for size),
// its signatures left to the verifier.
func keptCheckpoint(signed []byte, size uint64) (*log.Checkpoint, error) {
	text, _, ok := bytes.Cut(signed, []byte("\n\n"))
	var cp log.Checkpoint
	if _, err := cp.Unmarshal(append(append([]byte(nil), text...), '\n')); !ok || err != nil {
		return nil, fmt.Errorf("tlog: the checkpoint kept for size %d cannot be read", size)
	}
	return &cp, nil
}

// signedRange loads the compact range of the tree the latest checkpoint
// (last, of size) signed, and checks that the store still gives its root:
// the events up to size are there and the tree they and the kept nodes
// make is the one signed. Before, an operator who deleted the newest events
// left the integrator failing at every interval on a missing tree node, and
// one who rewrote events under the checkpoint (every hash recomputed) had
// the log's own key sign a checkpoint on top that extended nothing it had
// signed: a fork signed by the log, refused by the witnesses (an audit
// trial, 2026-12-07).
func signedRange(r store.Reader, size uint64, last []byte) (*compact.Range, error) {
	if last == nil {
		return loadRange(r, size)
	}
	head, _, err := r.Head()
	if err != nil {
		return nil, err
	}
	if head < size {
		return nil, fmt.Errorf("tlog: the store holds events up to %d, but the log signed a checkpoint of size %d: signed events were deleted from the store; refusing to sign on top (restore the data directory from a backup, README \"Backup and restore\"): %w", head, size, ErrHistoryChanged)
	}
	rg, err := loadRange(r, size)
	if err != nil {
		return nil, err
	}
	root, err := rootOf(rg)
	if err != nil {
		return nil, err
	}
	cp, err := keptCheckpoint(last, size)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(root, cp.Hash) {
		return nil, fmt.Errorf("tlog: the events under the latest checkpoint (size %d) no longer give its root: events were changed in the store after it was signed; refusing to sign on top (ruqi admin events verify names the first changed event): %w", size, ErrHistoryChanged)
	}
	return rg, nil
}

// ErrHistoryChanged marks an integration refused because events the log
// signed were changed or deleted in the store: nothing is signed on top
// until the data directory is restored.
var ErrHistoryChanged = errors.New("signed history changed")

// ErrWitnessAhead marks a witness that holds a larger tree than the log's
// latest checkpoint: the log was rolled back (a restore, a file copied in),
// and the witness cosigns nothing of it.
var ErrWitnessAhead = errors.New("a witness holds a larger tree")

// Sign makes the signed checkpoint note for a tree.
func (l *Log) Sign(size uint64, root []byte) ([]byte, error) {
	body := log.Checkpoint{Origin: l.origin, Size: size, Hash: root}.Marshal()
	return note.Sign(&note.Note{Text: string(body)}, l.signer)
}

func rootOf(r *compact.Range) ([]byte, error) {
	if r.End() == 0 {
		return hasher.EmptyRoot(), nil
	}
	return r.GetRootHash(nil)
}

// loadRange rebuilds the compact range [0, size) from the kept nodes.
func loadRange(r store.Reader, size uint64) (*compact.Range, error) {
	hashes, err := nodeHashes(r, compact.RangeNodes(0, size, nil))
	if err != nil {
		return nil, fmt.Errorf("%w (tree size %d)", err, size)
	}
	return ranges.NewRange(0, size, hashes)
}

// KeptLevel is the lowest level of the tree whose nodes the store keeps. A
// node below it is the hash of at most 2^KeptLevel leaves, each the leaf
// hash of a stored event's hash, so it is computed from those events when a
// proof or the integrator needs it. Keeping every node cost about two
// records per event (1.1 KB per registered plan on bbolt); from level 4 up
// it is one record per 16 events. The hashes are the same either way.
const KeptLevel = 4

// nodeHashes returns the hashes of the nodes ids, reading kept nodes from
// the store and computing lower ones from the events under them; events of
// one block of 2^KeptLevel leaves are read once.
func nodeHashes(r store.Reader, ids []compact.NodeID) ([][]byte, error) {
	out := make([][]byte, len(ids))
	blocks := map[uint64][][]byte{} // leaf hashes from the block's first leaf on
	for i, id := range ids {
		if id.Level >= KeptLevel {
			h, err := r.TreeNode(id.Level, id.Index)
			if err != nil {
				return nil, fmt.Errorf("tlog: node %d/%d: %w", id.Level, id.Index, err)
			}
			out[i] = h
			continue
		}
		first := id.Index << id.Level
		end := first + 1<<id.Level
		block := first >> KeptLevel << KeptLevel
		leaves, ok := blocks[block]
		if !ok {
			var err error
			if leaves, err = leafHashes(r, block, block+1<<KeptLevel); err != nil {
				return nil, err
			}
			blocks[block] = leaves
		}
		if uint64(len(leaves)) < end-block {
			return nil, fmt.Errorf("tlog: node %d/%d: events up to %d: %w", id.Level, id.Index, end, store.ErrNotFound)
		}
		out[i] = subtreeHash(leaves[first-block : end-block])
	}
	return out, nil
}

// leafHashes returns the leaf hashes of leaves [from, to): the events with
// seq from+1 to to, fewer if the log ends before.
func leafHashes(r store.Reader, from, to uint64) ([][]byte, error) {
	var out [][]byte
	err := r.Events(from, func(e *ruqiv1.Event) error {
		if e.GetSeq() != from+uint64(len(out))+1 {
			// An event missing before others kept (deleted at rest) is
			// missing as the newest are (store.ErrNotFound): a proof over
			// it cannot be given, which GetConsistencyProof tells a
			// verifier as such, where a gap read as an internal error.
			return fmt.Errorf("tlog: event %d follows %d: the log has a gap: %w", e.GetSeq(), from+uint64(len(out)), store.ErrNotFound)
		}
		out = append(out, LeafHash(e))
		if from+uint64(len(out)) == to {
			return store.ErrStop
		}
		return nil
	})
	return out, err
}

// subtreeHash is the root of a perfect subtree over leaves (a power of two
// of them).
func subtreeHash(leaves [][]byte) []byte {
	for len(leaves) > 1 {
		next := make([][]byte, len(leaves)/2)
		for i := range next {
			next[i] = hasher.HashChildren(leaves[2*i], leaves[2*i+1])
		}
		leaves = next
	}
	return leaves[0]
}

// InclusionProof proves that leaf index is in the tree of the given size.
func InclusionProof(r store.Reader, index, size uint64) ([][]byte, error) {
	nodes, err := proof.Inclusion(index, size)
	if err != nil {
		return nil, err
	}
	return fetch(r, nodes)
}

// ConsistencyProof proves that the tree of size2 extends the tree of size1.
func ConsistencyProof(r store.Reader, size1, size2 uint64) ([][]byte, error) {
	nodes, err := proof.Consistency(size1, size2)
	if err != nil {
		return nil, err
	}
	return fetch(r, nodes)
}

func fetch(r store.Reader, nodes proof.Nodes) ([][]byte, error) {
	hashes, err := nodeHashes(r, nodes.IDs)
	if err != nil {
		return nil, err
	}
	return nodes.Rehash(hashes, hasher.HashChildren)
}
