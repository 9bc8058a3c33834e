package code

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestEnterpriseCode_RoundTripAndNotAnInspectionCode(t *testing.T) {
	key, err := NewKey(time.Unix(1_700_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	ring, err := NewRing([]Key{key})
	if err != nil {
		t.Fatal(err)
	}
	c := EnterpriseClaims{TokenID: bytes.Repeat([]byte{7}, 16), Issuer: "ruqi", IssuedAt: time.Unix(1_700_000_100, 0).UTC(), EnterpriseUSCC: "91510104CY4C7RGWMR", Generation: 3}
	msg, err := SignEnterprise(key, c)
	if err != nil {
		t.Fatal(err)
	}
	_, got, err := VerifyEnterprise(msg, ring.Lookup)
	if err != nil || got.Generation != 3 || got.EnterpriseUSCC != c.EnterpriseUSCC || !bytes.Equal(got.TokenID, c.TokenID) || !got.IssuedAt.Equal(c.IssuedAt) {
		t.Fatalf("VerifyEnterprise = %+v, %v", got, err)
	}
	// The two kinds of code never stand in for each other.
	if _, _, err := Verify(msg, ring.Lookup); !errors.Is(err, ErrMalformed) {
		t.Errorf("enterprise code verified as an inspection code: %v", err)
	}
	ins, err := Sign(key, Claims{TokenID: c.TokenID, Issuer: "ruqi", IssuedAt: c.IssuedAt, NotBefore: c.IssuedAt, Expiry: c.IssuedAt.Add(time.Hour),
		InspectionID: "INS-1", OfficerID: "O-1", CertificateNumber: "C-1", EnterpriseUSCC: c.EnterpriseUSCC})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := VerifyEnterprise(ins, ring.Lookup); !errors.Is(err, ErrMalformed) {
		t.Errorf("inspection code verified as an enterprise code: %v", err)
	}
	// A flipped signature byte is a bad signature.
	bad := bytes.Clone(msg)
	bad[len(bad)-1] ^= 1
	if _, _, err := VerifyEnterprise(bad, ring.Lookup); !errors.Is(err, ErrBadSignature) {
		t.Errorf("altered enterprise code: %v, want ErrBadSignature", err)
	}
	if _, err := SignEnterprise(key, EnterpriseClaims{TokenID: c.TokenID, Issuer: "ruqi", IssuedAt: c.IssuedAt, EnterpriseUSCC: "X"}); err == nil {
		t.Error("signed a code without a generation")
	}
}

func TestExtractEnterpriseToken_PathE(t *testing.T) {
	if tok, err := ExtractEnterpriseToken("https://ruqi.example/e/abc234?x=1"); err != nil || tok != "ABC234" {
		t.Errorf("= %q, %v", tok, err)
	}
	if _, err := ExtractEnterpriseToken("HTTPS://RUQI.EXAMPLE/V/ABC234"); !errors.Is(err, ErrMalformed) {
		t.Errorf("an inspection code's URL accepted as an enterprise code: %v", err)
	}
}

// FuzzVerifyEnterprise: whatever the input, VerifyEnterprise answers one of
// its three errors, or claims that re-sign to exactly the input.
func FuzzVerifyEnterprise(f *testing.F) {
	key, err := NewKey(time.Unix(1_700_000_000, 0))
	if err != nil {
		f.Fatal(err)
	}
	ring, err := NewRing([]Key{key})
	if err != nil {
		f.Fatal(err)
	}
	seed, err := SignEnterprise(key, EnterpriseClaims{TokenID: make([]byte, 16), Issuer: "ruqi", IssuedAt: time.Unix(1_700_000_100, 0), EnterpriseUSCC: "91510104CY4C7RGWMR", Generation: 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte{0xd2, 0x84})
	f.Fuzz(func(t *testing.T, msg []byte) {
		_, c, err := VerifyEnterprise(msg, ring.Lookup)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrUnknownKey) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		again, err := SignEnterprise(key, c)
		if err != nil || !bytes.Equal(again, msg) {
			t.Fatalf("accepted %x, which does not re-sign to itself (%v)", msg, err)
		}
	})
}
