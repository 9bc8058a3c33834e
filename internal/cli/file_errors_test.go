package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

// A file that is not there is said in Chinese, with its name: the
// enterprise's scan of a PNG it mistyped read "open code.png: no such file
// or directory", and receipt verify of a missing receipt the same (a trial
// as an enterprise, 2026-12-06).
func TestFileErrors_SaidInChinese(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.png")
	for _, args := range [][]string{
		{"company", "scan", "--offline", "--as", ourUSCC, "--keys-cache", filepath.Join(dir, "keys.json"), "--png", missing},
		{"receipt", "verify", "--log-key", "127.0.0.1:36749/log+6ddf5fde+AauygA2wVyx5FUvehlnsOVi+DO8bJDpfvze6yNoSEEVK", missing},
	} {
		a, out, errOut := testApp(nil)
		a.run(args)
		got := out.String() + errOut.String()
		if strings.Contains(got, "no such file") || !strings.Contains(got, missing+"：文件或目录不存在") {
			t.Errorf("%v:\n%s", args, got)
		}
	}
}

// A receipt file that cannot be read is not a receipt found not to hold:
// it exits 1, a failure to check, where it exited 3 as if forged (an
// officer's trial, 2026-12-07).
func TestReceiptVerify_FileUnread_NotSaidForged(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.json")
	a, out, errOut := testApp(nil)
	code := a.run([]string{"receipt", "verify", "--log-key", "127.0.0.1:36749/log+6ddf5fde+AauygA2wVyx5FUvehlnsOVi+DO8bJDpfvze6yNoSEEVK", missing})
	if code != exitError || strings.Contains(errOut.String(), "存证不成立") || !strings.Contains(errOut.String(), "1 个文件未能读取") {
		t.Errorf("exit %d, want %d\n%s%s", code, exitError, out.String(), errOut.String())
	}
}
