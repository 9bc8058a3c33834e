package tlog_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/ruqi/ruqi/internal/tlog"
)

// What a trial of the 司法局's witness (2026-12-07) read: "日志规模 33 与
// 33 不一致" for two checkpoints of one size with different roots, a
// corrupt witness state as "unexpected end of JSON input", and a witness
// policy's refusal in the library's English. Each is said in Chinese, with
// what to do.
func TestMessages_ForkOfOneSize_CorruptWitnessState_BadPolicy(t *testing.T) {
	a := &log.Checkpoint{Origin: "o", Size: 33, Hash: make([]byte, 32)}
	b := &log.Checkpoint{Origin: "o", Size: 33, Hash: append(make([]byte, 31), 1)}
	if err := tlog.Consistent(a, b, nil); err == nil || !strings.Contains(err.Error(), "同为规模 33 的两个检查点根哈希不同") {
		t.Errorf("two roots of size 33: %v", err)
	}

	skey, vkey, err := note.GenerateKey(rand.Reader, "sifaju.test")
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(t.TempDir(), "state.json")
	if err := os.WriteFile(state, []byte(`{"logs": {"o": {"size": 3`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := tlog.NewWitness(skey, nil, state); err == nil || !strings.Contains(err.Error(), "已损坏") || !strings.Contains(err.Error(), "从备份恢复") {
		t.Errorf("a cut witness state: %v", err)
	}

	_, logKey, _ := note.GenerateKey(rand.Reader, "ruqi.test/log")
	if _, err := tlog.NewVerifier(logKey, []byte("witness w "+vkey+"x\nquorum w\n")); err == nil || !strings.HasPrefix(err.Error(), "见证策略无效：请核对") {
		t.Errorf("a policy with a damaged witness key: %v", err)
	}
}
