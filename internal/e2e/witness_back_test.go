package e2e

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A witness that is down delays only its cosignatures (docs/SECURITY.md):
// once it is back, the log's latest checkpoint is cosigned and a receipt
// fetched then meets the witness policy. Here the last step of the day (a
// complaint) is integrated while the witness restarts; nothing happens
// after it, and the checkpoint that holds the complaint stays bare: the
// enterprise's receipt of it fails `receipt verify` (exit 3, 见证签名不足)
// until some other event happens to be recorded.
func TestLog_WitnessBackAfterTheLastEvent_CheckpointCosigned(t *testing.T) {
	dataDir := t.TempDir()
	logKey := newLogKey(t, filepath.Join(dataDir, "log.key"))
	wit := startWitness(t, logKey)
	policy := filepath.Join(dataDir, "witnesses.txt")
	wit.writePolicy(policy)
	w := newWorld(t, "-log-key-file", filepath.Join(dataDir, "log.key"), "-witness-policy", policy, "-log-interval", "100ms", "-principal-rates", "off")
	w.register("now+1h", "now+2h")
	receiptsVerify := witnessedReceipts(t, w, logKey, policy)
	eventually(t, "the registration's receipt, witnessed", receiptsVerify)

	// The witness restarts (an update, a reboot) just as the enterprise
	// complains; it comes back on the same address.
	u, err := url.Parse(wit.url)
	if err != nil {
		t.Fatal(err)
	}
	wit.stop()
	w.mustCLI(w.entA, "company", "complain", "--officer", "自称王某", "--description", "未出示入企码")
	eventually(t, "the complaint in the log", func() error {
		out := w.mustCLI(w.entA, "receipt", "get", "--dir", t.TempDir())
		if strings.Contains(out, "尚未入日志") || !strings.Contains(out, "企业投诉") {
			return fmt.Errorf("not yet:\n%s", out)
		}
		return nil
	})
	restartWitnessAt(wit, u.Host)

	eventually(t, "the complaint's receipt, witnessed once the witness is back", receiptsVerify)
}

// restartWitnessAt starts a stopped witness again on its key and state, at
// the address the log's witness policy names.
func restartWitnessAt(w *witnessProc, addr string) {
	w.t.Helper()
	ready := filepath.Join(w.dir, "ready")
	os.Remove(ready)
	w.log = &bytes.Buffer{}
	w.cmd = exec.Command(filepath.Join(binDir, "ruqi"), "witness", "serve", "--listen", addr, "--key-file", filepath.Join(w.dir, "witness.key"),
		"--log-key", w.logKey, "--state", w.state(), "--ready-file", ready)
	w.cmd.Stdout, w.cmd.Stderr = w.log, w.log
	if err := w.cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if b, err := os.ReadFile(ready); err == nil && len(b) > 0 {
			w.url = "http://" + string(b)
			return
		}
		if time.Now().After(deadline) {
			w.t.Fatalf("witness did not start again at %s:\n%s", addr, w.log)
		}
	}
}

// witnessedReceipts fetches, at w, every receipt of enterprise A and
// verifies them against the log key and the witness policy: nil once all
// do, for eventually.
func witnessedReceipts(t *testing.T, w *world, logKey, policy string) func() error {
	return func() error {
		dir := t.TempDir()
		out := w.mustCLI(w.entA, "receipt", "get", "--dir", dir)
		if strings.Contains(out, "尚未入日志") {
			return errors.New("pending")
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
		if len(files) == 0 {
			return errors.New("no receipt yet")
		}
		args := append([]string{"receipt", "verify", "--log-key", logKey, "--witness-policy", policy}, files...)
		if r := w.cli("", args...); r.exit != 0 {
			return fmt.Errorf("receipt verify: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	}
}
