package code

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/veraison/go-cose"
)

// randomClaims draws claims across the encodings' edges: strings of 1 to
// 256 bytes (heads of one, two and three bytes), multi-byte UTF-8, dates
// from 1970 to 9999, with and without a visit kind.
func randomClaims(t testing.TB) Claims {
	t.Helper()
	n := func(max int64) int64 {
		v, err := rand.Int(rand.Reader, big.NewInt(max))
		if err != nil {
			t.Fatal(err)
		}
		return v.Int64()
	}
	str := func() string {
		switch n(4) {
		case 0:
			return strings.Repeat("检", 1+int(n(85))) // up to 255 bytes of 3-byte runes
		case 1:
			return strings.Repeat("x", 1+int(n(256)))
		default:
			return strings.Repeat("A", 1+int(n(30)))
		}
	}
	date := func() time.Time { return time.Unix(1+n(maxNumericDate-1), 0).UTC() }
	id := make([]byte, tokenIDSize)
	_, _ = rand.Read(id)
	c := Claims{TokenID: id, Issuer: str(), IssuedAt: date(), NotBefore: date(), InspectionID: str(), OfficerID: str(),
		CertificateNumber: str(), EnterpriseUSCC: str()}
	c.Expiry = c.NotBefore.Add(time.Duration(1+n(1<<20)) * time.Second)
	if c.Expiry.Unix() > maxNumericDate {
		c.NotBefore, c.Expiry = c.NotBefore.Add(-time.Hour*24*365*10), c.NotBefore
	}
	if n(2) == 0 {
		c.VisitKind = VisitKinds[n(int64(len(VisitKinds)))]
	}
	return c
}

// TestLayoutIsTheLibrarysEncoding holds the hand-written layout to what
// go-cose and fxamacker/cbor produce: Sign must write the bytes the
// libraries write for the same claims (Ed25519 is deterministic); for every
// code Sign issues, the fast
// path must take it (or every scan silently pays for the library path) and
// give the same claims, and appendMessage must rebuild its exact bytes.
func TestLayoutIsTheLibrarysEncoding(t *testing.T) {
	k := testKey(t, 7)
	for i := range 2000 {
		c := randomClaims(t)
		msg, err := Sign(k, c)
		if err != nil {
			t.Fatalf("Sign(%+v): %v", c, err)
		}
		if lib, err := signLibrary(k, c); err != nil || !bytes.Equal(lib, msg) {
			t.Fatalf("case %d: Sign wrote\n%x\nthe libraries\n%x (%v)", i, msg, lib, err)
		}
		kid, w, payload, sig, ok := parseFast(msg)
		if !ok {
			t.Fatalf("case %d: the fast path refused a code Sign issued: %x", i, msg)
		}
		lkid, lc, lpayload, lsig, err := parseLibrary(msg)
		if err != nil {
			t.Fatalf("case %d: library path: %v", i, err)
		}
		if kid != lkid || !bytes.Equal(payload, lpayload) || !bytes.Equal(sig, lsig) || !w.claims().Equal(lc) {
			t.Fatalf("case %d: fast path read %q %+v, library %q %+v", i, kid, w.claims(), lkid, lc)
		}
		if got := appendMessage(nil, kid, appendClaims(nil, &w), sig); !bytes.Equal(got, msg) {
			t.Fatalf("case %d: appendMessage\n got %x\nwant %x", i, got, msg)
		}
	}
}

// TestToBeSignedIsCOSEs checks the Sig_structure both ways: go-cose
// verifies what Ed25519 signed over toBeSigned, and verifyEd25519 accepts
// what go-cose signed.
func TestToBeSignedIsCOSEs(t *testing.T) {
	k := testKey(t, 8)
	msg := mustSign(t, k, testClaims(3))
	kid, _, payload, sig, err := parseLibrary(msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyEd25519(kid, payload, sig, lookupFor(k)); err != nil {
		t.Fatalf("verifyEd25519 refused go-cose's signature: %v", err)
	}
	own := ed25519.Sign(k.Private, toBeSigned(kid, payload))
	var m cose.Sign1Message
	if err := m.UnmarshalCBOR(appendMessage(nil, kid, payload, own)); err != nil {
		t.Fatal(err)
	}
	v, err := cose.NewVerifier(cose.AlgorithmEdDSA, k.Public)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(nil, v); err != nil {
		t.Fatalf("go-cose refused a signature over toBeSigned: %v", err)
	}
	if err := verifyEd25519(kid, append(bytes.Clone(payload[:len(payload)-1]), 'z'), sig, lookupFor(k)); err != ErrBadSignature {
		t.Fatalf("a changed payload: %v, want ErrBadSignature", err)
	}
}

// FuzzLayout is the differential test of the two paths: whatever the input,
// the fast path accepts exactly what the library path accepts, with the
// same claims.
func FuzzLayout(f *testing.F) {
	k := testKey(f, 9)
	for n := range 3 {
		c := testClaims(n)
		if n == 1 {
			c.VisitKind = "patrol"
		}
		msg := mustSign(f, k, c)
		f.Add(msg)
		f.Add(msg[:len(msg)-3])
		f.Add(append(bytes.Clone(msg), 0))
		changed := bytes.Clone(msg)
		changed[60] ^= 0x20
		f.Add(changed)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		kid, w, payload, sig, ok := parseFast(msg)
		lkid, lc, lpayload, lsig, err := parseLibrary(msg)
		switch {
		case ok && err != nil:
			t.Fatalf("the fast path accepted what the library refuses (%v): %x", err, msg)
		case !ok && err == nil:
			t.Fatalf("the fast path refused a code the library accepts: %x", msg)
		case ok && (kid != lkid || !bytes.Equal(payload, lpayload) || !bytes.Equal(sig, lsig) || !w.claims().Equal(lc)):
			t.Fatalf("the paths disagree: %q %+v against %q %+v", kid, w.claims(), lkid, lc)
		}
	})
}
