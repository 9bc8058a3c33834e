package code

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// testKey derives a key from a fixed seed so that signed test messages, and
// therefore fuzz corpora built from them, are the same on every run.
func testKey(t testing.TB, seed byte) Key {
	t.Helper()
	priv := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{seed}, ed25519.SeedSize))
	pub := priv.Public().(ed25519.PublicKey)
	return Key{ID: KeyID(pub), Private: priv, Public: pub, CreatedAt: time.Unix(1_700_000_000, 0)}
}

// testClaims are realistic claims; n varies the token id and inspection id.
func testClaims(n int) Claims {
	iat := time.Date(2026, 11, 21, 9, 30, 0, 0, time.UTC)
	id := make([]byte, tokenIDSize)
	copy(id, fmt.Sprintf("tok-%012d", n))
	return Claims{
		TokenID:           id,
		Issuer:            "ruqi",
		IssuedAt:          iat,
		NotBefore:         iat,
		Expiry:            iat.Add(8 * time.Hour),
		InspectionID:      fmt.Sprintf("INS-20261121-%06d", n),
		OfficerID:         "O-0001",
		CertificateNumber: "35010020230001",
		EnterpriseUSCC:    "91350100M000100Y43",
	}
}

func lookupFor(keys ...Key) func(string) (ed25519.PublicKey, bool) {
	return func(kid string) (ed25519.PublicKey, bool) {
		for _, k := range keys {
			if k.ID == kid {
				return k.Public, true
			}
		}
		return nil, false
	}
}

func mustSign(t testing.TB, k Key, c Claims) []byte {
	t.Helper()
	msg, err := Sign(k, c)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return msg
}

