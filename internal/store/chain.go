package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// EventHash is SHA-256 over the previous event's hash and an explicit,
// length-prefixed encoding of the event's fields. The encoding is written out
// by hand rather than taken from protobuf, whose byte output is not promised
// to be stable across library versions; the chain must verify for years.
// Events with a salt are "ruqi.event.v2": the salt is the last field.
func EventHash(prev []byte, e *ruqiv1.Event) []byte {
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	if len(e.GetSalt()) > 0 {
		field([]byte("ruqi.event.v2"))
	} else {
		field([]byte("ruqi.event.v1"))
	}
	field(prev)
	binary.BigEndian.PutUint64(n[:], e.GetSeq())
	field(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.GetTime().AsTime().UnixNano()))
	field(n[:])
	binary.BigEndian.PutUint64(n[:], uint64(e.GetType()))
	field(n[:])
	field([]byte(e.GetActor()))
	field([]byte(e.GetInspectionId()))
	field([]byte(e.GetEnterpriseUscc()))
	field([]byte(e.GetOfficerId()))
	field([]byte(e.GetDetail()))
	if len(e.GetSalt()) > 0 {
		field(e.GetSalt())
	}
	return h.Sum(nil)
}

// SaltSize is the length of an event's salt.
const SaltSize = 16

// Salt gives an event without one its random salt (crypto/rand never fails
// on Linux; a failure panics rather than write unsalted events).
func Salt(e *ruqiv1.Event) {
	if len(e.GetSalt()) == 0 {
		e.Salt = make([]byte, SaltSize)
		if _, err := rand.Read(e.Salt); err != nil {
			panic(err)
		}
	}
}

// ChainReport is the result of verifying the event log.
type ChainReport struct {
	Events         uint64
	Intact         bool
	FirstBrokenSeq uint64
	HeadHash       []byte
}

// VerifyChain recomputes every event's hash from its predecessor and checks
// that sequence numbers have no gaps. It reads the whole log.
func VerifyChain(r Reader) (ChainReport, error) {
	rep := ChainReport{Intact: true}
	var prev []byte
	err := r.Events(0, func(e *ruqiv1.Event) error {
		rep.Events++
		if rep.Intact && (e.GetSeq() != rep.Events || !bytes.Equal(e.GetPrevHash(), prev) || !bytes.Equal(EventHash(prev, e), e.GetHash())) {
			rep.Intact = false
			rep.FirstBrokenSeq = e.GetSeq()
		}
		prev = e.GetHash()
		return nil
	})
	rep.HeadHash = prev
	return rep, err
}
