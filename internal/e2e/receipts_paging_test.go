package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// An enterprise with more receipts than one ListReceipts call returns (200)
// still gets all of them from `ruqi receipt get`: the newest ones (the visit
// it wants to prove today) are not left on the server, and nothing is said
// about it (a trial, 2026-12-06: 250 check-ins saved 200 receipts, the
// oldest, and "已保存 200 份存证").
func TestReceiptGet_MoreThanOneCallHolds_AllSaved(t *testing.T) {
	w := newWorld(t, "-log-interval", "100ms", "-principal-rates", "off")
	reg := w.register("now", "now+2h")
	tok := reg.GetCodes()[0].GetToken()
	ent := ruqiv1.NewEnterpriseServiceClient(w.conn(w.entA))
	// The registration, then 250 scans of the code (the first a check-in,
	// the others repeats), each an event with a receipt.
	const scans = 250
	for i := 0; i < scans; i++ {
		resp, err := ent.ScanCode(context.Background(), &ruqiv1.ScanCodeRequest{Code: tok})
		if err != nil {
			t.Fatalf("scan %d: %v", i, err)
		}
		wantVerdict(t, "scan", resp, ruqiv1.Verdict_VERDICT_VALID)
	}
	last := w.eventCount()
	dir := filepath.Join(t.TempDir(), "receipts")
	var out string
	eventually(t, "every event in the log", func() error {
		out = w.mustCLI(w.entA, "receipt", "get", "--dir", dir)
		if strings.Contains(out, "尚未入日志") {
			return fmt.Errorf("pending:\n%s", out)
		}
		return nil
	})
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) != scans+1 {
		t.Errorf("saved %d receipts, want %d (the registration and %d scans)\n%s", len(files), scans+1, scans, lastLines(out, 2))
	}
	if _, err := os.Stat(filepath.Join(dir, fmt.Sprintf("receipt-%d.json", last))); err != nil {
		t.Errorf("the receipt of the newest event (%d) was not saved: %v\n%s", last, err, lastLines(out, 2))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
