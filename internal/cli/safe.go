package cli

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/domain"
)

// A server's text reaches the terminal through what the command line
// prints: an officer's reason, a complaint, an enterprise's name. Text
// stored before the server refused control characters
// (domain.ControlIn), or from a server that does not, could move the
// cursor over a verdict and print another (a review, 2026-12-05). So what
// goes to standard output is written through safeWriter, and the cells of
// tables and the values of fields are kept to one line (oneLine).

// safeWriter writes what it is given with every control character that
// changes how text is shown (domain.ControlIn), and carriage return,
// replaced by its escape \uXXXX: visible on a terminal, and the same
// character inside a JSON string.
type safeWriter struct{ w io.Writer }

func (s safeWriter) Write(p []byte) (int, error) {
	if !needsEscape(p) {
		return s.w.Write(p)
	}
	n := len(p)
	var b strings.Builder
	for len(p) > 0 {
		r, size := utf8.DecodeRune(p)
		if escaped(r) && !(r == utf8.RuneError && size == 1) {
			fmt.Fprintf(&b, `\u%04x`, r)
		} else {
			b.Write(p[:size])
		}
		p = p[size:]
	}
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return 0, err
	}
	return n, nil
}

func escaped(r rune) bool { return domain.IsControl(r) || r == '\r' }

func needsEscape(p []byte) bool {
	for _, c := range p {
		// Every character escaped is below 0x20 or encoded with a lead
		// byte of 0x7f (DEL), 0xc2 (C1) or 0xe2 (the bidirectional ones).
		if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f || c == 0xc2 || c == 0xe2 {
			return true
		}
	}
	return false
}

// oneLine keeps a value to its line of a table or a list of fields: a line
// break in it would print a row of its own.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r\n", " ↵ ", "\n", " ↵ ", "\r", " ↵ ").Replace(s)
}
