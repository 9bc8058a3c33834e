package tlog

import (
	"strings"
	"testing"
	"unicode"
)

// A log key that is not one is said in Chinese, with what one looks like:
// note's own reasons ("invalid verifier hash") were passed on (a trial as an
// enterprise, 2026-12-06).
func TestNewVerifier_MalformedKey_SaidInChinese(t *testing.T) {
	for _, key := range []string{"", "x+00000000+AAAA", "ruqi.example/log", "ruqi.example/log+zzzz+AQ"} {
		_, err := NewVerifier(key, nil)
		if err == nil {
			t.Fatalf("key %q accepted", key)
		}
		msg := err.Error()
		if !strings.Contains(msg, "日志公钥无效") || !strings.Contains(msg, "日志名称+8位十六进制哈希+公钥") {
			t.Errorf("key %q: %q", key, msg)
		}
		for _, w := range strings.FieldsFunc(msg, func(r rune) bool { return !unicode.IsLetter(r) || r > unicode.MaxASCII }) {
			if w == "invalid" || w == "verifier" || w == "malformed" {
				t.Errorf("key %q: the message has English %q: %s", key, w, msg)
			}
		}
	}
}
