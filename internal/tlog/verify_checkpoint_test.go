package tlog

import (
	"crypto/rand"
	"strings"
	"testing"
	"unicode"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"
)

// A checkpoint that does not open under the log's key is said in Chinese.
// The formats library wraps note's error with %v, so errors.As never found
// note.UnverifiedNoteError and every such checkpoint was answered "检查点无效:
// failed to verify signatures on checkpoint: note has no verifiable
// signatures" (an agency's trial, 2026-12-06: `ruqi draw verify` with the
// keys cached from another server).
func TestCheckpoint_NotThisLogs_SaidInChinese(t *testing.T) {
	sign := func(name, text string) (signed []byte, vkey string) {
		t.Helper()
		skey, vkey, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			t.Fatal(err)
		}
		s, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		signed, err = note.Sign(&note.Note{Text: text}, s)
		if err != nil {
			t.Fatal(err)
		}
		return signed, vkey
	}
	cp := string(log.Checkpoint{Origin: "ruqi.test/log", Size: 3, Hash: make([]byte, 32)}.Marshal())
	mine, myKey := sign("ruqi.test/log", cp)
	other, _ := sign("other.test/log", cp)
	sameName, _ := sign("ruqi.test/log", cp)
	// Another server's checkpoint (a receipt of its log) under its own name:
	// the message named only the log of the key used, not the one the
	// receipt is of (a newcomer's trial, 2026-12-06, with an older server's
	// keys cached: "它不是日志 127.0.0.1:40583/log 以所用公钥签署的" for a
	// receipt of 127.0.0.1:7480/log).
	otherLogs, _ := sign("other.test/log", string(log.Checkpoint{Origin: "other.test/log", Size: 3, Hash: make([]byte, 32)}.Marshal()))
	tampered := []byte(strings.Replace(string(mine), "\n3\n", "\n4\n", 1))
	notCheckpoint, notKey := sign("ruqi.test/log", "not a checkpoint\n")

	v, err := NewVerifier(myKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Checkpoint(mine); err != nil {
		t.Fatalf("own checkpoint: %v", err)
	}
	nv, err := NewVerifier(notKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		v      *Verifier
		signed []byte
		want   string
	}{
		{"another log's", v, other, "没有本日志的有效签名"},
		{"another key of the same name", v, sameName, "没有本日志的有效签名"},
		{"another log's, under its name", v, otherLogs, `检查点属于日志 "other.test/log"，所用日志公钥是日志 ruqi.test/log 的`},
		{"tampered", v, tampered, "签名不符"},
		{"not a note", v, []byte("garbage"), "格式无效"},
		{"signed text not a checkpoint", nv, notCheckpoint, "格式无效"},
	} {
		_, err := c.v.Checkpoint(c.signed)
		if err == nil {
			t.Fatalf("%s: accepted", c.name)
		}
		msg := err.Error()
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: %q does not say %q", c.name, msg, c.want)
		}
		for _, w := range strings.FieldsFunc(msg, func(r rune) bool { return !unicode.IsLetter(r) || r > unicode.MaxASCII }) {
			switch w {
			case "failed", "verify", "signatures", "verifiable", "note", "malformed", "unmarshal", "invalid", "newlines", "Origin", "expected":
				t.Errorf("%s: the message has English %q: %s", c.name, w, msg)
			}
		}
	}
}
