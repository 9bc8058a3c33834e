package tlog_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruqi/ruqi/internal/tlog"
)

// A rewind of a log the witness holds nothing of names the logs it does
// hold, and says so when there is none: a witness whose one log was just
// let go of answered "（联署过的日志：）", an empty list (a newcomer's trial,
// 2026-12-06).
func TestRewindWitness_UnknownLog_SaysWhichItHolds(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	none := write("none.json", `{"a.test/log":{"size":0,"root":null}}`)
	two := write("two.json", `{"b.test/log":{"size":3,"root":"AAAA"},"a.test/log":{"size":5,"root":"AAAA"}}`)
	for _, c := range []struct {
		path, want string
	}{
		{none, "见证方没有联署过日志 \"x.test/log\" 的检查点（尚未联署过任何日志）"},
		{two, "见证方没有联署过日志 \"x.test/log\" 的检查点（联署过的日志：a.test/log、b.test/log）"},
	} {
		_, err := tlog.RewindWitness(c.path, "x.test/log", "恢复", time.Now())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", filepath.Base(c.path), err, c.want)
		}
	}
}
