package domain

import (
	"testing"
)

func TestValidateUSCC(t *testing.T) {
	cases := []struct {
		name   string
		uscc   string
		reason string // "" when valid
	}{
		{"published example", "91350100M000100Y43", ""},
		{"another published example", "91110000600037341L", ""},
		{"wrong check char", "91350100M000100Y44", "USCC_CHECK_CHAR"},
		{"too short", "91350100M000100Y4", "USCC_MALFORMED"},
		{"too long", "91350100M000100Y433", "USCC_MALFORMED"},
		{"empty", "", "USCC_MALFORMED"},
		{"lower case", "91350100m000100y43", "USCC_MALFORMED"},
		{"letter I not allowed", "91350100I000100Y43", "USCC_MALFORMED"},
		{"letter in region code", "913A0100M000100Y43", "USCC_MALFORMED"},
		{"multibyte", "９1350100M000100Y4", "USCC_MALFORMED"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := ValidateUSCC(c.uscc)
			if c.reason == "" {
				if err != nil {
					t.Fatalf("ValidateUSCC(%q) = %v, want valid", c.uscc, err)
				}
				return
			}
			de, ok := err.(*Error)
			if !ok || de.Reason != c.reason || de.Kind != KindInvalid {
				t.Fatalf("ValidateUSCC(%q) = %#v, want reason %s", c.uscc, err, c.reason)
			}
			if de.Message == "" {
				t.Fatal("empty message")
			}
		})
	}
}

func TestUSCCCheckChar_EveryPrefixHasOneValidCode(t *testing.T) {
	prefix := "91440300MA5F"
	for _, tail := range []string{"00001", "ABCDE", "12345", "XY000"} {
		first17 := prefix + tail
		c, err := USCCCheckChar(first17)
		if err != nil {
			t.Fatal(err)
		}
		valid := 0
		for i := 0; i < len(usccCharset); i++ {
			if ValidateUSCC(first17+string(usccCharset[i])) == nil {
				valid++
			}
		}
		if valid != 1 || ValidateUSCC(first17+string(c)) != nil {
			t.Fatalf("%s: %d valid check chars, computed %c", first17, valid, c)
		}
	}
}

// FuzzValidateUSCC checks that the validator never panics and that whatever it
// accepts is exactly 18 characters of the alphabet with a matching check char.
func FuzzValidateUSCC(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "", "x", "91350100M000100Y4\x00", "９1350100M000100Y4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidateUSCC(s) != nil {
			return
		}
		if len(s) != USCCLength {
			t.Fatalf("accepted %q of length %d", s, len(s))
		}
		c, err := USCCCheckChar(s[:17])
		if err != nil || c != s[17] {
			t.Fatalf("accepted %q with wrong check char", s)
		}
	})
}
