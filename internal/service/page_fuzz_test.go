package service

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/domain"
)

// Page tokens come back from clients: whatever is sent, parsePage answers
// INVALID_ARGUMENT or a page whose size is within bounds, and a token it
// accepts names the position that pageToken encoded, as text a store can
// take as a key (a review, 2026-12-05: NUL or invalid UTF-8 reached
// PostgreSQL and came back as an internal error).
func FuzzParsePage(f *testing.F) {
	f.Add(int32(0), "")
	f.Add(int32(50), pageToken("INS-20261203-ABCDEFGH"))
	f.Add(int32(-1), pageToken("k"))
	f.Add(int32(1<<30), "cDE6")
	f.Add(int32(10), "cDE6\x00")
	f.Add(int32(10), "not base64!")
	f.Add(int32(10), pageToken("L-0\x00x"))
	f.Add(int32(10), pageToken("L-0\xff\xfe"))
	f.Fuzz(func(t *testing.T, size int32, token string) {
		p, err := parsePage(size, token)
		if err != nil {
			if domain.KindOf(err) != domain.KindInvalid {
				t.Fatalf("parsePage(%d, %q): %v, want invalid", size, token, err)
			}
			return
		}
		if p.size < 1 || p.size > maxPageSize {
			t.Fatalf("parsePage(%d, %q): size %d out of 1..%d", size, token, p.size, maxPageSize)
		}
		if len(p.after) > maxPageKey || !utf8.ValidString(p.after) || strings.ContainsRune(p.after, 0) {
			t.Fatalf("parsePage(%d, %q): position %q is not a key", size, token, p.after)
		}
		if token == "" {
			if p.after != "" {
				t.Fatalf("no token, but after %q", p.after)
			}
			return
		}
		again, err := parsePage(size, pageToken(p.after))
		if err != nil || again.after != p.after {
			t.Fatalf("token %q read as %q; its re-encoding as %q, %v", token, p.after, again.after, err)
		}
	})
}
