package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.invalid", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.invalid")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// tools/buf-breaking.sh, which tools/test.sh runs in CI, fails a change that
// breaks the API against the previous state of main and passes one that
// does not; a clone with a single commit has nothing to compare and passes.
func TestCI_BufBreaking_AgainstPreviousMain(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Fatal("git is needed")
	}
	clone := filepath.Join(t.TempDir(), "ruqi")
	git(t, repoRoot(), "clone", "-q", "--no-hardlinks", repoRoot(), clone)
	git(t, clone, "checkout", "-q", "-b", "change")
	run := func(dir string) (string, error) {
		cmd := exec.Command(filepath.Join(dir, "tools", "buf-breaking.sh"))
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	proto := filepath.Join(clone, "proto", "ruqi", "v1", "enterprise.proto")
	orig, err := os.ReadFile(proto)
	if err != nil {
		t.Fatal(err)
	}
	commit := func(src string) {
		if err := os.WriteFile(proto, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
		git(t, clone, "commit", "-q", "-am", "change the API")
	}

	// Compatible: a new field.
	commit(strings.Replace(string(orig), "  string reason = 3;\n", "  string reason = 3;\n  string extra_note = 99;\n", 1))
	if out, err := run(clone); err != nil {
		t.Fatalf("a new field was refused: %v\n%s", err, out)
	}
	// Breaking: a field renamed (JSON) and retyped (wire).
	commit(strings.Replace(string(orig), "  string reason = 3;\n", "  int64 grounds = 3;\n", 1))
	if out, err := run(clone); err == nil {
		t.Fatalf("a breaking change passed:\n%s", out)
	}

	// A repository whose only commit is this one: nothing to compare.
	single := filepath.Join(t.TempDir(), "single")
	git(t, repoRoot(), "clone", "-q", "--depth", "1", "file://"+clone, single)
	os.RemoveAll(filepath.Join(single, ".git", "shallow"))
	git(t, single, "remote", "remove", "origin")
	if out, err := run(single); err != nil || !strings.Contains(out, "nothing to check") && !strings.Contains(out, "buf breaking against") {
		t.Fatalf("single-commit clone: %v\n%s", err, out)
	}
}
