package code

import (
	"crypto/ed25519"
	"testing"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

func BenchmarkSign(b *testing.B) {
	k := testKey(b, 1)
	c := testClaims(1)
	for b.Loop() {
		if _, err := Sign(k, c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	k := testKey(b, 1)
	msg := mustSign(b, k, testClaims(1))
	lookup := lookupFor(k)
	for b.Loop() {
		if _, _, err := Verify(msg, lookup); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEd25519VerifyRaw verifies the same signature over the same
// Sig_structure with crypto/ed25519 alone: the floor that Verify's parsing
// and checking overhead is measured against.
func BenchmarkEd25519VerifyRaw(b *testing.B) {
	k := testKey(b, 1)
	msg := mustSign(b, k, testClaims(1))
	var m cose.Sign1Message
	if err := m.UnmarshalCBOR(msg); err != nil {
		b.Fatal(err)
	}
	// Sig_structure = ["Signature1", protected, external_aad, payload]
	// (RFC 9052 section 4.4), built independently of go-cose.
	var protected []byte
	if err := cbor.Unmarshal(m.Headers.RawProtected, &protected); err != nil {
		b.Fatal(err)
	}
	tbs, err := cbor.Marshal([]any{"Signature1", protected, []byte{}, m.Payload})
	if err != nil {
		b.Fatal(err)
	}
	if !ed25519.Verify(k.Public, tbs, m.Signature) {
		b.Fatal("independently built Sig_structure does not verify")
	}
	for b.Loop() {
		if !ed25519.Verify(k.Public, tbs, m.Signature) {
			b.Fatal("verify failed")
		}
	}
}

// BenchmarkEd25519VerifyExpanded is the same check as the one Verify makes:
// curve25519-voi with the key expanded once. Beside BenchmarkEd25519VerifyRaw
// it shows what the expanded key saves, and beside BenchmarkVerify what
// reading the message costs on top.
func BenchmarkEd25519VerifyExpanded(b *testing.B) {
	k := testKey(b, 1)
	msg := mustSign(b, k, testClaims(1))
	kid, _, payload, sig, ok := parseFast(msg)
	if !ok {
		b.Fatal("the fast path refused a code Sign issued")
	}
	tbs := toBeSigned(kid, payload)
	for b.Loop() {
		if !Ed25519Verify(k.Public, tbs, sig) {
			b.Fatal("verify failed")
		}
	}
}
