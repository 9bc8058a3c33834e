package bolt

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Found by a trial of the operator's year (2026-12-06).
//
// A ruqi.db one of whose pages the disk damaged (here the root page of the
// file's buckets, which Open reads first; in a trial, the file's last page)
// is refused
// by Open with an error that names the file and says what to do (restore
// a backup), as a log that does not fit the file is: the server prints it
// and exits. It panicked inside bbolt ("assertion failed: Page expected to
// be: 392, but self identifies as …") with a Go stack trace instead.
func TestOpen_DamagedPage_ErrorNotPanic(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	s := openAt(t, path)
	writeSome(t, s, 0, 30)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The root bucket's page of the newer meta page.
	pageSize := int(binary.LittleEndian.Uint32(b[metaOffPgSize:]))
	meta := 0
	if binary.LittleEndian.Uint64(b[pageSize+metaOffTxid:]) > binary.LittleEndian.Uint64(b[metaOffTxid:]) {
		meta = pageSize
	}
	root := int(binary.LittleEndian.Uint64(b[meta+metaOffRoot:]))
	for i := range pageSize {
		b[root*pageSize+i] = byte(i*7 + 13)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var r *Store
	func() {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("panic: %v", p)
				t.Errorf("Open of a file with a damaged page (%d) panicked: %v", root, p)
			}
		}()
		r, err = Open(path, DefaultOptions())
	}()
	if err == nil {
		r.Close()
		t.Fatalf("Open of a file with a damaged page (%d) succeeded", root)
	}
	if strings.HasPrefix(err.Error(), "panic") {
		return
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("the error does not name the file: %v", err)
	}
}
