package cli

import (
	"io"
	"strings"
)

// The table printer aligns columns by display width, counting a Chinese
// character as two columns, so that Chinese labels and values line up.

// fields prints label/value pairs, one a line, values aligned. Pairs with
// an empty value are left out.
func fields(w io.Writer, pairs ...[2]string) {
	width := 0
	for _, p := range pairs {
		if p[1] != "" {
			width = max(width, displayWidth(p[0]))
		}
	}
	var b strings.Builder
	for _, p := range pairs {
		if p[1] == "" {
			continue
		}
		b.WriteString(p[0])
		b.WriteString(strings.Repeat(" ", width-displayWidth(p[0])+2))
		b.WriteString(oneLine(p[1]))
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(w, b.String())
}

func kv(label, value string) [2]string { return [2]string{label, value} }

// table is a header and rows, printed with columns two spaces apart.
type table struct {
	header []string
	rows   [][]string
}

func newTable(header ...string) *table { return &table{header: header} }

func (t *table) add(cells ...string) {
	for i, c := range cells {
		cells[i] = oneLine(c)
	}
	t.rows = append(t.rows, cells)
}

func (t *table) write(w io.Writer) {
	widths := make([]int, len(t.header))
	all := append([][]string{t.header}, t.rows...)
	for _, r := range all {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], displayWidth(c))
			}
		}
	}
	var b strings.Builder
	for _, r := range all {
		var line strings.Builder
		for i, c := range r {
			if i >= len(widths) {
				break
			}
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)+2))
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteByte('\n')
	}
	_, _ = io.WriteString(w, b.String())
}

// orDash shows an empty value as "-" inside tables.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
