package cli

import (
	"crypto/ed25519"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// The keys cache (`ruqi keys fetch`) is a file on the user's disk that the
// offline checks trust: a scan --offline, receipt verify, log verify. Its
// text may be damaged, edited or written by another version. Whatever the
// bytes, parseKeys does not panic; a cache it accepts gives the same keys
// when saved as saveKeys saves it and read again, compares as unchanged
// with itself, and gives the signature check only Ed25519 keys of the
// right size (ed25519.Verify panics on any other); a refusal is bounded.
func FuzzParseKeys(f *testing.F) {
	// Fixed keys: the same seeds on every run.
	pub := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize)).Public().(ed25519.PublicKey)
	_, vkey, err := note.GenerateKey(strings.NewReader(strings.Repeat("k", 64)), "ruqi.example/log")
	if err != nil {
		f.Fatal(err)
	}
	created := tspb(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	// As `ruqi keys fetch` saves what a server with one rotation answers.
	real := &ruqiv1.ListPublicKeysResponse{
		Keys: []*ruqiv1.PublicKey{
			{KeyId: "k-2026-12-06", Algorithm: "EdDSA", PublicKey: pub, Status: ruqiv1.KeyStatus_KEY_STATUS_ACTIVE, CreatedAt: created},
			{KeyId: "k-2026-12-01", Algorithm: "EdDSA", PublicKey: pub, Status: ruqiv1.KeyStatus_KEY_STATUS_RETIRED, CreatedAt: created,
				RetiredAt: created, VerifyUntil: tspb(time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC))},
		},
		LogKey:        vkey,
		WitnessPolicy: "witness w1 w1.example+1234abcd+AAAA\nquorum w1\n",
	}
	saved, err := protojson.MarshalOptions{Multiline: true}.Marshal(real)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		string(saved) + "\n",
		`{}`, ``, `{not json`, `null`, `[]`,
		`{"keys":[{"keyId":"k","algorithm":"EdDSA","publicKey":"AAAA"}]}`,
		`{"keys":[{"keyId":"k","algorithm":"RS256","publicKey":"` + strings.Repeat("A", 44) + `"}]}`,
		`{"keys":[{"keyId":"k","status":"KEY_STATUS_FUTURE"}],"newerField":1}`,
		`{"keys":[{"publicKey":"` + strings.Repeat("!", 2000) + `"}]}`,
		"{\"logKey\":\"a\xffb\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseKeys(b)
		if err != nil {
			if msg := err.Error(); utf8.RuneCountInString(msg) > maxJSONFault+1 || !utf8.ValidString(msg) {
				t.Fatalf("refusal of %d bytes: %.300q", len(msg), msg)
			}
			if !utf8.Valid(b) && !strings.Contains(err.Error(), "不是 UTF-8") {
				t.Fatalf("text that is not UTF-8 refused as %q", err)
			}
			return
		}
		again, err := protojson.MarshalOptions{Multiline: true}.Marshal(keys)
		if err != nil {
			// A cache read must be one fetch could have written.
			t.Fatalf("an accepted cache cannot be saved again: %v", err)
		}
		reread, err := parseKeys(append(again, '\n'))
		if err != nil {
			t.Fatalf("a cache saved from an accepted one is refused: %v\n%s", err, again)
		}
		if !proto.Equal(keys, reread) {
			t.Fatalf("saved and read again, the keys differ:\n%v\n%v", keys, reread)
		}
		if changed := trustChanges(keys, reread); len(changed) != 0 {
			t.Fatalf("the same cache reads as changed: %v", changed)
		}
		lookup := keyLookup(keys.GetKeys())
		for _, k := range keys.GetKeys() {
			if pk, ok := lookup(k.GetKeyId()); ok && len(pk) != ed25519.PublicKeySize {
				t.Fatalf("key %q of %d bytes given to the signature check", k.GetKeyId(), len(pk))
			}
		}
	})
}
