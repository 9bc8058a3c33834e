package code

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
)

// Our one COSE_Sign1 layout, written and read by hand for the scan's hot
// path. A generic decode with go-cose and fxamacker/cbor, then a re-encode
// for the canonical check, cost about two thirds of an Ed25519 verification
// per scan (docs/BENCHMARKS.md, "Scanning"); appending the few heads of our
// layout costs almost nothing.
//
// The hand-written reader is allowed to be lenient, because it decides
// nothing on its own: a message is accepted on the fast path only if
// appendMessage, fed what the reader found, gives back exactly the bytes
// scanned. appendMessage is held to the libraries' encoding (Sign's output)
// by tests and a fuzz test (layout_test.go), so the fast path accepts exactly
// the messages the library path accepts, and everything else goes to the
// library path, which gives the precise error.
//
// The layout (RFC 9052 COSE_Sign1, tag 18; RFC 8949 core deterministic
// encoding):
//
//	d2 84                 tag 18, array of 4
//	   bstr protected     a2 01 27 04 bstr(kid): {alg: EdDSA, kid}
//	   a0                 unprotected: empty map
//	   bstr payload       the claims, a map with integer keys in order
//	   58 40 signature    64 bytes of Ed25519
const (
	cborUint   = 0 << 5
	cborNegInt = 1 << 5
	cborBytes  = 2 << 5
	cborText   = 3 << 5
	cborArray  = 4 << 5
	cborMap    = 5 << 5
	cborTag18  = 0xd2
)

// appendHead appends a CBOR head in its shortest form.
func appendHead(b []byte, major byte, n uint64) []byte {
	switch {
	case n < 24:
		return append(b, major|byte(n))
	case n <= 0xff:
		return append(b, major|24, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(b, major|25), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(b, major|26), uint32(n))
	default:
		return binary.BigEndian.AppendUint64(append(b, major|27), n)
	}
}

func appendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendHead(b, cborUint, uint64(v))
	}
	return appendHead(b, cborNegInt, uint64(-1-v))
}

func appendText(b []byte, s string) []byte {
	return append(appendHead(b, cborText, uint64(len(s))), s...)
}

func appendBytes(b, p []byte) []byte {
	return append(appendHead(b, cborBytes, uint64(len(p))), p...)
}

// appendClaims appends the claims map as Sign encodes it: keys in core
// deterministic order (1, 4, 5, 6, 7, then the private ones from -65537
// down, whose encodings all start 3a 00 01), the visit kind only when set.
func appendClaims(b []byte, w *wireClaims) []byte {
	n := uint64(9)
	if w.VisitKind != "" {
		n++
	}
	b = appendHead(b, cborMap, n)
	b = appendText(appendInt(b, 1), w.Issuer)
	b = appendInt(appendInt(b, 4), w.Expiry)
	b = appendInt(appendInt(b, 5), w.NotBefore)
	b = appendInt(appendInt(b, 6), w.IssuedAt)
	b = appendBytes(appendInt(b, 7), w.TokenID)
	b = appendText(appendInt(b, -65537), w.InspectionID)
	b = appendText(appendInt(b, -65538), w.OfficerID)
	b = appendText(appendInt(b, -65539), w.CertificateNumber)
	b = appendText(appendInt(b, -65540), w.EnterpriseUSCC)
	if w.VisitKind != "" {
		b = appendText(appendInt(b, -65656), w.VisitKind)
	}
	return b
}

// appendProtected appends the protected header's encoding (not wrapped in
// its byte string): {1: -8, 4: h'kid'}.
func appendProtected(b []byte, kid string) []byte {
	b = append(b, cborMap|2, 0x01, cborNegInt|7, 0x04)
	return append(appendHead(b, cborBytes, uint64(len(kid))), kid...)
}

// appendMessage appends the whole tagged COSE_Sign1 message.
func appendMessage(b []byte, kid string, payload, sig []byte) []byte {
	var prot [64]byte
	p := appendProtected(prot[:0], kid)
	b = append(b, cborTag18, cborArray|4)
	b = appendBytes(b, p)
	b = append(b, cborMap) // an empty map: no unprotected headers
	b = appendBytes(b, payload)
	return appendBytes(b, sig)
}

// toBeSigned is RFC 9052's Sig_structure for COSE_Sign1 with no external
// data: ["Signature1", protected, empty bytes, payload], what Ed25519 signs.
func toBeSigned(kid string, payload []byte) []byte {
	var prot [64]byte
	p := appendProtected(prot[:0], kid)
	b := make([]byte, 0, 24+len(p)+len(payload))
	b = append(b, cborArray|4)
	b = appendText(b, "Signature1")
	b = appendBytes(b, p)
	b = appendBytes(b, nil)
	return appendBytes(b, payload)
}

