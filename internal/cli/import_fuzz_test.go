package cli

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A directory file is read line by line: whatever the bytes, the lines
// readLine returns put back together are the file, unless a line is over
// maxDirectoryLine, which is an error.
func FuzzReadLine(f *testing.F) {
	f.Add([]byte("{\"agency\":{}}\n{\"enterprise\":{}}"), 3)
	f.Add([]byte("\n\n\r\n"), 1)
	f.Add(bytes.Repeat([]byte("x"), 100), 16)
	f.Fuzz(func(t *testing.T, data []byte, long int) {
		// A line longer than the limit, somewhere, when asked.
		if long > 0 && long < 64 {
			data = append(append(data[:len(data)/2:len(data)/2], bytes.Repeat([]byte{'y'}, maxDirectoryLine+long)...), data[len(data)/2:]...)
		}
		r := bufio.NewReaderSize(bytes.NewReader(data), 16)
		var got []byte
		longest, cur := 0, 0
		for _, c := range data {
			cur++
			if c == '\n' {
				longest, cur = max(longest, cur), 0
			}
		}
		longest = max(longest, cur)
		for {
			line, err := readLine(r)
			if err != nil && !errors.Is(err, io.EOF) {
				if longest <= maxDirectoryLine {
					t.Fatalf("lines of at most %d bytes: %v", longest, err)
				}
				return
			}
			if len(line) > maxDirectoryLine || (len(line) > 0 && bytes.IndexByte(line, '\n') != len(line)-1 && err == nil) {
				t.Fatalf("a line of %d bytes, its end at %d", len(line), bytes.IndexByte(line, '\n'))
			}
			got = append(got, line...)
			if err != nil {
				break
			}
		}
		if longest > maxDirectoryLine {
			t.Fatalf("a line of %d bytes read without error", longest)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("lines put back together differ from the file")
		}
	})
}

// A line of the directory is one record of one kind, or an error that adds
// nothing to the batch.
func FuzzAddDirectoryLine(f *testing.F) {
	for _, s := range []string{
		`{"agency":{"id":"AG-01","name":"市场监管局","regionCode":"510100"}}`,
		`{"enterprise":{"uscc":"91510104CY4C7RGWMR","name":"某公司","regionCode":"510104","creditGrade":"CREDIT_GRADE_A"}}`,
		`{"officer":{"id":"O-1"},"agency":{"id":"AG-1"}}`,
		`{"check_item":{"id":"CI-1","legalBasis":{"law":"法"}}}`,
		`{"officer":{"id":1}}`, `{"other":{}}`, `[]`, `{"agency":null}`,
		"{\"officer\":{\"id\":\"O-1\",\"name\":\"\xd5\xc5三\"}}", "{\"agency\":{\"id\":\"AG-1\"}}\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		d := &ruqiv1.Directory{}
		err := addDirectoryLine(d, raw)
		n := len(d.GetAgencies()) + len(d.GetOfficers()) + len(d.GetEnterprises()) + len(d.GetCheckItems())
		switch {
		case err != nil && n != 0:
			t.Fatalf("%q: error %v, and %d records added", raw, err, n)
		case err == nil && n != 1:
			t.Fatalf("%q: %d records added, want 1", raw, n)
		case err != nil && !utf8.Valid(raw) && !strings.Contains(err.Error(), "不是 UTF-8"):
			// Said in Chinese, not with protojson's English.
			t.Fatalf("%q, not UTF-8: refused as %v", raw, err)
		case err != nil && !utf8.ValidString(err.Error()):
			t.Fatalf("%q: a refusal that is not UTF-8: %q", raw, err)
		}
	})
}
