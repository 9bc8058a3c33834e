package code

import (
	"crypto/ed25519"
	"sync"
	"sync/atomic"

	voi "github.com/oasisprotocol/curve25519-voi/primitives/ed25519"
)

// Signature checks use curve25519-voi with the public key expanded once
// (its decompressed point and a table of its multiples) instead of
// crypto/ed25519, which decompresses the key and builds that table on every
// call: a verification costs about half as much (docs/BENCHMARKS.md,
// "Scanning"), and a province's codes are all checked against the one or
// two keys of the ring. VerifyOptionsStdLib makes voi accept and refuse
// exactly what crypto/ed25519 does (ed25519_test.go holds the two to it).
var (
	stdLib = &voi.Options{Verify: voi.VerifyOptionsStdLib}

	// expanded holds the expanded form of each public key a lookup has
	// returned. The keys come from the ring or a published key list,
	// never from a scanned message, so they are few; past maxExpanded the
	// key is expanded for the one call only.
	expanded      sync.Map // string(public key) → *voi.ExpandedPublicKey
	expandedCount atomic.Int32
)

const maxExpanded = 64

// Ed25519Verify is crypto/ed25519.Verify, faster for a key seen before: the
// signature check Verify makes, exported for the load tool to measure.
func Ed25519Verify(pub ed25519.PublicKey, msg, sig []byte) bool {
	if x, ok := expanded.Load(string(pub)); ok {
		return voi.VerifyExpandedWithOptions(x.(*voi.ExpandedPublicKey), msg, sig, stdLib)
	}
	x, err := voi.NewExpandedPublicKey(voi.PublicKey(pub))
	if err != nil {
		// Not a point on the curve (or the wrong length): crypto/ed25519
		// refuses every signature under such a key too.
		return false
	}
	// Counted only when a new key is stored, so that the bound is of
	// distinct keys, not of lookups that missed.
	if expandedCount.Load() < maxExpanded {
		if _, loaded := expanded.LoadOrStore(string(pub), x); !loaded {
			expandedCount.Add(1)
		}
	}
	return voi.VerifyExpandedWithOptions(x, msg, sig, stdLib)
}
