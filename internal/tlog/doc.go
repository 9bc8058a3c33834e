// Package tlog is the transparency log of ruqi (全程留痕、可溯): every event of
// the store is a leaf of an RFC 6962 Merkle tree in sequence order, signed
// checkpoints (C2SP tlog-checkpoint) are kept for every published size,
// receipts (the event, its inclusion proof and a checkpoint) let an
// enterprise prove what was recorded, and witnesses (C2SP tlog-witness,
// tlog-cosignature) cosign only checkpoints consistent with what they signed
// before. Hashing and proofs are transparency-dev/merkle's; notes are
// golang.org/x/mod/sumdb/note and transparency-dev/formats.
//
// The leaf of event seq is its chain hash (store.EventHash), at index seq−1.
// The chain hash covers a random salt, so the published tree reveals nothing
// about an event to whoever is not shown the event itself.
package tlog