// rawMessage assembles a COSE_Sign1 from parts without the checks Sign makes,
// to build the malformed and forged inputs Parse and Verify must reject.
func rawMessage(t testing.TB, protected cose.ProtectedHeader, unprotected cose.UnprotectedHeader, payload []byte, signer *Key) []byte {
	t.Helper()
	m := &cose.Sign1Message{Headers: cose.Headers{Protected: protected, Unprotected: unprotected}, Payload: payload}
	if signer != nil {
		s, err := cose.NewSigner(cose.AlgorithmEdDSA, signer.Private)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Sign(nil, nil, s); err != nil {
			t.Fatal(err)
		}
	} else {
		m.Signature = bytes.Repeat([]byte{1}, ed25519.SignatureSize)
	}
	out, err := m.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRoundTrip(t *testing.T) {
	k := testKey(t, 1)
	c := testClaims(1)
	// Sub-second parts must be dropped, not rejected.
	c.IssuedAt = c.IssuedAt.Add(700 * time.Millisecond)
	msg := mustSign(t, k, c)
	tok := EncodeToken(msg)

	tests := []struct {
		name    string
		scanned func(url string) string
	}{
		{"url as rendered", func(u string) string { return u }},
		{"url lower case", strings.ToLower},
		{"url with white space", func(u string) string { return " \t" + u + "\r\n" }},
		{"http scheme", func(u string) string { return "http" + strings.TrimPrefix(u, "HTTPS") }},
		{"query string", func(u string) string { return u + "?from=wechat&x=/V/AAAA" }},
		{"bare token", func(string) string { return tok }},
		{"bare token lower case", func(string) string { return " " + strings.ToLower(tok) + "\n" }},
	}
	for _, host := range []string{"ruqi.example.gov.cn", "127.0.0.1:8080", "[::1]:8443"} {
		for _, tt := range tests {
			t.Run(host+"/"+tt.name, func(t *testing.T) {
				u := URL(host, tok)
				if u != strings.ToUpper(u) {
					t.Fatalf("URL %q is not upper case", u)
				}
				got, err := ExtractToken(tt.scanned(u))
				if err != nil {
					t.Fatalf("ExtractToken: %v", err)
				}
				raw, err := DecodeToken(got)
				if err != nil {
					t.Fatalf("DecodeToken: %v", err)
				}
				kid, gotClaims, err := Verify(raw, lookupFor(testKey(t, 2), k))
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if kid != k.ID {
					t.Errorf("kid = %q, want %q", kid, k.ID)
				}
				want := c
				want.IssuedAt = want.IssuedAt.Truncate(time.Second)
				if !gotClaims.Equal(want) {
					t.Errorf("claims = %+v, want %+v", gotClaims, want)
				}
			})
		}
	}
}

func TestParseMatchesVerify(t *testing.T) {
	k := testKey(t, 1)
	msg := mustSign(t, k, testClaims(7))
	kid, c, err := Parse(msg)
	if err != nil {
		t.Fatal(err)
	}
	if kid != k.ID || !c.Equal(testClaims(7)) {
		t.Errorf("Parse = %q, %+v", kid, c)
	}
}

// TestSingleCharacterChange replaces every character of a token by every
// other base32 character. None of these may verify: a change either breaks
// the structure (ErrMalformed) or the signature (ErrBadSignature).
func TestSingleCharacterChange(t *testing.T) {
	k := testKey(t, 1)
	tok := EncodeToken(mustSign(t, k, testClaims(1)))
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	counts := map[string]int{}
	for i := range len(tok) {
		for _, r := range alphabet {
			if byte(r) == tok[i] {
				continue
			}
			mutated := tok[:i] + string(r) + tok[i+1:]
			_, c, err := func() (string, Claims, error) {
				raw, err := DecodeToken(mutated)
				if err != nil {
					return "", Claims{}, err
				}
				return Verify(raw, lookupFor(k))
			}()
			switch {
			case err == nil:
				t.Fatalf("position %d → %c verified, claims %+v", i, r, c)
			case errors.Is(err, ErrMalformed):
				counts["malformed"]++
			case errors.Is(err, ErrBadSignature):
				counts["bad signature"]++
			case errors.Is(err, ErrUnknownKey):
				// A changed kid that is still well formed: the key is unknown.
				counts["unknown key"]++
			default:
				t.Fatalf("position %d → %c: unexpected error %v", i, r, err)
			}
		}
	}
	t.Logf("token of %d characters, outcomes: %v", len(tok), counts)
}

func TestVerifyErrors(t *testing.T) {
	k := testKey(t, 1)
	other := testKey(t, 2)
	msg := mustSign(t, k, testClaims(1))
	payload, err := claimsEncMode.Marshal(toWire(testClaims(1)))
	if err != nil {
		t.Fatal(err)
	}
	hdr := func(alg any, kid any, extra ...any) cose.ProtectedHeader {
		h := cose.ProtectedHeader{cose.HeaderLabelAlgorithm: alg, cose.HeaderLabelKeyID: kid}
		for i := 0; i+1 < len(extra); i += 2 {
			h[extra[i]] = extra[i+1]
		}
		return h
	}
	encode := func(v any) []byte {
		b, err := claimsEncMode.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	// A payload with one claim dropped or one unknown claim added.
	var asMap map[int64]any
	if err := cbor.Unmarshal(payload, &asMap); err != nil {
		t.Fatal(err)
	}
	without := func(key int64) []byte {
		m := map[int64]any{}
		for k, v := range asMap {
			if k != key {
				m[k] = v
			}
		}
		return encode(m)
	}
	withExtra := func() []byte {
		m := map[int64]any{-65541: "x"}
		for k, v := range asMap {
			m[k] = v
		}
		return encode(m)
	}()

	tests := []struct {
		name string
		msg  []byte
		want error
	}{
		{"valid", msg, nil},
		{"unknown kid", mustSign(t, other, testClaims(1)), ErrUnknownKey},
		{"other key, this kid", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), nil, payload, &other), ErrBadSignature},
		{"payload swapped", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), nil, encode(toWire(testClaims(2))), nil), ErrBadSignature},
		{"empty", nil, ErrMalformed},
		{"garbage", []byte("hello"), ErrMalformed},
		{"untagged", msg[1:], ErrMalformed},
		{"trailing byte", append(bytes.Clone(msg), 0), ErrMalformed},
		{"too long", append(bytes.Clone(msg), make([]byte, maxMessageSize)...), ErrMalformed},
		{"alg ES256", rawMessage(t, hdr(cose.AlgorithmES256, []byte(k.ID)), nil, payload, nil), ErrMalformed},
		{"alg as text", rawMessage(t, hdr("EdDSA", []byte(k.ID)), nil, payload, nil), ErrMalformed},
		{"no alg", rawMessage(t, cose.ProtectedHeader{cose.HeaderLabelKeyID: []byte(k.ID)}, nil, payload, nil), ErrMalformed},
		{"no kid", rawMessage(t, cose.ProtectedHeader{cose.HeaderLabelAlgorithm: cose.AlgorithmEdDSA}, nil, payload, nil), ErrMalformed},
		{"kid upper case", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(strings.ToUpper(k.ID))), nil, payload, nil), ErrMalformed},
		{"kid too short", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID[:8])), nil, payload, nil), ErrMalformed},
		{"extra protected header", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID), cose.HeaderLabelContentType, int64(60)), nil, payload, &k), ErrMalformed},
		{"unprotected header", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), cose.UnprotectedHeader{cose.HeaderLabelContentType: int64(60)}, payload, &k), ErrMalformed},
		{"missing claim exp", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), nil, without(4), &k), ErrMalformed},
		{"missing claim uscc", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), nil, without(-65540), &k), ErrMalformed},
		{"unknown claim", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), nil, withExtra, &k), ErrMalformed},
		{"payload not a map", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), nil, encode([]int{1, 2}), &k), ErrMalformed},
		{"payload empty", rawMessage(t, hdr(cose.AlgorithmEdDSA, []byte(k.ID)), nil, []byte{}, &k), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, err := Verify(tt.msg, lookupFor(k))
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify error = %v, want %v", err, tt.want)
			}
			if !c.Equal(Claims{}) {
				t.Errorf("claims returned with error: %+v", c)
			}
			t.Logf("%v", err)
		})
	}
}

