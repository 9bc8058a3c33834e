package code

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// The three ways a scanned code can fail. Their texts are shown to
// enterprises and officers, so they are in Chinese; details are appended by
// wrapping (fmt.Errorf("%w：...")), so test with errors.Is.
var (
	// ErrMalformed means the input is not a code of ours at all: bad base32,
	// bad CBOR, wrong structure, missing claims, an algorithm other than EdDSA.
	ErrMalformed = errors.New("不是有效的入企码（无法解析）")
	// ErrUnknownKey means the code names a signing key the server does not
	// have: it was pruned long after the code expired, or the code is forged.
	ErrUnknownKey = errors.New("签名密钥未知（可能已过期或伪造）")
	// ErrBadSignature means the code is well formed and names a known key but
	// the signature does not match: it was forged or altered.
	ErrBadSignature = errors.New("签名无效：入企码被伪造或篡改")
)

// Claims are what a code asserts.
type Claims struct {
	TokenID           []byte    // CWT cti (claim 7): 16 bytes, unique per code (NewTokenID)
	Issuer            string    // iss (1), e.g. "ruqi"
	IssuedAt          time.Time // iat (6)
	NotBefore         time.Time // nbf (5)
	Expiry            time.Time // exp (4)
	InspectionID      string    // private claim -65537
	OfficerID         string    // private claim -65538
	CertificateNumber string    // private claim -65539
	EnterpriseUSCC    string    // private claim -65540
	// VisitKind names a visit that is not an inspection (private claim
	// -65656): "patrol" 日常巡查, "publicity" 政策宣传, "survey" 走访调研,
	// "service" 服务. Empty (absent) for an inspection, so that codes issued
	// before visit kinds keep their bytes and read as inspections.
	VisitKind string
}

// NewTokenID returns a cti for a code issued at now: the milliseconds since
// 1970 in 6 bytes, big-endian, then 10 random bytes. Check-ins are keyed by
// cti, so codes issued together are stored together and a scan's write
// lands on the few pages of recent check-ins instead of a random page of
// all of them (docs/ARCHITECTURE.md, "Records and storage"). The cti is not
// a secret (the signature protects the code); 80 random bits keep two
// codes of one millisecond apart.
func NewTokenID(now time.Time) ([]byte, error) {
	id := make([]byte, tokenIDSize)
	ms := uint64(now.UnixMilli())
	for i := 5; i >= 0; i-- {
		id[i], ms = byte(ms), ms>>8
	}
	if _, err := rand.Read(id[6:]); err != nil {
		return nil, err
	}
	return id, nil
}

// Equal reports whether c and d are the same claims.
func (c Claims) Equal(d Claims) bool {
	return bytes.Equal(c.TokenID, d.TokenID) && c.Issuer == d.Issuer && c.IssuedAt.Equal(d.IssuedAt) &&
		c.NotBefore.Equal(d.NotBefore) && c.Expiry.Equal(d.Expiry) && c.InspectionID == d.InspectionID &&
		c.OfficerID == d.OfficerID && c.CertificateNumber == d.CertificateNumber && c.EnterpriseUSCC == d.EnterpriseUSCC &&
		c.VisitKind == d.VisitKind
}

// MaxClaimString is the longest text claim (an id, a certificate number) a
// code carries, in bytes: what a filter by such an id need never exceed.
const MaxClaimString = maxClaimString

// VisitKinds are the values the visit-kind claim may take.
var VisitKinds = []string{"patrol", "publicity", "survey", "service"}

const (
	// maxMessageSize bounds the work Parse does on hostile input. A real code
	// is about 220 bytes; 4 KiB leaves room for long ids but not for abuse.
	maxMessageSize = 4096
	// tokenIDSize is the length of cti: the issue time in milliseconds and
	// 80 random bits (NewTokenID), so two codes never share one.
	tokenIDSize = 16
	// maxClaimString bounds each text claim so a code always fits into one
	// QR symbol that a phone can read.
	maxClaimString = 256
	// maxNumericDate is 9999-12-31T23:59:59Z. Dates are limited to years
	// 1970–9999 so every accepted value round-trips through time.Time and
	// formats sensibly.
	maxNumericDate = 253402300799
)

