package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ruqi/ruqi/internal/tlog"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A receipt whose checkpoint the log signed alone (fetched before the
// witness policy) is held with --online to the server's witnessed log.
// When the server cannot be asked, nothing is known of it: that is a
// failed call (exit 1, "try again"), not a receipt that does not hold
// (exit 3, "N 份存证不成立"), which a script archiving proofs reads as
// forged; a genuine receipt is not to read so for a network blip.
func TestReceiptVerifyOnline_Unwitnessed_ServerUnreachable_NotSaidNotToHold(t *testing.T) {
	l, vkey, ev := testLog(t, 1)
	e1 := ev[0]
	signed, err := l.Sign(1, tlog.LeafHash(e1))
	if err != nil {
		t.Fatal(err)
	}
	b, err := protojson.Marshal(&ruqiv1.Receipt{Event: e1, LeafIndex: 0, Checkpoint: string(signed)})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "receipt-1.json")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, wvkey, _ := note.GenerateKey(rand.Reader, "sifaju.test")
	policy := filepath.Join(dir, "witnesses.txt")
	if err := os.WriteFile(policy, []byte(fmt.Sprintf("witness sfj %s https://sifaju.test\nquorum sfj\n", wvkey)), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"--server", "passthrough:///down", "receipt", "verify", "--online", "--log-key", vkey,
		"--witness-policy", policy, "--keys-cache", filepath.Join(dir, "none.json"), file}

	a, out, errOut := testApp(nil)
	a.dialer = func(context.Context, string) (net.Conn, error) { return nil, errors.New("connection refused") }
	code := a.run(args)
	got := out.String() + errOut.String()
	if code != exitError || strings.Contains(got, "份存证不成立") || !strings.Contains(got, "未能联网核对") {
		t.Fatalf("an unwitnessed receipt, the server unreachable: exit %d, want %d (a failed call), not said not to hold:\n%s", code, exitError, got)
	}
	// -o json: not valid (not shown to hold), saying it was not checked.
	a, out, _ = testApp(nil)
	a.dialer = func(context.Context, string) (net.Conn, error) { return nil, errors.New("connection refused") }
	code = a.run(append([]string{"-o", "json"}, args...))
	if code != exitError || !strings.Contains(out.String(), `"valid": false`) || !strings.Contains(out.String(), "未能联网核对") ||
		!strings.Contains(out.String(), `"finding": "unwitnessed"`) {
		t.Fatalf("-o json: exit %d\n%s", code, out)
	}
}
