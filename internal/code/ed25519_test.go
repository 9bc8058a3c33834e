package code

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"testing"
)

// TestEd25519AgreesWithStdLib holds Ed25519Verify to crypto/ed25519 on good
// signatures, every single-bit change of key, message and signature, and
// the edge cases where Ed25519 implementations are known to differ: a
// non-canonical S (S + L), a small-order key and a small-order R with S = 0
// (cofactored and cofactorless checks disagree there).
func TestEd25519AgreesWithStdLib(t *testing.T) {
	for range 20 {
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, 219)
		_, _ = rand.Read(msg)
		sig := ed25519.Sign(priv, msg)
		agree(t, pub, msg, sig)
		for i := range len(sig) * 8 {
			s := bytes.Clone(sig)
			s[i/8] ^= 1 << (i % 8)
			agree(t, pub, msg, s)
		}
		for i := range len(pub) * 8 {
			p := bytes.Clone(pub)
			p[i/8] ^= 1 << (i % 8)
			agree(t, p, msg, sig)
		}
		m := bytes.Clone(msg)
		m[100] ^= 4
		agree(t, pub, m, sig)
		// S + L: the same point, a non-canonical scalar, which RFC 8032
		// and both libraries refuse.
		agree(t, pub, msg, addL(sig))
	}
	// A small-order public key (the identity's encoding) and a small-order
	// R with S = 0: accepted by cofactored verification, refused by
	// crypto/ed25519.
	identity := make([]byte, 32)
	identity[0] = 1
	sig := append(bytes.Clone(identity), make([]byte, 32)...)
	agree(t, identity, []byte("m"), sig)
	order8, _ := hex.DecodeString("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a")
	agree(t, order8, []byte("m"), append(bytes.Clone(order8), make([]byte, 32)...))
	agree(t, identity, []byte("m"), append(bytes.Clone(order8), make([]byte, 32)...))
}

// addL returns sig with its scalar S replaced by S + L (little endian).
func addL(sig []byte) []byte {
	l := [32]byte{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10}
	out := bytes.Clone(sig)
	var carry uint16
	for i := range 32 {
		v := uint16(out[32+i]) + uint16(l[i]) + carry
		out[32+i], carry = byte(v), v>>8
	}
	return out
}

func agree(t *testing.T, pub, msg, sig []byte) {
	t.Helper()
	want := ed25519.Verify(pub, msg, sig)
	// Twice: the first call expands the key, the second uses the cache.
	for range 2 {
		if got := Ed25519Verify(pub, msg, sig); got != want {
			t.Fatalf("key %x msg %x sig %x: ours %v, crypto/ed25519 %v", pub, msg, sig, got, want)
		}
	}
}

// FuzzEd25519 compares the two on arbitrary keys, messages and signatures,
// seeded with a good signature.
func FuzzEd25519(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	msg := []byte("Signature1 test message")
	f.Add([]byte(pub), msg, ed25519.Sign(priv, msg))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte) {
		if len(pub) != ed25519.PublicKeySize {
			return // crypto/ed25519 panics; verifyEd25519 checks the length first
		}
		agree(t, pub, msg, sig)
	})
}