// wireClaims is the CBOR payload. Integer keys (keyasint) keep it small; the
// private claims use the range below -65536 that RFC 8392 leaves for
// private use. Every claim is required.
type wireClaims struct {
	Issuer            string `cbor:"1,keyasint"`
	Expiry            int64  `cbor:"4,keyasint"`
	NotBefore         int64  `cbor:"5,keyasint"`
	IssuedAt          int64  `cbor:"6,keyasint"`
	TokenID           []byte `cbor:"7,keyasint"`
	InspectionID      string `cbor:"-65537,keyasint"`
	OfficerID         string `cbor:"-65538,keyasint"`
	CertificateNumber string `cbor:"-65539,keyasint"`
	EnterpriseUSCC    string `cbor:"-65540,keyasint"`
	VisitKind         string `cbor:"-65656,keyasint,omitempty"`
}

var (
	claimsEncMode cbor.EncMode
	claimsDecMode cbor.DecMode
)

func init() {
	var err error
	// Core Deterministic encoding gives one byte string per set of claims,
	// which Parse relies on to reject every other encoding.
	if claimsEncMode, err = cbor.CoreDetEncOptions().EncMode(); err != nil {
		panic(err)
	}
	// The decoder is as strict as the library allows; the canonical
	// re-encoding check in parse catches whatever it still accepts.
	if claimsDecMode, err = (cbor.DecOptions{
		DupMapKey:         cbor.DupMapKeyEnforcedAPF,
		IndefLength:       cbor.IndefLengthForbidden,
		TagsMd:            cbor.TagsForbidden,
		MaxNestedLevels:   4,
		MaxArrayElements:  16,
		MaxMapPairs:       16,
		ExtraReturnErrors: cbor.ExtraDecErrorUnknownField,
		UTF8:              cbor.UTF8RejectInvalid,
	}).DecMode(); err != nil {
		panic(err)
	}
}

// Sign returns the COSE_Sign1 bytes. Protected header: alg EdDSA (-8) and kid
// (label 4, bytes of the key id string). Payload: CBOR map of the claims with
// integer keys, encoded with Core Deterministic encoding. Times are whole
// seconds (NumericDate ints); sub-second parts are dropped.
//
// Sign refuses claims that Parse would reject, so every code it issues can be
// scanned.
func Sign(key Key, c Claims) ([]byte, error) {
	if len(key.Private) != ed25519.PrivateKeySize {
		return nil, errors.New("code: 签名密钥缺少私钥（signing key has no private key）")
	}
	if !c.Expiry.After(c.NotBefore) {
		return nil, errors.New("code: 有效期结束时间必须晚于开始时间（exp must be after nbf）")
	}
	w := toWire(c)
	if err := w.validate(); err != nil {
		return nil, fmt.Errorf("code: 声明无效（invalid claims）: %w", err)
	}
	// The hand-written layout (layout.go), which tests hold to the bytes
	// the libraries produce (signLibrary).
	kid, err := checkedKeyID(key)
	if err != nil {
		return nil, err
	}
	payload := appendClaims(nil, &w)
	msg := appendMessage(nil, kid, payload, ed25519.Sign(key.Private, toBeSigned(kid, payload)))
	if len(msg) > maxMessageSize {
		return nil, fmt.Errorf("code: 入企码过长（%d 字节，上限 %d）", len(msg), maxMessageSize)
	}
	return msg, nil
}

// signLibrary is Sign through fxamacker/cbor and go-cose: the reference the
// hand-written layout is tested against.
func signLibrary(key Key, c Claims) ([]byte, error) {
	payload, err := claimsEncMode.Marshal(toWire(c))
	if err != nil {
		return nil, fmt.Errorf("code: encode claims: %w", err)
	}
	return signMessage(key, payload)
}

// Parse decodes a COSE_Sign1 message without verifying it and returns the key
// id and claims. Use it only to show what a code claims; trust needs Verify.
// Any structural problem gives an error wrapping ErrMalformed. Parse accepts
// exactly the encoding Sign produces and nothing else.
func Parse(msg []byte) (kid string, c Claims, err error) {
	kid, c, _, _, err = parse(msg)
	return kid, c, err
}

// Verify parses msg and verifies its signature with the public key that
// lookup returns for its kid. Errors wrap ErrMalformed, ErrUnknownKey or
// ErrBadSignature; on ErrUnknownKey and ErrBadSignature the kid is still
// returned (for logging) but the claims are not. A public key of the wrong
// length from lookup is a server fault and gives an error wrapping none of
// them.
//
// Verify does not check time or the inspection's state; the caller does.
func Verify(msg []byte, lookup func(kid string) (ed25519.PublicKey, bool)) (kid string, c Claims, err error) {
	kid, c, payload, sig, err := parse(msg)
	if err != nil {
		return "", Claims{}, err
	}
	if err := verifyEd25519(kid, payload, sig, lookup); err != nil {
		return kid, Claims{}, err
	}
	return kid, c, nil
}

