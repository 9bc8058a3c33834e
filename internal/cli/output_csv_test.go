package cli

import (
	"bytes"
	"strings"
	"testing"
)

// -o csv is for the reports: another command given it printed its table
// without a word (a 司法局 trial, 2026-12-06), which a script reading CSV
// would take as data. It is refused before any call, saying where CSV is.
func TestOutputCSV_OnlyForReports(t *testing.T) {
	for _, args := range [][]string{
		{"-o", "csv", "supervisor", "leads"},
		{"-o", "csv", "admin", "events", "list"},
		{"-o", "csv", "company", "history"},
	} {
		var out, errOut bytes.Buffer
		a, _, _ := testApp(nil)
		a.stdout, a.stderr = &out, &errOut
		code := a.run(append([]string{"--token", "rq_x", "--server", "127.0.0.1:1"}, args...))
		if code != exitUsage || !strings.Contains(errOut.String(), "-o csv 只用于报表") || out.Len() != 0 {
			t.Errorf("ruqi %s: exit %d, %q%q; want a usage error naming the reports", strings.Join(args, " "), code, out.String(), errOut.String())
		}
	}
	// The report takes it (refused here only for want of a server).
	var out, errOut bytes.Buffer
	a, _, _ := testApp(nil)
	a.stdout, a.stderr = &out, &errOut
	if a.run([]string{"--token", "rq_x", "--server", "127.0.0.1:1", "--timeout", "1s", "-o", "csv", "supervisor", "report"}); strings.Contains(errOut.String(), "只用于报表") {
		t.Errorf("the report refused -o csv: %s", errOut.String())
	}
}
