package store

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// EventHash is SHA-256 over the previous event's hash and an explicit,
// length-prefixed encoding of the event's fields. The encoding is written out
// by hand rather than taken from protobuf, whose byte output is not promised
// to be stable across library versions; the chain must verify for years.
//
// Events whose salt begins with the version byte 3 (Chain, since 2026-12-06)
// are "ruqi.event.v3": every field, seq, time and type included. Events
// before them are "ruqi.event.v2" (a 16-byte salt) or "ruqi.event.v1" (none)
// and keep the hash they were written with, which does not cover their seq,
// time and type: that encoding wrote each of the three through the buffer
// that also held its length, so that all three hashed as the length 8 twice
// (found 2026-12-06: a receipt whose event's time was moved an hour, or
// whose type was changed, still verified). The seq is held by the event's
// place in the chain and the Merkle tree; the time and type of such events
// are not (docs/SECURITY.md).
func EventHash(prev []byte, e *ruqiv1.Event) []byte {
	if HashVersion(e) == 3 {
		return eventHashV3(prev, e)
	}
	return legacyEventHash(prev, e)
}

// HashVersion is the version of the hash an event was written with: 3 for
// a salt of SaltSize bytes that begins with 3, 2 for another salt, 1 for
// none. A v3 event cannot be passed off as v2: its stored hash is of the v3
// encoding, which no v2 encoding of other fields reproduces.
func HashVersion(e *ruqiv1.Event) int {
	switch s := e.GetSalt(); {
	case len(s) == SaltSize && s[0] == 3:
		return 3
	case len(s) > 0:
		return 2
	}
	return 1
}

func eventHashV3(prev []byte, e *ruqiv1.Event) []byte {
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	number := func(v uint64) {
		var b [8]byte
		binary.BigEndian.PutUint64(b[:], v)
		field(b[:])
	}
	field([]byte("ruqi.event.v3"))
	field(prev)
	number(e.GetSeq())
	// Seconds and nanoseconds apart, as the Timestamp holds them: Unix
	// nanoseconds in 64 bits made times 2⁶⁴ ns (about 584 years) apart
	// hash alike.
	number(uint64(e.GetTime().GetSeconds()))
	number(uint64(e.GetTime().GetNanos()))
	number(uint64(e.GetType()))
	field([]byte(e.GetActor()))
	field([]byte(e.GetInspectionId()))
	field([]byte(e.GetEnterpriseUscc()))
	field([]byte(e.GetOfficerId()))
	field([]byte(e.GetDetail()))
	field(e.GetSalt())
	return h.Sum(nil)
}

