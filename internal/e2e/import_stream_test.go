package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ruqi/ruqi/internal/sample"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

func sampleNDJSON(t *testing.T) (*ruqiv1.Directory, []byte) {
	t.Helper()
	dir := sampleDirectory(t)
	var out bytes.Buffer
	if err := sample.WriteNDJSON(&out, dir); err != nil {
		t.Fatal(err)
	}
	return dir, out.Bytes()
}

func (s *server) enterpriseKnown(uscc string) bool {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := ruqiv1.NewDirectoryServiceClient(s.conn(s.admin)).GetEnterprise(ctx, &ruqiv1.GetEnterpriseRequest{Uscc: uscc})
	if status.Code(err) == codes.NotFound {
		return false
	}
	if err != nil {
		s.t.Fatalf("GetEnterprise %s: %v", uscc, err)
	}
	return true
}

// An NDJSON directory is imported in chunks and counted whole; the
// progress file is gone once it is done.
func TestAdminImport_NDJSONInChunks(t *testing.T) {
	s := startServer(t)
	dir, nd := sampleNDJSON(t)
	path := filepath.Join(t.TempDir(), "directory.ndjson")
	if err := os.WriteFile(path, nd, 0o600); err != nil {
		t.Fatal(err)
	}
	var resp ruqiv1.ImportDirectoryResponse
	mustUnmarshal(t, s.mustCLI(s.admin, "-o", "json", "admin", "import", path, "--chunk", "37"), &resp)
	if int(resp.GetEnterprises()) != len(dir.GetEnterprises()) || int(resp.GetOfficers()) != len(dir.GetOfficers()) ||
		int(resp.GetAgencies()) != len(dir.GetAgencies()) || int(resp.GetCheckItems()) != len(dir.GetCheckItems()) {
		t.Fatalf("imported %v, want the whole sample directory", &resp)
	}
	if !s.enterpriseKnown(dir.GetEnterprises()[len(dir.GetEnterprises())-1].GetUscc()) {
		t.Fatal("last enterprise of the file not imported")
	}
	if _, err := os.Stat(path + ".progress"); !os.IsNotExist(err) {
		t.Fatalf("progress file left after a complete import: %v", err)
	}
}

// An import that stopped (here: at a bad line) leaves its position; run
// again on the same file it resumes there and does not send again what the
// server acknowledged. A bad line is named by its number, and nothing of
// its chunk is written.
func TestAdminImport_NDJSONResumesAfterFailure(t *testing.T) {
	s := startServer(t)
	dir, nd := sampleNDJSON(t)
	lines := strings.SplitAfter(string(nd), "\n")
	lines = lines[:len(lines)-1] // after the final newline
	bad := len(lines) - 5        // an enterprise near the end
	good := lines[bad]
	broken := strings.Replace(good, `"uscc"`, `"usxx"`, 1)
	if broken == good {
		t.Fatalf("line %d has no uscc: %s", bad+1, good)
	}
	lines[bad] = broken
	path := filepath.Join(t.TempDir(), "directory.ndjson")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	const chunk = 100
	r := s.cli(s.admin, "admin", "import", path, "--chunk", "100")
	if r.exit == 0 || !strings.Contains(r.stderr, "第 "+strconv.Itoa(bad+1)+" 行") {
		t.Fatalf("import with a bad line %d: exit %d, stderr %s", bad+1, r.exit, r.stderr)
	}
	var st struct {
		Offset int64 `json:"offset"`
		Line   int   `json:"line"`
	}
	b, err := os.ReadFile(path + ".progress")
	if err != nil || json.Unmarshal(b, &st) != nil || st.Line != bad/chunk*chunk {
		t.Fatalf("progress after the failure: %s %v, want line %d", b, err, bad/chunk*chunk)
	}
	// The chunk holding the bad line was not written; the one before was.
	ents := dir.GetEnterprises()
	lastGood := ents[len(ents)-(len(lines)-st.Line)-1].GetUscc()
	firstPending := ents[len(ents)-(len(lines)-st.Line)].GetUscc()
	if !s.enterpriseKnown(lastGood) || s.enterpriseKnown(firstPending) {
		t.Fatalf("after the failure: %s known %v (want true), %s known %v (want false)",
			lastGood, s.enterpriseKnown(lastGood), firstPending, s.enterpriseKnown(firstPending))
	}

	// Repair the line in place (same size, same time), so the file is the
	// one the progress belongs to. Each chunk imported appends one event:
	// resuming sends only the chunks from the saved position on.
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	lines[bad] = good
	if err := os.WriteFile(path, []byte(strings.Join(lines, "")), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	events := s.eventCount()
	r = s.cli(s.admin, "-o", "json", "admin", "import", path, "--chunk", "100")
	if r.exit != 0 || !strings.Contains(r.stderr, "从第 "+strconv.Itoa(st.Line+1)+" 行继续") {
		t.Fatalf("resumed import: exit %d\nstdout %s\nstderr %s", r.exit, r.stdout, r.stderr)
	}
	var resp ruqiv1.ImportDirectoryResponse
	mustUnmarshal(t, r.stdout, &resp)
	if int(resp.GetEnterprises()) != len(ents) {
		t.Fatalf("after resuming: %v, want %d enterprises counted in all", &resp, len(ents))
	}
	if got, want := s.eventCount()-events, uint64((len(lines)-st.Line+chunk-1)/chunk); got != want {
		t.Errorf("resuming appended %d import events, want %d (one per chunk after the saved position)", got, want)
	}
	if !s.enterpriseKnown(firstPending) || !s.enterpriseKnown(ents[len(ents)-1].GetUscc()) {
		t.Fatal("the rest of the file was not imported on resuming")
	}
	if _, err := os.Stat(path + ".progress"); !os.IsNotExist(err) {
		t.Fatalf("progress file left after the resumed import: %v", err)
	}
}
