package code

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse and Verify. Besides not
// panicking, it checks the two promises the format makes: every failure is
// ErrMalformed (or, from Verify, a key or signature error), and nothing but
// the exact messages signed here ever verifies under the test key.
func FuzzParse(f *testing.F) {
	k := testKey(f, 1)
	signed := map[string]bool{}
	for n := range 3 {
		msg := mustSign(f, k, testClaims(n))
		signed[string(msg)] = true
		f.Add(msg)
		f.Add(msg[1:])                                  // untagged
		f.Add(msg[:len(msg)/2])                         // truncated
		f.Add(append(bytes.Clone(msg), 0))              // trailing byte
		f.Add(append(bytes.Clone(msg[:len(msg)-1]), 0)) // last signature byte changed
		flipped := bytes.Clone(msg)
		flipped[40] ^= 0x01 // inside the payload
		f.Add(flipped)
	}
	f.Add([]byte{})
	f.Add([]byte{0xd2, 0x84, 0x40, 0xa0, 0xf6, 0x40})
	lookup := lookupFor(k)
	f.Fuzz(func(t *testing.T, msg []byte) {
		kid, c, err := Parse(msg)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse error %v does not wrap ErrMalformed", err)
			}
		} else if !validKeyID(kid) || len(c.TokenID) != tokenIDSize {
			t.Fatalf("Parse accepted kid %q, claims %+v", kid, c)
		}
		_, _, verr := Verify(msg, lookup)
		switch {
		case verr == nil:
			if !signed[string(msg)] {
				t.Fatalf("Verify accepted a message that was never signed: %x", msg)
			}
		case errors.Is(verr, ErrMalformed):
			if err == nil {
				t.Fatalf("Parse accepted but Verify says malformed: %v", verr)
			}
		case errors.Is(verr, ErrUnknownKey), errors.Is(verr, ErrBadSignature):
			if err != nil {
				t.Fatalf("Parse rejected (%v) but Verify got as far as %v", err, verr)
			}
		default:
			t.Fatalf("Verify error %v wraps none of the sentinels", verr)
		}
	})
}

func FuzzExtractToken(f *testing.F) {
	tok := EncodeToken(mustSign(f, testKey(f, 1), testClaims(1)))
	for _, s := range []string{
		tok,
		strings.ToLower(tok),
		URL("ruqi.example.gov.cn", tok),
		"https://ruqi.example.gov.cn/v/" + tok + "?a=b",
		" HTTP://127.0.0.1:8080/V/ABC\n",
		"https://[::1]/V/A",
		"ftp://x/V/A",
		"https://x/V/",
		"https://x",
		"://",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ExtractToken(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if got == "" || got != strings.ToUpper(got) || strings.Trim(got, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") != "" {
			t.Fatalf("ExtractToken(%q) = %q, not an upper-case base32 string", s, got)
		}
		// What was extracted extracts to itself, bare or inside our URL.
		for _, again := range []string{got, URL("ruqi.example.gov.cn", got)} {
			if g, err := ExtractToken(again); err != nil || g != got {
				t.Fatalf("ExtractToken(%q) = %q, %v; want %q", again, g, err, got)
			}
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	tok := EncodeToken(mustSign(f, testKey(f, 1), testClaims(1)))
	for _, s := range []string{tok, strings.ToLower(tok), " " + tok + "\n", tok[:len(tok)-1], tok + "=", "A", "AA", "AB", "MY======", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		msg, err := DecodeToken(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
		} else if EncodeToken(msg) != strings.ToUpper(strings.TrimSpace(s)) {
			// Only the canonical spelling (up to case and outer space) decodes.
			t.Fatalf("DecodeToken(%q) = %x, which encodes as %q", s, msg, EncodeToken(msg))
		}
		// Any non-empty bytes survive the round trip through the text form.
		raw := []byte(s)
		if len(raw) > 0 && len(raw) <= maxMessageSize {
			back, err := DecodeToken(EncodeToken(raw))
			if err != nil || !bytes.Equal(back, raw) {
				t.Fatalf("round trip of %x: %x, %v", raw, back, err)
			}
		}
	})
}

// FuzzDecodeQRPNG must never panic and never return an error other than
// ErrNotQR, whatever the bytes. Seeds are small so the fuzzer runs fast.
func FuzzDecodeQRPNG(f *testing.F) {
	small, err := QRPNG("HTTPS://X/V/AAAA", -1)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(small)
	bigger, err := QRPNG("HTTPS://X/V/AAAA", -2)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(bigger)
	var blank bytes.Buffer
	if err := png.Encode(&blank, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		f.Fatal(err)
	}
	f.Add(blank.Bytes())
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte("\xff\xd8\xff"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, img []byte) {
		if _, err := DecodeQRPNG(img); err != nil && !errors.Is(err, ErrNotQR) {
			t.Fatalf("error %v does not wrap ErrNotQR", err)
		}
	})
}
