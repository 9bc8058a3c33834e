package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	sumtlog "golang.org/x/mod/sumdb/tlog"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/store"
	"github.com/ruqi/ruqi/internal/store/bolt"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// witnessProc is a `ruqi witness serve` process: the 司法局's witness.
type witnessProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	log    *bytes.Buffer
	url    string
	vkey   string
	dir    string // its key, state and ready file
	logKey string
}

func startWitness(t *testing.T, logKey string) *witnessProc {
	t.Helper()
	dir := t.TempDir()
	key := filepath.Join(dir, "witness.key")
	out, err := exec.Command(filepath.Join(binDir, "ruqi"), "witness", "keygen", "--name", "sifaju.test", "--key-file", key).Output()
	if err != nil {
		t.Fatalf("witness keygen: %v", err)
	}
	w := &witnessProc{t: t, vkey: strings.TrimSpace(string(out)), dir: dir, logKey: logKey}
	w.start()
	t.Cleanup(w.stop)
	return w
}

func (w *witnessProc) state() string { return filepath.Join(w.dir, "state.json") }

// writePolicy writes a witness policy (-witness-policy) that asks this
// witness, where it listens now, to cosign.
func (w *witnessProc) writePolicy(path string) {
	w.t.Helper()
	if err := os.WriteFile(path, []byte(fmt.Sprintf("witness sfj %s %s\nquorum sfj\n", w.vkey, w.url)), 0o644); err != nil {
		w.t.Fatal(err)
	}
}

// newLogKey makes the Merkle log's key at path before the server starts,
// so that a witness can be told it (as a province configures both), and
// returns its verifier key.
func newLogKey(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command(filepath.Join(binDir, "ruqi"), "witness", "keygen", "--name", "ruqi.test/log", "--key-file", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

// start starts the witness on its key and state, on a new port.
func (w *witnessProc) start() {
	w.t.Helper()
	ready := filepath.Join(w.dir, "ready")
	os.Remove(ready)
	w.log = &bytes.Buffer{}
	w.cmd = exec.Command(filepath.Join(binDir, "ruqi"), "witness", "serve", "--listen", "127.0.0.1:0", "--key-file", filepath.Join(w.dir, "witness.key"),
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
			w.t.Fatalf("witness did not start:\n%s", w.log)
		}
	}
}

// stop stops it with SIGTERM and waits; a stopped witness stays stopped.
func (w *witnessProc) stop() {
	if w.cmd == nil {
		return
	}
	w.cmd.Process.Signal(syscall.SIGTERM)
	w.cmd.Wait()
	w.cmd = nil
}

// eventually retries f until it returns nil, for what the log does every
// few seconds (integration, witnessing); bounded by count, not asserted on
// time.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	// The bound is generous: on a loaded shared machine a replica's
	// background loop (the sequencer's retry, the integrator) can be late by
	// seconds, and no test asserts on time.
	var err error
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if err = f(); err == nil {
			return
		}
		if time.Now().After(deadline) {
			break
		}
	}
	t.Fatalf("%s: %v", what, err)
}