// TestNonCanonicalEncoding re-encodes a valid, correctly signed message with
// a non-minimal length for the payload. The signature still covers the same
// payload bytes, so only the canonical check can reject it.
func TestNonCanonicalEncoding(t *testing.T) {
	k := testKey(t, 1)
	msg := mustSign(t, k, testClaims(1))
	var raw struct {
		_           struct{} `cbor:",toarray"`
		Protected   cbor.RawMessage
		Unprotected cbor.RawMessage
		Payload     []byte
		Signature   []byte
	}
	if err := cbor.Unmarshal(msg[1:], &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.Payload) >= 256 {
		t.Fatalf("test assumes a payload shorter than 256 bytes")
	}
	// Rebuild by hand: tag 18, array(4), then the payload as bstr with a
	// two-byte length (0x59 0x00 n) instead of the one-byte form.
	var b bytes.Buffer
	b.Write([]byte{0xd2, 0x84})
	b.Write(raw.Protected)
	b.Write(raw.Unprotected)
	b.Write([]byte{0x59, 0x00, byte(len(raw.Payload))})
	b.Write(raw.Payload)
	sig, _ := cbor.Marshal(raw.Signature)
	b.Write(sig)
	_, _, err := Verify(b.Bytes(), lookupFor(k))
	if !errors.Is(err, ErrMalformed) {
		t.Fatalf("Verify of non-canonical encoding: %v, want ErrMalformed", err)
	}
	t.Logf("%v", err)
}

func TestVerifyBadPublicKey(t *testing.T) {
	k := testKey(t, 1)
	msg := mustSign(t, k, testClaims(1))
	_, _, err := Verify(msg, func(string) (ed25519.PublicKey, bool) { return ed25519.PublicKey{1, 2, 3}, true })
	if err == nil || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrMalformed) || errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify with a corrupt public key: %v, want a server-side error", err)
	}
}

