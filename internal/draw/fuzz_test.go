package draw

import (
	"strconv"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"github.com/ruqi/ruqi/internal/tlog"
)

// A published draw comes from a server or a file that anyone may have
// edited: parsing and verifying it must fail cleanly, never panic, and never
// accept a draw whose receipt is not signed by the log.
func FuzzVerifyBundle(f *testing.F) {
	_, vkey, err := note.GenerateKey(nil, "ruqi.test/log")
	if err != nil {
		f.Fatal(err)
	}
	v, err := tlog.NewVerifier(vkey, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`{"draw":{"id":"DRW-1","agencyId":"A","procedure":"ruqi-draw-v1","enterprisePopulation":["U1","U2"],"enterpriseCount":1,"randomness":"AAAA","pickedEnterprises":["U1"]},"commitmentReceipt":{"event":{"seq":"1","type":"EVENT_TYPE_DRAW_COMMITTED","detail":"draw DRW-1 sha256:00"},"checkpoint":"x\n1\nAAAA\n"}}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"draw":{}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		resp, err := ParseBundle(b)
		if err != nil {
			return
		}
		if _, err := Verify(v, resp); err == nil {
			t.Fatalf("verified a draw without a signature of the log: %s", b)
		}
	})
}

func FuzzParseCommitDetail(f *testing.F) {
	f.Add("draw DRW-1 sha256:" + "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")
	f.Add("draw  sha256:")
	f.Fuzz(func(t *testing.T, s string) {
		id, c, err := ParseCommitDetail(s)
		if err != nil {
			return
		}
		if CommitDetail(id, c) != s {
			t.Fatalf("%q parsed as %q %x, which writes back differently", s, id, c)
		}
	})
}

func FuzzParseRevealDetail(f *testing.F) {
	f.Add("draw DRW-1 checkpoint 42 enterprises 3/12 officers 2/5")
	f.Add("draw DRW-1 checkpoint -1")
	f.Add("draw  checkpoint 18446744073709551616")
	f.Fuzz(func(t *testing.T, s string) {
		id, size, err := ParseRevealDetail(s)
		if err != nil {
			return
		}
		// What parses names a draw and a size that the prefix writes back.
		if want := RevealDetailPrefix(id) + strconv.FormatUint(size, 10); !strings.HasPrefix(strings.Join(strings.Fields(s), " "), want) {
			t.Fatalf("%q parsed as %q %d", s, id, size)
		}
	})
}
