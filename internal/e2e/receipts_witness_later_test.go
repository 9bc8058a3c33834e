package e2e

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A province adds a witness policy after it has been running: an
// enterprise's receipts fetched before hold a checkpoint the log signed
// alone. After `ruqi keys fetch --accept-change` took the policy, every
// such receipt read "检查点的见证签名不足" and exit 3, offline, with
// --online, and on the page /receipts/check, with nothing the enterprise
// could do (an enterprise's trial, 2026-12-07). Online, and on the page,
// it holds once the log's latest checkpoint, cosigned, is proved to extend
// the receipt's; offline it still does not, and says why and what to run.
// An altered receipt still fails.
func TestReceipt_FromBeforeTheWitnessPolicy_HeldToTheWitnessedLog(t *testing.T) {
	needsBolt(t)
	keyDir := t.TempDir()
	logKeyFile := filepath.Join(keyDir, "log.key")
	logKey := newLogKey(t, logKeyFile)
	w := newWorld(t, "-log-key-file", logKeyFile, "-log-interval", "100ms")
	reg := w.register("now", "now+2h")
	resp, _ := w.scan(w.entA, reg.GetCodes()[0].GetToken())
	if resp == nil {
		t.Fatal("no scan answer")
	}
	w.mustCLI("", "keys", "fetch")
	receipts := filepath.Join(t.TempDir(), "receipts")
	var scanReceipt string
	eventually(t, "the check-in's receipt, no witness yet", func() error {
		w.mustCLI(w.entA, "receipt", "get", "--dir", receipts, "--inspection", reg.GetInspection().GetId())
		files, _ := filepath.Glob(filepath.Join(receipts, "*.json"))
		for _, f := range files {
			if b, _ := os.ReadFile(f); strings.Contains(string(b), "EVENT_TYPE_SCAN_VERIFIED") {
				scanReceipt = f
			}
		}
		if scanReceipt == "" {
			return fmt.Errorf("no check-in receipt yet")
		}
		return nil
	})
	w.mustCLI("", "receipt", "verify", scanReceipt)
	b, _ := os.ReadFile(scanReceipt)
	forged := filepath.Join(t.TempDir(), "forged.json")
	if err := os.WriteFile(forged, bytes.Replace(b, []byte("EVENT_TYPE_SCAN_VERIFIED"), []byte("EVENT_TYPE_REFUSED"), 1), 0o644); err != nil {
		t.Fatal(err)
	}

	// The witness policy, added later; the enterprise takes it.
	wit := startWitness(t, logKey)
	policy := filepath.Join(keyDir, "witnesses.txt")
	wit.writePolicy(policy)
	w.args = append(w.args, "-witness-policy", policy)
	w.restart()
	if r := w.cli("", "keys", "fetch"); r.exit != 3 {
		t.Fatalf("keys fetch after the policy was added: exit %d, want 3\n%s%s", r.exit, r.stdout, r.stderr)
	}
	w.mustCLI("", "keys", "fetch", "--accept-change")

	// Offline: it does not hold, and says why and what to do.
	r := w.cli("", "receipt", "verify", scanReceipt)
	if r.exit != 3 || !strings.Contains(r.stdout, "没有见证策略要求的见证签名") || !strings.Contains(r.stdout, "--online") {
		t.Fatalf("offline, a receipt from before the policy: exit %d, want 3 saying why and to run --online\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// Online: held to the witnessed log.
	eventually(t, "the receipt from before the policy, held online to the witnessed log", func() error {
		r := w.cli("", "receipt", "verify", "--online", scanReceipt)
		if r.exit != 0 || !strings.Contains(r.stdout, "经见证方联署") {
			return fmt.Errorf("exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	})
	// The page, as --online.
	page := postReceipt(t, "http://"+w.httpAddr+"/receipts/check", scanReceipt)
	if !strings.Contains(page, "存证成立") || !strings.Contains(page, "没有见证签名") {
		t.Fatalf("/receipts/check, a receipt from before the policy:\n%s", page)
	}
	// An altered receipt from before the policy still fails, both ways.
	if r := w.cli("", "receipt", "verify", "--online", forged); r.exit != 3 || !strings.Contains(r.stdout, "存证被改动") {
		t.Fatalf("altered receipt, --online: exit %d, want 3\n%s%s", r.exit, r.stdout, r.stderr)
	}
	if page := postReceipt(t, "http://"+w.httpAddr+"/receipts/check", forged); !strings.Contains(page, "存证不成立") {
		t.Fatalf("/receipts/check, an altered receipt:\n%s", page)
	}
}

// postReceipt uploads a receipt file to the page /receipts/check as a
// phone's browser does, and returns the page.
func postReceipt(t *testing.T, url, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("receipt", filepath.Base(file))
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(b)
	mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return string(out)
}