// newMessage builds the one message layout we use. Sign and parse both build
// through it, so the canonical check in parse compares against exactly what
// Sign would have produced.
func newMessage(kid string, payload []byte) *cose.Sign1Message {
	m := cose.NewSign1Message()
	m.Headers.Protected.SetAlgorithm(cose.AlgorithmEdDSA)
	m.Headers.Protected[cose.HeaderLabelKeyID] = []byte(kid)
	m.Payload = payload
	return m
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w：%s", ErrMalformed, fmt.Sprintf(format, args...))
}

// parse does the work of Parse and also returns the payload and the
// signature, which Verify needs for the signature check. A code as Sign
// wrote it takes the hand-written path (layout.go); anything else is
// decoded by the libraries, which say what is wrong with it.
func parse(msg []byte) (kid string, c Claims, payload, sig []byte, err error) {
	if kid, w, payload, sig, ok := parseFast(msg); ok {
		return kid, w.claims(), payload, sig, nil
	}
	return parseLibrary(msg)
}

// parseLibrary decodes msg with go-cose and fxamacker/cbor and accepts it
// only if re-encoding what was decoded gives back msg.
func parseLibrary(msg []byte) (kid string, c Claims, payload, sig []byte, err error) {
	kid, m, err := parseEnvelope(msg)
	if err != nil {
		return "", Claims{}, nil, nil, err
	}
	var w wireClaims
	if err := claimsDecMode.Unmarshal(m.Payload, &w); err != nil {
		return "", Claims{}, nil, nil, malformed("声明无法解码（%v）", err)
	}
	if err := w.validate(); err != nil {
		return "", Claims{}, nil, nil, malformed("%v", err)
	}
	if err := checkCanonical(kid, w, m, msg); err != nil {
		return "", Claims{}, nil, nil, err
	}
	return kid, w.claims(), m.Payload, m.Signature, nil
}

// parseEnvelope checks the COSE_Sign1 layout every code of ours shares
// (inspection codes and enterprise codes alike) and returns the key id and
// the message; the caller decodes the payload into its own claims.
func parseEnvelope(msg []byte) (string, *cose.Sign1Message, error) {
	if len(msg) > maxMessageSize {
		return "", nil, malformed("长度 %d 字节，超过上限 %d", len(msg), maxMessageSize)
	}
	// UnmarshalCBOR of the tagged type requires tag 18; an untagged
	// COSE_Sign1 is rejected because we never produce one.
	var m cose.Sign1Message
	if err := m.UnmarshalCBOR(msg); err != nil {
		return "", nil, malformed("不是 COSE_Sign1 消息（%v）", err)
	}
	alg, err := m.Headers.Protected.Algorithm()
	if err != nil || alg != cose.AlgorithmEdDSA {
		return "", nil, malformed("签名算法不是 EdDSA")
	}
	kidBytes, ok := m.Headers.Protected[cose.HeaderLabelKeyID].([]byte)
	if !ok {
		return "", nil, malformed("缺少密钥编号（kid）")
	}
	kid := string(kidBytes)
	if !validKeyID(kid) {
		return "", nil, malformed("密钥编号（kid）格式错误")
	}
	if len(m.Headers.Protected) != 2 || len(m.Headers.Unprotected) != 0 {
		return "", nil, malformed("含有未知的头部参数")
	}
	if m.Payload == nil {
		return "", nil, malformed("缺少内容（payload）")
	}
	if len(m.Signature) != ed25519.SignatureSize {
		return "", nil, malformed("签名长度 %d 字节，应为 %d", len(m.Signature), ed25519.SignatureSize)
	}
	return kid, &m, nil
}

// checkCanonical re-encodes the decoded claims w and compares: only the exact
// bytes Sign would produce pass. This also catches missing claims (they
// re-encode as zero values) and trailing bytes.
func checkCanonical(kid string, w any, m *cose.Sign1Message, msg []byte) error {
	payload, err := claimsEncMode.Marshal(w)
	if err != nil {
		return malformed("声明无法编码（%v）", err)
	}
	canon := newMessage(kid, payload)
	canon.Signature = m.Signature
	want, err := canon.MarshalCBOR()
	if err != nil || !bytes.Equal(want, msg) {
		return malformed("编码不规范（non-canonical encoding）")
	}
	return nil
}