// The log from the outside: an enterprise's receipts verify offline with the
// log's key and the witness's cosignature; `log verify` sees the log grow;
// `admin events verify` holds the events to the latest checkpoint; and each
// kind of tampering with the real bbolt file is caught.
func TestLog_ReceiptsWitnessAndTampering(t *testing.T) {
	needsBolt(t)
	dataDir := t.TempDir()
	logKey := newLogKey(t, filepath.Join(dataDir, "log.key"))
	wit := startWitness(t, logKey)
	policy := filepath.Join(dataDir, "witnesses.txt")
	wit.writePolicy(policy)

	w := newWorld(t, "-log-key-file", filepath.Join(dataDir, "log.key"), "-witness-policy", policy, "-log-interval", "100ms")
	reg := w.register("now", "now+2h")
	tok := reg.GetCodes()[0].GetToken()
	resp, _ := w.scan(w.entA, tok)
	wantVerdict(t, "scan", resp, ruqiv1.Verdict_VERDICT_VALID)

	w.mustCLI("", "keys", "fetch")
	receipts := filepath.Join(t.TempDir(), "receipts")
	var scanReceipt string
	eventually(t, "receipt of the check-in, witnessed", func() error {
		out := w.mustCLI(w.entA, "receipt", "get", "--dir", receipts, "--inspection", reg.GetInspection().GetId())
		files, _ := filepath.Glob(filepath.Join(receipts, "*.json"))
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if strings.Contains(string(b), "EVENT_TYPE_SCAN_VERIFIED") {
				scanReceipt = f
			}
		}
		if scanReceipt == "" {
			return fmt.Errorf("no check-in receipt yet:\n%s", out)
		}
		if r := w.cli("", "receipt", "verify", scanReceipt); r.exit != 0 {
			return fmt.Errorf("verify: exit %d %s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	})
	independentlyVerified(t, scanReceipt, logKey)
	// What the front desk reads: whose event, what it recorded, who
	// cosigned, and what a receipt does not prove (a trial of the 司法局's
	// witness, 2026-12-07: none of it was said).
	verified := w.mustCLI("", "receipt", "verify", scanReceipt)
	for _, want := range []string{"企业 " + w.f.entA + " 的事件", "经见证方 sifaju.test 联署", "记录内容：", "不能证明所记内容属实"} {
		if !strings.Contains(verified, want) {
			t.Errorf("receipt verify lacks %q:\n%s", want, verified)
		}
	}
	// Another enterprise gets none of A's receipts.
	other := w.cli(w.entB, "receipt", "get", "--dir", t.TempDir(), "--inspection", reg.GetInspection().GetId())
	if other.exit == 0 {
		t.Fatalf("enterprise B fetched A's receipts:\n%s", other.stdout)
	}
	// A receipt with one changed byte does not verify (exit 3).
	b, _ := os.ReadFile(scanReceipt)
	forged := filepath.Join(t.TempDir(), "forged.json")
	os.WriteFile(forged, bytes.Replace(b, []byte("enterprise:"), []byte("enterprisf:"), 1), 0o644)
	if r := w.cli("", "receipt", "verify", forged); r.exit != 3 {
		t.Fatalf("forged receipt: exit %d, want 3\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// With -o json: one verdict per file, in order, and the same exit code.
	r := w.cli("", "-o", "json", "receipt", "verify", scanReceipt, forged)
	var verdicts struct {
		Receipts []struct {
			File, Type, Error string
			Valid             bool
			Seq               uint64
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &verdicts); err != nil || r.exit != 3 || len(verdicts.Receipts) != 2 {
		t.Fatalf("-o json receipt verify: exit %d, %v\n%s%s", r.exit, err, r.stdout, r.stderr)
	}
	if got := verdicts.Receipts[0]; !got.Valid || got.File != scanReceipt || got.Type != "EVENT_TYPE_SCAN_VERIFIED" || got.Seq == 0 {
		t.Errorf("the genuine receipt: %+v", got)
	}
	if got := verdicts.Receipts[1]; got.Valid || got.File != forged || got.Error == "" {
		t.Errorf("the forged receipt: %+v", got)
	}

	state := filepath.Join(t.TempDir(), "checkpoint")
	w.mustCLI("", "log", "verify", "--state", state)
	w.register("now+3h", "now+5h")
	eventually(t, "log grows and stays consistent", func() error {
		r := w.cli("", "log", "verify", "--state", state)
		if r.exit != 0 || !strings.Contains(r.stdout, "历史未被改写") {
			return fmt.Errorf("exit %d %s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	})
	eventually(t, "events verify against the latest checkpoint", func() error {
		r := w.cli(w.admin, "-o", "json", "admin", "events", "verify")
		var v ruqiv1.VerifyEventLogResponse
		mustUnmarshal(t, r.stdout, &v)
		if r.exit != 0 || v.GetCheckpointSize() != v.GetEvents() {
			return fmt.Errorf("exit %d, %d events, checkpoint %d: %s", r.exit, v.GetEvents(), v.GetCheckpointSize(), r.stderr)
		}
		return nil
	})

	// Tampering, each on a copy of the stopped server's file.
	w.stop()
	db := filepath.Join(w.dataDir, "ruqi.db")
	pristine, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}
	tamper := map[string]func(t *testing.T, events *bbolt.Bucket){
		"one byte changed": func(t *testing.T, b *bbolt.Bucket) {
			e := getEvent(t, b, 3)
			e.Detail += "x"
			putEvent(t, b, e)
		},
		"one deleted": func(t *testing.T, b *bbolt.Bucket) { b.Delete(seqKey(3)) },
		"two reordered": func(t *testing.T, b *bbolt.Bucket) {
			e3, e4 := getEvent(t, b, 3), getEvent(t, b, 4)
			e3.Seq, e4.Seq = 4, 3
			putEvent(t, b, e3)
			putEvent(t, b, e4)
		},
		"history rewritten, every hash recomputed": func(t *testing.T, b *bbolt.Bucket) {
			rewriteFrom(t, b, 3, func(e *ruqiv1.Event) { e.Detail += " (改)" })
		},
	}
	for name, f := range tamper {
		t.Run(name, func(t *testing.T) {
			if err := os.WriteFile(db, pristine, 0o600); err != nil {
				t.Fatal(err)
			}
			withEvents(t, db, func(b *bbolt.Bucket) { f(t, b) })
			w.start()
			defer w.stop()
			r := w.cli(w.admin, "admin", "events", "verify")
			if r.exit != 1 || !(strings.Contains(r.stderr, "哈希链") || strings.Contains(r.stderr, "检查点")) {
				t.Fatalf("tampering not reported: exit %d\n%s%s", r.exit, r.stdout, r.stderr)
			}
		})
	}

	// The operator rewrites history and rebuilds the tree and checkpoints
	// with the log's own key: everything looks intact to the server, but
	// the witness refuses to cosign, the enterprise's receipt no longer
	// matches the new tree, and `log verify` catches the fork.
	os.WriteFile(db, pristine, 0o600)
	withEvents(t, db, func(b *bbolt.Bucket) {
		rewriteFrom(t, b, 3, func(e *ruqiv1.Event) { e.Detail += " (改)" })
	})
	wipeTree(t, db)
	w.start()
	eventually(t, "rewritten log re-integrated", func() error {
		r := w.cli(w.admin, "admin", "events", "verify")
		if r.exit != 0 {
			return fmt.Errorf("exit %d %s", r.exit, r.stderr)
		}
		return nil
	})
	eventually(t, "witness refuses the fork", func() error {
		if !strings.Contains(w.log.String(), "422") {
			return fmt.Errorf("server log shows no refusal")
		}
		return nil
	})
	if r := w.cli("", "receipt", "verify", "--online", scanReceipt); r.exit != 3 {
		t.Fatalf("old receipt against the rewritten log: exit %d, want 3\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// With -o json the verdict says the server's log does not extend the
	// one the receipt saw, not only that the receipt does not hold (with
	// the log's key alone: under the witness policy the rewritten log's
	// checkpoint does not even hold, for want of the witness's signature).
	r = w.cli("", "-o", "json", "receipt", "verify", "--online", "--log-key", logKey, "--keys-cache", filepath.Join(t.TempDir(), "none.json"), scanReceipt)
	var online struct {
		Receipts []struct {
			Valid            bool
			ExtendedByServer *bool `json:"extended_by_server"`
		}
	}
	if err := json.Unmarshal([]byte(r.stdout), &online); err != nil || r.exit != 3 || len(online.Receipts) != 1 ||
		online.Receipts[0].Valid || online.Receipts[0].ExtendedByServer == nil || *online.Receipts[0].ExtendedByServer {
		t.Fatalf("-o json receipt verify --online against the rewritten log: exit %d, %v\n%s%s", r.exit, err, r.stdout, r.stderr)
	}
	if r := w.cli("", "log", "verify", "--state", state); r.exit != 3 {
		t.Fatalf("log verify after a rewrite: exit %d, want 3\n%s%s", r.exit, r.stdout, r.stderr)
	}
	// The server out of reach: the offline verdict is written all the
	// same, the failure to ask said on stderr and in the exit code.
	w.stop()
	r = w.cli("", "-o", "json", "--timeout", "2s", "receipt", "verify", "--online", scanReceipt)
	online.Receipts = nil
	if err := json.Unmarshal([]byte(r.stdout), &online); err != nil || r.exit == 0 || len(online.Receipts) != 1 ||
		!online.Receipts[0].Valid || online.Receipts[0].ExtendedByServer != nil {
		t.Fatalf("-o json receipt verify --online, no server: exit %d, %v\n%s%s", r.exit, err, r.stdout, r.stderr)
	}
	// Beside a receipt that does not hold, the server out of reach: exit 3,
	// the finding, with the failure to ask said too (it was exit 1, as if
	// nothing had been found).
	altered := filepath.Join(t.TempDir(), "altered.json")
	if err := os.WriteFile(altered, []byte(`{"not":"a receipt"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := w.cli("", "--timeout", "2s", "receipt", "verify", "--online", altered, scanReceipt); r.exit != 3 || !strings.Contains(r.stderr, "未能联网核对") {
		t.Fatalf("receipt verify --online of a receipt that does not hold, no server: exit %d, want 3 saying the rest could not be asked\n%s%s", r.exit, r.stdout, r.stderr)
	}
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	for i := 7; i >= 0; i-- {
		k[i] = byte(seq)
		seq >>= 8
	}
	return k[:]
}

func withEvents(t *testing.T, path string, f func(*bbolt.Bucket)) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bbolt.Tx) error { f(tx.Bucket([]byte("events"))); return nil }); err != nil {
		t.Fatal(err)
	}
}

func wipeTree(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"tree_nodes", "checkpoints", "events_by_enterprise"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return err
			}
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// hashAt is the stored hash of the event at seq (nil for 0).
func hashAt(t *testing.T, b *bbolt.Bucket, seq uint64) []byte {
	t.Helper()
	if seq == 0 {
		return nil
	}
	h, err := store.EventHashOf(b.Get(seqKey(seq)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func getEvent(t *testing.T, b *bbolt.Bucket, seq uint64) *ruqiv1.Event {
	t.Helper()
	e, err := store.DecodeEvent(seq, hashAt(t, b, seq-1), b.Get(seqKey(seq)))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// putEvent writes e at its seq in the stored format, with its prev_hash
// kept where it is not the hash of the event stored before it.
func putEvent(t *testing.T, b *bbolt.Bucket, e *ruqiv1.Event) {
	t.Helper()
	v, err := store.EncodeEvent(e, hashAt(t, b, e.GetSeq()-1))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(seqKey(e.GetSeq()), v); err != nil {
		t.Fatal(err)
	}
}

// rewriteFrom changes events from seq on and recomputes every hash after
// it, as an operator with write access to the file would.
func rewriteFrom(t *testing.T, b *bbolt.Bucket, from uint64, change func(*ruqiv1.Event)) {
	t.Helper()
	prev := getEvent(t, b, from-1).GetHash()
	for seq := from; b.Get(seqKey(seq)) != nil; seq++ {
		e := getEvent(t, b, seq)
		if seq == from {
			change(e)
		}
		e.PrevHash = prev
		e.Hash = store.EventHash(prev, e)
		putEvent(t, b, e)
		prev = e.GetHash()
	}
}

// independentlyVerified checks a receipt file with golang.org/x/mod's sumdb
// note and tlog packages, which share no code with the Merkle library the
// server uses: the signature, the root line, the event's hash and the
// inclusion proof.
func independentlyVerified(t *testing.T, path, logKey string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rc ruqiv1.Receipt
	if err := protojson.Unmarshal(b, &rc); err != nil {
		t.Fatal(err)
	}
	v, err := note.NewVerifier(logKey)
	if err != nil {
		t.Fatal(err)
	}
	n, err := note.Open([]byte(rc.GetCheckpoint()), note.VerifierList(v))
	if err != nil {
		t.Fatalf("sumdb/note rejects the checkpoint: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	root, err := sumtlog.ParseHash(lines[2])
	if err != nil {
		t.Fatal(err)
	}
	e := rc.GetEvent()
	if got := store.EventHash(e.GetPrevHash(), e); !bytes.Equal(got, e.GetHash()) {
		t.Fatal("the receipt's event does not hash to its hash")
	}
	var prf sumtlog.RecordProof
	for _, h := range rc.GetInclusionProof() {
		prf = append(prf, sumtlog.Hash(h))
	}
	if err := sumtlog.CheckRecord(prf, size, root, int64(e.GetSeq()-1), sumtlog.RecordHash(e.GetHash())); err != nil {
		t.Fatalf("sumdb/tlog rejects the receipt: %v", err)
	}
}

// A server whose log key did not sign the log's checkpoints (a lost key,
// or a replica given another key) refuses to start instead of starting a
// second log on the same record.
func TestLog_AnotherKeyRefusedAtStart(t *testing.T) {
	s := startServer(t, "-log-interval", "100ms")
	eventually(t, "a first checkpoint", func() error {
		_, err := ruqiv1.NewLogServiceClient(s.conn("")).GetCheckpoint(context.Background(), &ruqiv1.GetCheckpointRequest{})
		return err
	})
	s.stop()
	key := filepath.Join(s.dataDir, "log.key")
	start := func() (string, error) {
		// s.args: the same store (RUQI_E2E_STORE=postgres gives one).
		cmd := exec.Command(filepath.Join(binDir, "ruqi-server"), append([]string{"-data-dir", s.dataDir, "-grpc-addr", "127.0.0.1:0", "-http-addr", "127.0.0.1:0"}, s.args...)...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// Another log's key in its place.
	other := filepath.Join(t.TempDir(), "other.key")
	if out, err := exec.Command(filepath.Join(binDir, "ruqi"), "witness", "keygen", "--name", "another.example/log", "--key-file", other).CombinedOutput(); err != nil {
		t.Fatalf("witness keygen: %v\n%s", err, out)
	}
	b, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := start(); err == nil || !strings.Contains(out, "must share one -log-key-file") {
		t.Fatalf("server started with another log key: %v\n%s", err, out)
	}
	// No key at all: refused before one is made, naming the file to copy
	// back (an operator's trial, 2026-12-06).
	os.Remove(key)
	if out, err := start(); err == nil || !strings.Contains(out, "is missing") {
		t.Fatalf("server started without its log key: %v\n%s", err, out)
	}
	if _, err := os.Stat(key); err == nil {
		t.Errorf("a refused start made a new %s", key)
	}
}

// After a restore from a backup the log is behind its witness, which
// refuses every checkpoint of the restored history: no receipt or draw meets
// the witness policy again. The 司法局, told of it, stops its witness and
// lets go on purpose (`ruqi witness rewind`, refused while the witness
// runs); the restored log is witnessed again from its next checkpoint (an
// operator's trial, 2026-12-05, found no way on).
func TestLog_RestoredLog_WitnessedAgainAfterARewind(t *testing.T) {
	needsBolt(t)
	dataDir := t.TempDir()
	logKey := newLogKey(t, filepath.Join(dataDir, "log.key"))
	wit := startWitness(t, logKey)
	policy := filepath.Join(dataDir, "witnesses.txt")
	wit.writePolicy(policy)
	w := newWorld(t, "-log-key-file", filepath.Join(dataDir, "log.key"), "-witness-policy", policy, "-log-interval", "100ms")
	w.register("now+1h", "now+2h")
	backup := filepath.Join(t.TempDir(), "backup.db")
	w.mustCLI(w.admin, "admin", "backup", backup)
	witnessed := func() error {
		r := w.cli("", "log", "verify", "--log-key", logKey, "--witness-policy", policy, "--state", filepath.Join(t.TempDir(), "cp"))
		if r.exit != 0 {
			return fmt.Errorf("log verify: exit %d %s%s", r.exit, r.stdout, r.stderr)
		}
		return nil
	}
	// A receipt of the inspection's registration that meets the witness
	// policy: its checkpoint was cosigned.
	receiptWitnessed := func(tok, ins string) func() error {
		return func() error {
			dir := t.TempDir()
			w.mustCLI(tok, "receipt", "get", "--dir", dir, "--inspection", ins)
			files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
			if len(files) == 0 {
				return errors.New("no receipt yet")
			}
			args := append([]string{"receipt", "verify", "--log-key", logKey, "--witness-policy", policy}, files...)
			if r := w.cli("", args...); r.exit != 0 {
				return fmt.Errorf("receipt verify: exit %d %s%s", r.exit, r.stdout, r.stderr)
			}
			return nil
		}
	}
	eventually(t, "the log witnessed past the backup", witnessed)
	lost := w.register("now+3h", "now+4h")
	eventually(t, "the receipt of a registration after the backup, witnessed", receiptWitnessed(w.entA, lost.GetInspection().GetId()))
	w.stop()
	before := witnessedSize(t, wit.state())

	w.restoreFrom(backup)
	refused := w.register("now+5h", "now+6h")
	time.Sleep(time.Second) // integrations every 100 ms, each offered to the witness: all refused
	if got := witnessedSize(t, wit.state()); got != before {
		t.Fatalf("the witness holds size %d after the restore, %d before: it cosigned the restored history", got, before)
	}
	if receiptWitnessed(w.entA, refused.GetInspection().GetId())() == nil {
		t.Fatal("a receipt of the restored log met the witness policy before the rewind")
	}

	rewind := []string{"witness", "rewind", "--state", wit.state(), "--origin", "ruqi.test/log", "--reason", "数据库从备份恢复，经司法局确认"}
	if r := w.cli("", rewind...); r.exit == 0 || !strings.Contains(r.stderr, "正被另一个进程使用") {
		t.Fatalf("rewind under a running witness: exit %d %s%s", r.exit, r.stdout, r.stderr)
	}
	wit.stop()
	if out := w.mustCLI("", rewind...); !strings.Contains(out, "已放下日志 ruqi.test/log") {
		t.Fatalf("rewind: %s", out)
	}
	wit.start()
	wit.writePolicy(policy) // the witness listens on another port now
	w.stop()
	w.start()
	again := w.registerFor(w.f.entB, "now+7h", "now+8h") // A has its two a year
	eventually(t, "the restored log's receipts witnessed after the rewind", receiptWitnessed(w.entB, again.GetInspection().GetId()))
	eventually(t, "the restored log witnessed after the rewind", witnessed)
}

// witnessedSize reads the size a witness's state says it cosigned last.
func witnessedSize(t *testing.T, state string) uint64 {
	t.Helper()
	b, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]struct {
		Size uint64 `json:"size"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m["ruqi.test/log"].Size
}

// A clean stop integrates what the last interval wrote: with an hour
// between integrations, the registration just acknowledged is in the signed
// checkpoint the file holds once the server has stopped. Before, it waited
// for the next start, and meanwhile an operator could edit it in the file
// with no checkpoint to betray it (a trial of the record, 2026-12-06).
func TestLog_CleanStop_IntegratesTheLastEvents(t *testing.T) {
	needsBolt(t)
	w := newWorld(t, "-log-interval", "1h")
	w.register("now+1h", "now+2h")
	w.stop()
	st, err := bolt.Open(filepath.Join(w.dataDir, "ruqi.db"), bolt.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = st.View(context.Background(), func(r store.Reader) error {
		size, note, err := r.LatestCheckpoint()
		if err != nil {
			return err
		}
		head, _, err := r.Head()
		if err != nil {
			return err
		}
		if note == nil || size != head {
			t.Errorf("after a clean stop the checkpoint covers %d events of %d", size, head)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
