package cli

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/domain"
)

// maxJSONFault bounds, in characters, what a refusal of a file's JSON
// repeats of the file: protojson quotes the offending value whole, a
// megabyte of it for a damaged file.
const maxJSONFault = 200

// jsonFault says why protojson refused text, in at most maxJSONFault
// characters of UTF-8. Text that is not UTF-8 is said in Chinese, with
// where (notUTF8At); protojson would quote the bytes themselves, which no
// terminal shows (found by FuzzParseKeys, 2026-12-06).
func jsonFault(text []byte, err error) string {
	if off := firstNotUTF8(text); off >= 0 {
		line, col := textPosition(text, off)
		return fmt.Sprintf("第 %d 行第 %d 列%s", line, col, notUTF8At(text, off))
	}
	msg := err.Error()
	// protojson writes "proto:" and then a space or, at random, a no-break
	// space, so that nobody matches its text; the prefix says nothing to
	// the reader either way.
	for _, p := range []string{"proto: ", "proto:\u00a0"} {
		msg = strings.TrimPrefix(msg, p)
	}
	return domain.Clip(strings.ToValidUTF8(msg, "\uFFFD"), maxJSONFault)
}

// firstNotUTF8 is the offset of the first byte of b that is not part of a
// UTF-8 character, or -1.
func firstNotUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// textPosition is the line and column, both from 1 and the column in
// characters, of offset off of text, as an editor shows them.
func textPosition(text []byte, off int) (line, col int) {
	line = 1 + bytes.Count(text[:off], []byte{'\n'})
	start := bytes.LastIndexByte(text[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(text[start:off])
}

// notUTF8At says that text at off is not UTF-8, showing the bytes there
// (up to four, until a UTF-8 character): "有不是 UTF-8 编码的字节（0xD5 0xC5）".
func notUTF8At(text []byte, off int) string {
	var hex []string
	for i := off; i < len(text) && i < off+4; i++ {
		if r, size := utf8.DecodeRune(text[i:]); i > off && !(r == utf8.RuneError && size == 1) {
			break
		}
		hex = append(hex, fmt.Sprintf("0x%02X", text[i]))
	}
	return "有不是 UTF-8 编码的字节（" + strings.Join(hex, " ") + "）"
}
