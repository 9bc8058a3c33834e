package e2e

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ruqi-server -version answered "flag provided but not defined" (an
// operator's trial, 2026-12-06). It prints what `ruqi version` prints, the
// program's name aside: both binaries are built from one module.
func TestServer_Version_AsTheCLIsays(t *testing.T) {
	out, err := exec.Command(filepath.Join(binDir, "ruqi-server"), "-version").CombinedOutput()
	if err != nil {
		t.Fatalf("ruqi-server -version: %v\n%s", err, out)
	}
	cli, err := exec.Command(filepath.Join(binDir, "ruqi"), "version").CombinedOutput()
	if err != nil {
		t.Fatalf("ruqi version: %v\n%s", err, cli)
	}
	server, client := strings.TrimSpace(string(out)), strings.TrimSpace(string(cli))
	if !strings.HasPrefix(server, "ruqi-server ") || !strings.Contains(server, " go1.") {
		t.Fatalf("ruqi-server -version printed %q, want ruqi-server, the version and Go's", server)
	}
	if strings.TrimPrefix(server, "ruqi-server ") != strings.TrimPrefix(client, "ruqi ") {
		t.Errorf("ruqi-server -version says %q, ruqi version %q: the same build, told apart", server, client)
	}
}