func TestSignRejects(t *testing.T) {
	k := testKey(t, 1)
	mislabelled := k
	mislabelled.ID = testKey(t, 2).ID
	verifyOnly := k
	verifyOnly.Private = nil
	tests := []struct {
		name   string
		key    Key
		mutate func(*Claims)
	}{
		{"no private key", verifyOnly, func(*Claims) {}},
		{"mislabelled key", mislabelled, func(*Claims) {}},
		{"short token id", k, func(c *Claims) { c.TokenID = c.TokenID[:8] }},
		{"no issuer", k, func(c *Claims) { c.Issuer = "" }},
		{"no inspection", k, func(c *Claims) { c.InspectionID = "" }},
		{"no officer", k, func(c *Claims) { c.OfficerID = "" }},
		{"no certificate", k, func(c *Claims) { c.CertificateNumber = "" }},
		{"no uscc", k, func(c *Claims) { c.EnterpriseUSCC = "" }},
		{"invalid utf-8", k, func(c *Claims) { c.OfficerID = "\xff" }},
		{"too long", k, func(c *Claims) { c.InspectionID = strings.Repeat("x", maxClaimString+1) }},
		{"zero iat", k, func(c *Claims) { c.IssuedAt = time.Time{} }},
		{"before 1970", k, func(c *Claims) { c.NotBefore = time.Date(1969, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"after 9999", k, func(c *Claims) { c.Expiry = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"exp before nbf", k, func(c *Claims) { c.Expiry = c.NotBefore.Add(-time.Second) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClaims(1)
			tt.mutate(&c)
			if msg, err := Sign(tt.key, c); err == nil {
				t.Fatalf("Sign succeeded: %x", msg)
			} else {
				t.Logf("%v", err)
			}
		})
	}
}

func TestTokenText(t *testing.T) {
	msg := []byte{0xd2, 0x84, 0x00, 0xff, 0x10}
	tok := EncodeToken(msg) // 5 bytes = 8 characters, no unused bits
	odd := EncodeToken(msg[:4])
	tests := []struct {
		name string
		in   string
		want []byte // nil: must fail with ErrMalformed
	}{
		{"canonical", tok, msg},
		{"lower case", strings.ToLower(tok), msg},
		{"white space", "\n " + tok + "\t", msg},
		{"partial group", odd, msg[:4]},
		{"empty", "  ", nil},
		{"padding", odd + "=", nil},
		{"invalid character", tok[:3] + "1" + tok[4:], nil},
		{"inner space", tok[:3] + " " + tok[3:], nil},
		{"impossible length", tok[:1], nil},
		// The last character of a 4-byte token carries 3 unused bits; a
		// decoder that ignores them would map two tokens to one message.
		{"unused bits set", odd[:len(odd)-1] + string(odd[len(odd)-1]+1), nil},
		{"too long", strings.Repeat("A", maxTokenLen+8), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeToken(tt.in)
			if tt.want == nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("DecodeToken(%q) = %x, %v; want ErrMalformed", tt.in, got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tt.want) {
				t.Fatalf("DecodeToken(%q) = %x, %v; want %x", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestExtractToken(t *testing.T) {
	const tok = "2SCAB7YQ"
	tests := []struct {
		in   string
		want string // "": must fail with ErrMalformed
	}{
		{tok, tok},
		{"  2scab7yq \n", tok},
		{"HTTPS://RUQI.EXAMPLE.GOV.CN/V/" + tok, tok},
		{"https://ruqi.example.gov.cn/v/" + tok, tok},
		{"HtTp://127.0.0.1:8080/V/" + tok + "?a=b", tok},
		{"https://[::1]:8443/V/" + tok + "?", tok},
		{"", ""},
		{"   ", ""},
		{"ftp://ruqi.example.gov.cn/V/" + tok, ""},
		{"javascript://x/V/" + tok, ""},
		{"https://ruqi.example.gov.cn", ""},
		{"https:///V/" + tok, ""},
		{"https://user@host/V/" + tok, ""},
		{"https://ruqi.example.gov.cn/V/", ""},
		{"https://ruqi.example.gov.cn/X/" + tok, ""},
		{"https://ruqi.example.gov.cn/V/" + tok + "/", ""},
		{"https://ruqi.example.gov.cn/V/" + tok + "#frag", ""},
		{"https://ruqi.example.gov.cn/api/V/" + tok, ""},
		{"ruqi.example.gov.cn/V/" + tok, ""},
		{tok + "=", ""},
		{"2SCAB 7YQ", ""},
		{"入企码", ""},
		{strings.Repeat("A", maxTokenLen+1), ""},
		{strings.Repeat("A", maxScanned+1), ""},
	}
	for _, tt := range tests {
		t.Run(truncate(tt.in), func(t *testing.T) {
			got, err := ExtractToken(tt.in)
			if tt.want == "" {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("ExtractToken(%q) = %q, %v; want ErrMalformed", tt.in, got, err)
				}
				t.Logf("%v", err)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ExtractToken(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestTypicalURLLength records the size of a realistic code: the URL must
// stay well inside a QR symbol that a phone reads from a screen at arm's
// length.
func TestTypicalURLLength(t *testing.T) {
	msg := mustSign(t, testKey(t, 1), Claims{
		TokenID:           bytes.Repeat([]byte{0xa5}, tokenIDSize),
		Issuer:            "ruqi",
		IssuedAt:          time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
		NotBefore:         time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC),
		Expiry:            time.Date(2026, 11, 21, 18, 0, 0, 0, time.UTC),
		InspectionID:      "INS-20261121-000001",
		OfficerID:         "O-0001",
		CertificateNumber: "35010020230001",
		EnterpriseUSCC:    "91350100M000100Y43",
	})
	tok := EncodeToken(msg)
	u := URL("RUQI.EXAMPLE.GOV.CN", tok)
	t.Logf("message %d bytes, token %d characters, URL %d characters", len(msg), len(tok), len(u))
	if len(u) >= 400 {
		t.Errorf("URL is %d characters, want < 400", len(u))
	}
}

// Token ids sort by issue time (check-ins are stored in that order) and are
// distinct within one millisecond.
func TestNewTokenIDOrderedByTime(t *testing.T) {
	at := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	var prev []byte
	for i := range 1000 {
		id, err := NewTokenID(at.Add(time.Duration(i/10) * time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		if len(id) != tokenIDSize || seen[string(id)] {
			t.Fatalf("id %x: wrong length or repeated", id)
		}
		seen[string(id)] = true
		if prev != nil && i%10 == 0 && bytes.Compare(prev, id) >= 0 {
			t.Fatalf("id %x of a later millisecond sorts before %x", id, prev)
		}
		prev = id
	}
	var ms int64
	for _, b := range prev[:6] {
		ms = ms<<8 | int64(b)
	}
	if got := time.UnixMilli(ms); !got.Equal(at.Add(99 * time.Millisecond)) {
		t.Fatalf("time in the id: %s", got)
	}
}
