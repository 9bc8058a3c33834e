package bolt

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// os names the file in its error already: the store's refusal read "open
// x: open x: permission denied" (an operator's trial, 2026-12-07). A
// directory where the file should be shows it as well as a permission
// would, and runs as root.
func TestOpen_FileErrorNamesThePathOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ruqi.db")
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := Open(path, DefaultOptions())
	if err == nil {
		t.Fatal("opened a directory as the store")
	}
	if n := strings.Count(err.Error(), path); n != 1 {
		t.Errorf("the refusal names the path %d times: %v", n, err)
	}
}
