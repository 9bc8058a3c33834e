package tlog

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"testing"
)

// A witness reads add-checkpoint bodies from the network (C2SP
// tlog-witness): whatever arrives, ParseAddCheckpoint returns an error or a
// proof of at most 63 hashes of 32 bytes and a checkpoint that is the rest
// of the body; and a body made the way the client makes it reads back as
// what was put in.
func FuzzParseAddCheckpoint(f *testing.F) {
	f.Add([]byte("old 0\n\nruqi.test/log\n1\nAAAA\n"), uint64(7), uint8(2), []byte("ruqi.test/log\n8\nhash\n\n— sig\n"))
	f.Add([]byte("old 18446744073709551616\n\n"), uint64(0), uint8(0), []byte{})
	f.Add([]byte("old 3\r\n\r\nx"), uint64(1<<63), uint8(63), []byte("\n\n"))
	f.Add([]byte("old 1\n"+base64.StdEncoding.EncodeToString(make([]byte, 31))+"\n\ncp"), uint64(1), uint8(64), []byte("cp"))
	f.Fuzz(func(t *testing.T, body []byte, old uint64, n uint8, signed []byte) {
		_, prf, rest, err := ParseAddCheckpoint(body)
		if err == nil {
			if len(prf) > 63 || !bytes.HasSuffix(body, rest) {
				t.Fatalf("%q: %d hashes, checkpoint %q not the body's end", body, len(prf), rest)
			}
			for _, h := range prf {
				if len(h) != 32 {
					t.Fatalf("%q: a hash of %d bytes", body, len(h))
				}
			}
		}
		// Made as the client makes it.
		var b bytes.Buffer
		fmt.Fprintf(&b, "old %d\n", old)
		var want [][]byte
		for i := range int(n % 64) {
			h := sha256.Sum256([]byte{byte(i)})
			want = append(want, h[:])
			b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
		}
		b.WriteString("\n")
		b.Write(signed)
		gotOld, prf, rest, err := ParseAddCheckpoint(b.Bytes())
		if err != nil || gotOld != old || len(prf) != len(want) || !bytes.Equal(rest, signed) {
			t.Fatalf("body %q read as old %d, %d hashes, checkpoint %q, %v", b.Bytes(), gotOld, len(prf), rest, err)
		}
		for i := range want {
			if !bytes.Equal(prf[i], want[i]) {
				t.Fatalf("hash %d read as %x", i, prf[i])
			}
		}
	})
}