// checkedKeyID derives the kid from the private key rather than trusting
// key.ID, so a mislabelled key cannot issue codes that fail verification
// later.
func checkedKeyID(key Key) (string, error) {
	if len(key.Private) != ed25519.PrivateKeySize {
		return "", errors.New("code: 签名密钥缺少私钥（signing key has no private key）")
	}
	kid := KeyID(key.Private.Public().(ed25519.PublicKey))
	if key.ID != kid {
		return "", fmt.Errorf("code: 密钥编号 %q 与私钥不符（key id does not match the private key, want %s）", key.ID, kid)
	}
	return kid, nil
}

// signMessage signs payload with key as a COSE_Sign1 message of our layout.
func signMessage(key Key, payload []byte) ([]byte, error) {
	kid, err := checkedKeyID(key)
	if err != nil {
		return nil, err
	}
	signer, err := cose.NewSigner(cose.AlgorithmEdDSA, key.Private)
	if err != nil {
		return nil, fmt.Errorf("code: %w", err)
	}
	m := newMessage(kid, payload)
	// Ed25519 is deterministic and ignores rand; go-cose wants a reader anyway.
	if err := m.Sign(rand.Reader, nil, signer); err != nil {
		return nil, fmt.Errorf("code: sign: %w", err)
	}
	out, err := m.MarshalCBOR()
	if err != nil {
		return nil, fmt.Errorf("code: encode COSE_Sign1: %w", err)
	}
	if len(out) > maxMessageSize {
		return nil, fmt.Errorf("code: 入企码过长（%d 字节，上限 %d）", len(out), maxMessageSize)
	}
	return out, nil
}

func toWire(c Claims) wireClaims {
	return wireClaims{
		Issuer:            c.Issuer,
		Expiry:            numericDate(c.Expiry),
		NotBefore:         numericDate(c.NotBefore),
		IssuedAt:          numericDate(c.IssuedAt),
		TokenID:           c.TokenID,
		InspectionID:      c.InspectionID,
		OfficerID:         c.OfficerID,
		CertificateNumber: c.CertificateNumber,
		EnterpriseUSCC:    c.EnterpriseUSCC,
		VisitKind:         c.VisitKind,
	}
}

// numericDate maps the zero time to 0, which validate rejects, instead of
// to a negative number of seconds.
func numericDate(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func (w wireClaims) claims() Claims {
	return Claims{
		TokenID:           bytes.Clone(w.TokenID),
		Issuer:            w.Issuer,
		IssuedAt:          time.Unix(w.IssuedAt, 0).UTC(),
		NotBefore:         time.Unix(w.NotBefore, 0).UTC(),
		Expiry:            time.Unix(w.Expiry, 0).UTC(),
		InspectionID:      w.InspectionID,
		OfficerID:         w.OfficerID,
		CertificateNumber: w.CertificateNumber,
		EnterpriseUSCC:    w.EnterpriseUSCC,
		VisitKind:         w.VisitKind,
	}
}

// validate holds the rules shared by Sign and Parse. The messages name the
// claim in Chinese and CWT terms, since they end up in front of people.
func (w wireClaims) validate() error {
	if len(w.TokenID) != tokenIDSize {
		return fmt.Errorf("编号（cti）应为 %d 字节，实为 %d", tokenIDSize, len(w.TokenID))
	}
	for _, s := range []struct{ name, v string }{
		{"签发方（iss）", w.Issuer},
		{"检查编号", w.InspectionID},
		{"执法人员编号", w.OfficerID},
		{"执法证号", w.CertificateNumber},
		{"企业统一社会信用代码", w.EnterpriseUSCC},
	} {
		switch {
		case s.v == "":
			return fmt.Errorf("缺少%s", s.name)
		case len(s.v) > maxClaimString:
			return fmt.Errorf("%s过长（%d 字节，上限 %d）", s.name, len(s.v), maxClaimString)
		case !utf8.ValidString(s.v):
			return fmt.Errorf("%s不是有效的 UTF-8 文本", s.name)
		}
	}
	if w.VisitKind != "" && !slices.Contains(VisitKinds, w.VisitKind) {
		return fmt.Errorf("入企类型（%.32q）未知", w.VisitKind)
	}
	for _, d := range []struct {
		name string
		v    int64
	}{
		{"签发时间（iat）", w.IssuedAt},
		{"生效时间（nbf）", w.NotBefore},
		{"失效时间（exp）", w.Expiry},
	} {
		if d.v <= 0 || d.v > maxNumericDate {
			return fmt.Errorf("缺少或无效的%s", d.name)
		}
	}
	return nil
}
