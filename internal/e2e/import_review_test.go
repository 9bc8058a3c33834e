package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// Two NDJSON files concatenated (cat a.ndjson b.ndjson) where the first
// lacks its final newline: the last record of a and the first of b share a
// line. The import must fail naming the line, or import both; it must not
// report success while dropping one (it did: found by a read-only review,
// 2026-12-03).
func TestImport_TwoRecordsOnOneLine_Refused(t *testing.T) {
	s := startServer(t)
	dir, nd := sampleNDJSON(t)
	lines := strings.SplitAfter(string(nd), "\n")
	lines = lines[:len(lines)-1]
	n := len(lines)
	// Join the second-to-last line with the last one (no newline between).
	joined := strings.TrimSuffix(lines[n-2], "\n") + lines[n-1]
	lines = append(lines[:n-2], joined)
	path := filepath.Join(t.TempDir(), "directory.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	r := s.cli(s.admin, "-o", "json", "admin", "import", path, "--chunk", "100")
	ents := dir.GetEnterprises()
	last := ents[len(ents)-1].GetUscc()
	if r.exit == 0 || !strings.Contains(r.stderr, "多于一条记录") || !strings.Contains(r.stderr, fmt.Sprint(n-1)) {
		t.Errorf("two records on line %d: exit %d, stderr %q; want a refusal naming the line", n-1, r.exit, r.stderr)
	}
	if r.exit == 0 {
		var resp ruqiv1.ImportDirectoryResponse
		mustUnmarshal(t, r.stdout, &resp)
		if !s.enterpriseKnown(last) {
			t.Fatalf("import exited 0 (reported %d of %d enterprises), but enterprise %s on line %d was silently dropped; stderr %q",
				resp.GetEnterprises(), len(ents), last, n-1, r.stderr)
		}
	}
}

// The progress file belongs to the file and to the store it was imported
// into. An import into server A that stopped, then the same command against
// server B (A's data wiped and the server started afresh, or staging then
// production), used to resume at A's position: B never got the first part.
// It is refused now, and --restart imports the whole file. (Found by a
// read-only review, 2026-12-03.)
func TestImport_ResumeAgainstAnotherServer_Refused(t *testing.T) {
	a := startServer(t)
	dir, nd := sampleNDJSON(t)
	lines := strings.SplitAfter(string(nd), "\n")
	lines = lines[:len(lines)-1]
	bad := len(lines) - 5
	good := lines[bad]
	lines[bad] = strings.Replace(good, `"uscc"`, `"usxx"`, 1)
	path := filepath.Join(t.TempDir(), "directory.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := a.cli(a.admin, "admin", "import", path, "--chunk", "100"); r.exit == 0 {
		t.Fatal("bad line accepted")
	}
	fi, _ := os.Stat(path)
	lines[bad] = good
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(path, fi.ModTime(), fi.ModTime())

	b := startServer(t)
	r := b.cli(b.admin, "-o", "json", "admin", "import", path, "--chunk", "100")
	if r.exit == 0 || !strings.Contains(r.stderr, "--restart") {
		t.Fatalf("resuming A's import against B: exit %d, stderr %q; want a refusal that says --restart", r.exit, r.stderr)
	}
	r = b.cli(b.admin, "-o", "json", "admin", "import", path, "--chunk", "100", "--restart")
	if r.exit != 0 {
		t.Fatalf("import into B with --restart: exit %d %s", r.exit, r.stderr)
	}
	var resp ruqiv1.ImportDirectoryResponse
	mustUnmarshal(t, r.stdout, &resp)
	first := dir.GetEnterprises()[0].GetUscc()
	if !b.enterpriseKnown(first) {
		t.Fatalf("server B: import exited 0 reporting %d agencies, %d officers, %d enterprises, but enterprise %s (and every record before line %d) is missing; stderr %q",
			resp.GetAgencies(), resp.GetOfficers(), resp.GetEnterprises(), first, bad/100*100+1, strings.TrimSpace(r.stderr))
	}
}
