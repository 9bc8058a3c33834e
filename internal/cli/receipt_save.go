package cli

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// How `receipt get` saved a receipt, beside its path.
const (
	receiptNew      = "已保存"
	receiptSame     = "与已存的相同"
	receiptReplaced = "已更新（原文件未经见证或不成立）"
	receiptKept     = "已存的保留（同一事件）"
	receiptBeside   = "已存的保留，新取回的另存"
)

// receiptSaved is what became of one receipt the server sent.
type receiptSaved struct {
	path, how string
	// broken says the receipt the server sent does not hold against the
	// log key and witness policy kept by `keys fetch` (nil: it holds, or
	// there was nothing to check it with).
	broken error
}

// saveReceipt keeps what an enterprise already holds. A receipt is its
// proof of what happened; the server is the party it may have to prove
// something against. `receipt get` wrote whatever the server sent over the
// file of the same event: after the server's log was rewritten or rolled
// back, a second run replaced a witnessed receipt that held with one that
// did not (a trial of the 司法局's witness, 2026-12-07). Now a file that
// is there stays unless it does not hold and the new one does. Each new
// receipt is checked when the keys are at hand (v not nil): one that does
// not hold is said, and saved beside, named by its content, as evidence.
// A newer receipt of an event whose saved one holds adds nothing (a
// later checkpoint) and is not saved: files do not pile up run after run.
func saveReceipt(v *tlog.Verifier, dir string, rc *ruqiv1.Receipt, b []byte) (receiptSaved, error) {
	seq := rc.GetEvent().GetSeq()
	path := filepath.Join(dir, fmt.Sprintf("receipt-%d.json", seq))
	var out receiptSaved
	holds := false
	if v != nil {
		_, out.broken = v.Receipt(rc)
		holds = out.broken == nil
		if errors.As(out.broken, new(*tlog.UnwitnessedError)) {
			// Its witnesses have not cosigned yet: not a receipt that
			// fails, though no better than a saved one that waits too.
			out.broken = nil
		}
	}
	old, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		out.path, out.how = path, receiptNew
		return out, writeReceipt(path, b)
	case err != nil:
		return out, fmt.Errorf("读取已存的存证 %s 失败：%w", path, err)
	case bytes.Equal(old, b):
		out.path, out.how = path, receiptSame
		return out, nil
	}
	if holds && !receiptHolds(v, old) {
		out.path, out.how = path, receiptReplaced
		return out, writeReceipt(path, b)
	}
	if out.broken == nil {
		out.path, out.how = path, receiptKept
		return out, nil
	}
	sum := sha256.Sum256(b)
	out.path = filepath.Join(dir, fmt.Sprintf("receipt-%d-%s.json", seq, hex.EncodeToString(sum[:4])))
	out.how = receiptBeside
	return out, writeReceipt(out.path, b)
}

// receiptHolds reports whether a saved receipt holds, witnesses included.
func receiptHolds(v *tlog.Verifier, b []byte) bool {
	rc, err := tlog.ParseReceipt(b)
	if err != nil {
		return false
	}
	_, err = v.Receipt(rc)
	return err == nil
}

// writeReceipt writes a receipt file whole or not at all: a file cut by a
// full disk would read as a receipt that does not hold.
func writeReceipt(path string, b []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("保存存证失败：%w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("保存存证失败：%w", err)
	}
	return nil
}
