package domain

import (
	"fmt"
	"strings"
)

// usccCharset is the alphabet of GB 32100-2015: digits and upper-case letters
// without I, O, Z, S and V, so that no character can be misread as another.
const usccCharset = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// usccWeights are the position weights 3^(i) mod 31 of GB 32100-2015.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCLength is the length of a unified social credit code (统一社会信用代码).
const USCCLength = 18

// USCCCheckChar computes the 18th character of a USCC from its first 17.
func USCCCheckChar(first17 string) (byte, error) {
	if len(first17) != USCCLength-1 {
		return 0, fmt.Errorf("need 17 characters, got %d", len(first17))
	}
	sum := 0
	for i := 0; i < USCCLength-1; i++ {
		v := strings.IndexByte(usccCharset, first17[i])
		if v < 0 {
			return 0, fmt.Errorf("character %q at position %d is not allowed", first17[i], i+1)
		}
		sum += v * usccWeights[i]
	}
	c := 31 - sum%31
	if c == 31 {
		c = 0
	}
	return usccCharset[c], nil
}

// ValidateUSCC checks a unified social credit code: 18 characters of the
// GB 32100-2015 alphabet, a 6-digit administrative division code in positions
// 3–8, and the check character. It returns an *Error of kind Invalid whose
// message tells the user what is wrong.
func ValidateUSCC(s string) error {
	// Counted and named in characters, not bytes: a full-width character
	// is one character to the person who typed it.
	runes := []rune(s)
	if len(runes) != USCCLength {
		return Invalidf("USCC_MALFORMED", "统一社会信用代码应为18位，收到%d位：%q", len(runes), s)
	}
	for i, r := range runes {
		if r >= 0x80 || strings.IndexByte(usccCharset, byte(r)) < 0 {
			return Invalidf("USCC_MALFORMED", "统一社会信用代码第%d位字符%q不合法（只允许数字和除I、O、Z、S、V以外的大写字母）", i+1, r)
		}
	}
	for i := 2; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return Invalidf("USCC_MALFORMED", "统一社会信用代码第3至8位应为行政区划代码（数字）：%q", s)
		}
	}
	want, _ := USCCCheckChar(s[:17])
	if s[17] != want {
		return Invalidf("USCC_CHECK_CHAR", "统一社会信用代码校验位错误：%q 的第18位应为 %c，请核对后重新输入", s, want)
	}
	return nil
}

// USCCRegion returns the administrative division code inside a valid USCC.
func USCCRegion(uscc string) string { return uscc[2:8] }