// legacyEventHash is the hash of v1 and v2 events, exactly as they were
// written, flaw included (EventHash): changed, every event before v3 would
// fail to verify.
func legacyEventHash(prev []byte, e *ruqiv1.Event) []byte {
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

// SaltSize is the length of a v3 event's salt: the hash's version byte (3)
// and the 16 random bytes Salt gives.
const SaltSize = 17

// Salt gives an event without one its 16 random bytes. crypto/rand never
// fails on Linux; a failure panics rather than write unsalted events.
func Salt(e *ruqiv1.Event) {
	if len(e.GetSalt()) == 0 {
		e.Salt = make([]byte, SaltSize-1)
		if _, err := rand.Read(e.Salt); err != nil {
			panic(err)
		}
	}
}

// Chain gives e, placed after the event whose hash is prev, its hash: of
// version 3, its salt marked so. The mark is set here, where the hash is
// computed, not with the salt: on PostgreSQL a replica of a version before
// v3 may sequence events another replica salted, and hashes them as v2,
// which they then say they are (a 16-byte salt), where a salt marked at
// the write would have read as v3 and the chain as broken.
func Chain(prev []byte, e *ruqiv1.Event) {
	Salt(e)
	if len(e.GetSalt()) == SaltSize-1 {
		e.Salt = append([]byte{3}, e.GetSalt()...)
	}
	e.Hash = EventHash(prev, e)
}

// ChainReport is the result of verifying the event log.
type ChainReport struct {
	Events         uint64
	Intact         bool
	FirstBrokenSeq uint64
	HeadHash       []byte
	// Legacy counts the events of hash versions 1 and 2; SealedAt is the
	// seq of the first event that seals those at the head of the log.
	Legacy, SealedAt uint64
	// LegacyLate counts the legacy events written after the log's first
	// event of version 3, from FirstLegacyLate on: a replica of a version
	// before 2026-12-06 left writing beside a newer one, against the
	// upgrade rule. No seal covers them (legacySeal stops at the first v3
	// event), and they were counted as sealed (an upgrade trial,
	// 2026-12-07).
	LegacyLate, FirstLegacyLate uint64
}

// legacySeal folds the events of hash versions 1 and 2 at the head of the
// log, in order, into one digest of their v3 hashes (every field): what an
// EVENT_TYPE_LEGACY_EVENTS_SEALED event commits to. It stops at the first
// v3 event: v2 events after it (an older replica left sequencing beside a
// newer one, against the README, seen in an upgrade trial) are not sealed,
// and do not make the seal read as broken.
type legacySeal struct {
	h    hash.Hash
	n    uint64 // the last legacy event folded
	done bool   // a v3 event was met
}

func newLegacySeal() *legacySeal { return &legacySeal{h: sha256.New()} }

func (l *legacySeal) add(prev []byte, e *ruqiv1.Event) {
	switch {
	case l.done:
	case HashVersion(e) < 3:
		l.h.Write(eventHashV3(prev, e))
		l.n = e.GetSeq()
	default:
		l.done = true
	}
}

func (l *legacySeal) detail() string { return LegacySealDetail(l.n, l.h.Sum(nil)) }

// LegacySealDetail is the detail of the event that seals the legacy events
// 1…n: "events 1-n sha256:HEX".
func LegacySealDetail(n uint64, digest []byte) string {
	return fmt.Sprintf("events 1-%d sha256:%s", n, hex.EncodeToString(digest))
}

// LegacyDigest reads the events of hash versions 1 and 2 at the head of
// the log (those written before v3, which precede every v3 event) and
// gives the detail of the event that seals them; "" when the log holds
// none.
func LegacyDigest(r Reader) (string, error) {
	l := newLegacySeal()
	var prev []byte
	err := r.Events(0, func(e *ruqiv1.Event) error {
		if l.add(prev, e); l.done {
			return ErrStop
		}
		prev = e.GetHash()
		return nil
	})
	if err != nil && !errors.Is(err, ErrStop) {
		return "", err
	}
	if l.n == 0 {
		return "", nil
	}
	return l.detail(), nil
}

// VerifyChain recomputes every event's hash from its predecessor and checks
// that sequence numbers have no gaps. It reads the whole log. An event
// that seals the legacy events (EVENT_TYPE_LEGACY_EVENTS_SEALED) must name
// the digest of those before it as they read now: one whose time or type
// was changed since, which its own hash does not cover, breaks the chain
// at the seal.
func VerifyChain(r Reader) (ChainReport, error) {
	rep := ChainReport{Intact: true}
	var prev []byte
	legacy := newLegacySeal()
	err := r.Events(0, func(e *ruqiv1.Event) error {
		rep.Events++
		seal := e.GetType() == ruqiv1.EventType_EVENT_TYPE_LEGACY_EVENTS_SEALED
		sealBroken := seal && e.GetDetail() != legacy.detail()
		if seal && rep.SealedAt == 0 {
			rep.SealedAt = e.GetSeq()
		}
		if HashVersion(e) < 3 {
			rep.Legacy++
			if legacy.done {
				rep.LegacyLate++
				if rep.FirstLegacyLate == 0 {
					rep.FirstLegacyLate = e.GetSeq()
				}
			}
		}
		if rep.Intact && (sealBroken || e.GetSeq() != rep.Events || !bytes.Equal(e.GetPrevHash(), prev) || !bytes.Equal(EventHash(prev, e), e.GetHash())) {
			rep.Intact = false
			rep.FirstBrokenSeq = e.GetSeq()
		}
		legacy.add(prev, e)
		prev = e.GetHash()
		return nil
	})
	rep.HeadHash = prev
	return rep, err
}
