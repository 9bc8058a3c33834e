package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// runServerExpectingFailure starts the server on dataDir and expects it to
// exit on its own with an error; it returns what the server logged.
func runServerExpectingFailure(t *testing.T, dataDir string) string {
	t.Helper()
	cmd := exec.Command(filepath.Join(binDir, "ruqi-server"), "-data-dir", dataDir,
		"-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0", "-ready-file", filepath.Join(dataDir, "ready.json"))
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("server exited 0, want a failure:\n%s", log.String())
		}
	case <-time.After(20 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("server kept running, want it to refuse to start:\n%s", log.String())
	}
	if _, err := os.Stat(filepath.Join(dataDir, "ready.json")); err == nil {
		t.Errorf("server wrote its ready file before refusing to start")
	}
	return log.String()
}

// An admin.token that came back empty after a crash must stop the start with
// a message that says what to do, instead of registering the hash of "" (which
// made a blank bearer token an administrator).
func TestServer_EmptyAdminTokenFile_RefusesToStart(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "admin.token"), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	log := runServerExpectingFailure(t, dir)
	if !strings.Contains(log, "admin token file") || !strings.Contains(log, "empty") {
		t.Errorf("log does not say the token file is empty:\n%s", log)
	}
}

// A first start leaves a complete token file of mode 0600 and no temporary
// file beside it.
func TestServer_FirstStart_WritesTokenFileWhole(t *testing.T) {
	s := startServer(t)
	fi, err := os.Stat(filepath.Join(s.dataDir, "admin.token"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("admin.token mode %v, want 0600", fi.Mode().Perm())
	}
	if !strings.HasPrefix(s.admin, "rq_") || len(s.admin) < 40 {
		t.Errorf("admin token %q is not a whole token", s.admin)
	}
	left, _ := filepath.Glob(filepath.Join(s.dataDir, ".admin.token.tmp-*"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
