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
	receiptReplaced = "已更新"
	receiptKept     = "已存的保留（同一事件）"
	receiptEvidence = "不成立，另存为证据"
)

// receiptSaved is what became of one receipt the server sent.
type receiptSaved struct {
	path, how string
	// broken says the receipt the server sent does not hold against the
	// log key and witness policy kept by `keys fetch` (nil: it holds, or
	// there was nothing to check it with).
	broken error
	// versions: the saved receipt, kept aside, records another version of
	// the event than this one: the log signed two.
	versions bool
}

// saveReceipt keeps what an enterprise already holds. A receipt is its
// proof of what happened; the server is the party it may have to prove
// something against. `receipt get` wrote whatever the server sent over the
// file of the same event: after the server's log was rewritten or rolled
// back, a second run replaced a witnessed receipt that held with one that
// did not (a trial of the 司法局's witness, 2026-12-07).
//
// Now each new receipt is checked when the keys are at hand (v not nil).
// One that does not hold is evidence: it is saved under a name of its own
// (receipt-<seq>-<digest>.json), never at receipt-<seq>.json, where a
// genuine one would later replace it. A saved receipt is replaced only by
// one that holds when it does not: moved aside under its own digest if it
// parses (it may be evidence too), overwritten if it is not a receipt at
// all (a file cut short, which no check can use; so even without keys). A
// newer receipt of an event whose saved one holds adds nothing (a later
// checkpoint) and is not saved: files do not pile up run after run.
func saveReceipt(v *tlog.Verifier, dir string, rc *ruqiv1.Receipt, b []byte) (receiptSaved, error) {
	seq := rc.GetEvent().GetSeq()
	path := filepath.Join(dir, fmt.Sprintf("receipt-%d.json", seq))
	// The whole digest: the server, the party a receipt may prove
	// something against, chooses the bytes and could otherwise make one
	// file name another's (a review, 2026-12-07).
	beside := func(b []byte) string {
		sum := sha256.Sum256(b)
		return filepath.Join(dir, fmt.Sprintf("receipt-%d-%s.json", seq, hex.EncodeToString(sum[:])))
	}
	var out receiptSaved
	holds := false
	if v != nil {
		_, err := v.Receipt(rc)
		holds = err == nil
		if err != nil && !errors.As(err, new(*tlog.UnwitnessedError)) {
			// Not merely waiting for its witnesses: it does not hold.
			out.broken = err
		}
	}
	if out.broken != nil {
		out.path, out.how = beside(b), receiptEvidence
		if _, err := os.Stat(out.path); err == nil {
			return out, nil // kept already: the same bytes
		}
		return out, writeReceipt(out.path, b)
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
	out.path = path
	saved, perr := tlog.ParseReceipt(old)
	if perr != nil {
		out.how = receiptReplaced + "（原文件已损坏，不是存证）"
		return out, writeReceipt(path, b)
	}
	if holds {
		if _, err := v.Receipt(saved); err != nil {
			out.how = receiptReplaced + "（原文件未经见证）"
			// One waiting for its witnesses is kept aside too when its
			// event is not the new one's: the log signed two versions of
			// the event, and the unwitnessed one is the proof (a review,
			// 2026-12-07: it was overwritten).
			unwitnessed := errors.As(err, new(*tlog.UnwitnessedError))
			if !unwitnessed || !bytes.Equal(saved.GetEvent().GetHash(), rc.GetEvent().GetHash()) {
				aside := beside(old)
				if err := os.Rename(path, aside); err != nil {
					return out, fmt.Errorf("保留原存证失败：%w", err)
				}
				out.how = receiptReplaced + "（原文件不成立，改名保留为 " + filepath.Base(aside) + "）"
				if unwitnessed {
					out.versions = true
					out.how = receiptReplaced + "（原文件所记的事件与新取回的不同：日志签署过此事件的两个版本，原文件改名保留为 " + filepath.Base(aside) + "，请报告司法局）"
				}
			}
			return out, writeReceipt(path, b)
		}
	}
	out.how = receiptKept
	return out, nil
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
