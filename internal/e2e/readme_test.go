package e2e

import (
	"bytes"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeWalkthrough returns the shell blocks of the README's section "One
// inspection, from 报备 to 扫码, with the CLI", in order.
func readmeWalkthrough(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "## One inspection, from 报备 to 扫码, with the CLI")
	if !ok {
		t.Fatal("README has no walkthrough section")
	}
	if i := strings.Index(section, "\n## "); i >= 0 {
		section = section[:i]
	}
	var blocks []string
	for {
		_, rest, ok := strings.Cut(section, "```sh\n")
		if !ok {
			break
		}
		block, after, _ := strings.Cut(rest, "```")
		blocks = append(blocks, block)
		section = after
	}
	return blocks
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The README's walkthrough works as written: its commands run one after the
// other in bash, stopping at the first that fails, against the binaries built
// from this tree (the block's go build line is what TestMain did), on free
// ports in place of 7400 and 7480.
func TestREADME_Walkthrough_RunsAsWritten(t *testing.T) {
	blocks := readmeWalkthrough(t)
	if len(blocks) != 2 {
		t.Fatalf("found %d shell blocks in the walkthrough, want 2", len(blocks))
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ruqi-server", "ruqi"} {
		if err := os.Symlink(filepath.Join(binDir, name), filepath.Join(dir, "bin", name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(repoRoot(), "testdata"), filepath.Join(dir, "testdata")); err != nil {
		t.Fatal(err)
	}
	grpcAddr, httpAddr := freeAddr(t), freeAddr(t)
	var script strings.Builder
	script.WriteString("set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true; wait' EXIT\n")
	built := false
	for _, b := range blocks {
		for _, line := range strings.SplitAfter(b, "\n") {
			if strings.HasPrefix(line, "go build ") {
				built = true
				continue
			}
			line = strings.ReplaceAll(line, "127.0.0.1:7400", grpcAddr)
			script.WriteString(strings.ReplaceAll(line, "127.0.0.1:7480", httpAddr))
		}
	}
	if !built {
		t.Fatal("the walkthrough no longer builds the binaries: update this test")
	}
	cmd := exec.Command("bash", "-c", script.String())
	cmd.Dir = dir
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "RUQI_") {
			env = append(env, e)
		}
	}
	// A home of its own: the CLI keeps the keys and the last checkpoint it
	// saw in the user's cache, which must not carry over from another log.
	home := filepath.Join(dir, "home")
	cmd.Env = append(env, "RUQI_GRPC_ADDR="+grpcAddr, "RUQI_HTTP_ADDR="+httpAddr, "HOME="+home, "XDG_CACHE_HOME="+filepath.Join(home, ".cache"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the walkthrough failed: %v\n%s", err, out.String())
		}
	case <-time.After(2 * time.Minute):
		_ = cmd.Process.Kill()
		t.Fatalf("the walkthrough did not finish:\n%s", out.String())
	}
	for _, want := range []string{"核验通过", "检查已办结", "问题线索", "完好"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("walkthrough output lacks %q:\n%s", want, out.String())
		}
	}
}
