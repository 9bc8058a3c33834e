package e2e

import (
	"os/exec"
	"path/filepath"
	"regexp"
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

// Every flag the server's help names exists: -principal-rates said
// "shared through Redis with -redis", a flag that is -redis-addr.
func TestServer_Help_NamesOnlyItsFlags(t *testing.T) {
	out, _ := exec.Command(filepath.Join(binDir, "ruqi-server"), "-h").CombinedOutput()
	defined := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(out), -1) {
		defined[m[1]] = true
	}
	if len(defined) < 30 {
		t.Fatalf("found %d flags in the help:\n%s", len(defined), out)
	}
	for _, m := range regexp.MustCompile(`(?m)^\s+\S.*$`).FindAllString(string(out), -1) {
		if strings.HasPrefix(m, "  -") {
			continue // a flag's own line
		}
		for _, ref := range regexp.MustCompile(`(?:^|[\s(,;])-([a-z][a-z0-9-]*)`).FindAllStringSubmatch(m, -1) {
			if !defined[ref[1]] {
				t.Errorf("the help names -%s, which is no flag: %s", ref[1], strings.TrimSpace(m))
			}
		}
	}
}