// reader takes CBOR heads off a byte slice; any error leaves ok false and
// every later read empty, so callers check once at the end.
type reader struct {
	b  []byte
	ok bool
}

// head reads a head of the given major type and returns its argument.
func (r *reader) head(major byte) uint64 {
	if !r.ok || len(r.b) == 0 || r.b[0]&0xe0 != major {
		r.ok = false
		return 0
	}
	info := r.b[0] & 0x1f
	r.b = r.b[1:]
	var size int
	switch {
	case info < 24:
		return uint64(info)
	case info == 24:
		size = 1
	case info == 25:
		size = 2
	case info == 26:
		size = 4
	case info == 27:
		size = 8
	default:
		r.ok = false
		return 0
	}
	if len(r.b) < size {
		r.ok = false
		return 0
	}
	var n uint64
	for _, c := range r.b[:size] {
		n = n<<8 | uint64(c)
	}
	r.b = r.b[size:]
	return n
}

// bytes reads a byte or text string of the given major type.
func (r *reader) bytes(major byte) []byte {
	n := r.head(major)
	if !r.ok || n > uint64(len(r.b)) {
		r.ok = false
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

// int reads an integer of either sign that fits int64.
func (r *reader) int() int64 {
	if !r.ok || len(r.b) == 0 {
		r.ok = false
		return 0
	}
	neg := r.b[0]&0xe0 == cborNegInt
	major := byte(cborUint)
	if neg {
		major = cborNegInt
	}
	n := r.head(major)
	if n > 1<<62 {
		r.ok = false
		return 0
	}
	if neg {
		return -1 - int64(n)
	}
	return int64(n)
}

// parseFast reads msg as our layout of an inspection code. It returns ok
// only for messages in exactly the encoding Sign writes, with claims that
// pass validate (the library path's own test); for anything else the
// caller takes the library path.
func parseFast(msg []byte) (kid string, w wireClaims, payload, sig []byte, ok bool) {
	if len(msg) > maxMessageSize || len(msg) < 2 || msg[0] != cborTag18 || msg[1] != cborArray|4 {
		return "", w, nil, nil, false
	}
	r := reader{b: msg[2:], ok: true}
	prot := r.bytes(cborBytes)
	_ = r.head(cborMap) // the unprotected map; its size is held by the comparison below
	payload = r.bytes(cborBytes)
	sig = r.bytes(cborBytes)
	if !r.ok || len(r.b) != 0 || len(sig) != ed25519.SignatureSize || len(prot) < 5 {
		return "", w, nil, nil, false
	}
	pr := reader{b: prot[4:], ok: true} // after a2 01 27 04, which the comparison holds
	kid = string(pr.bytes(cborBytes))
	if !pr.ok || !validKeyID(kid) {
		return "", w, nil, nil, false
	}
	c := reader{b: payload, ok: true}
	n := c.head(cborMap)
	if n > 10 {
		return "", w, nil, nil, false
	}
	for range n {
		key := c.int()
		switch key {
		case 1:
			w.Issuer = string(c.bytes(cborText))
		case 4:
			w.Expiry = c.int()
		case 5:
			w.NotBefore = c.int()
		case 6:
			w.IssuedAt = c.int()
		case 7:
			w.TokenID = c.bytes(cborBytes)
		case -65537:
			w.InspectionID = string(c.bytes(cborText))
		case -65538:
			w.OfficerID = string(c.bytes(cborText))
		case -65539:
			w.CertificateNumber = string(c.bytes(cborText))
		case -65540:
			w.EnterpriseUSCC = string(c.bytes(cborText))
		case -65656:
			w.VisitKind = string(c.bytes(cborText))
		default:
			return "", w, nil, nil, false
		}
	}
	if !c.ok || w.validate() != nil {
		return "", w, nil, nil, false
	}
	var pb, mb [512]byte
	if !bytes.Equal(appendMessage(mb[:0], kid, appendClaims(pb[:0], &w), sig), msg) {
		return "", w, nil, nil, false
	}
	return kid, w, payload, sig, true
}

// verifyEd25519 checks sig over the Sig_structure of kid and payload with
// the key lookup names, as go-cose's Sign1Message.Verify would.
func verifyEd25519(kid string, payload, sig []byte, lookup func(kid string) (ed25519.PublicKey, bool)) error {
	pub, ok := lookup(kid)
	if !ok {
		return fmt.Errorf("%w：密钥编号 %s", ErrUnknownKey, kid)
	}
	// ed25519.Verify panics on a wrong-length key.
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("code: 密钥 %s 的公钥长度为 %d 字节，应为 %d（corrupt key ring）", kid, len(pub), ed25519.PublicKeySize)
	}
	if !Ed25519Verify(pub, toBeSigned(kid, payload), sig) {
		return ErrBadSignature
	}
	return nil
}
