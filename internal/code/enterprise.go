package code

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// EnterpriseClaims are what an enterprise code (企业码) asserts: the poster
// on an enterprise's premises that the officer scans on arrival (两码互核).
// It has no window: it is valid until the enterprise re-issues it, which
// the server checks against the generation it keeps.
type EnterpriseClaims struct {
	TokenID        []byte    // cti (7): 16 random bytes
	Issuer         string    // iss (1)
	IssuedAt       time.Time // iat (6)
	EnterpriseUSCC string    // private claim -65540, as in inspection codes
	// Generation counts the enterprise's codes from 1: a re-issued code
	// has the next one, and only the latest is accepted.
	Generation uint64 // private claim -65550
}

// wireEnterpriseClaims is the enterprise code's CBOR payload. Its set of
// keys differs from wireClaims' and both decoders reject unknown keys, so an
// enterprise code never parses as an inspection code, nor the reverse.
type wireEnterpriseClaims struct {
	Issuer         string `cbor:"1,keyasint"`
	IssuedAt       int64  `cbor:"6,keyasint"`
	TokenID        []byte `cbor:"7,keyasint"`
	EnterpriseUSCC string `cbor:"-65540,keyasint"`
	Generation     uint64 `cbor:"-65550,keyasint"`
}

func (w wireEnterpriseClaims) validate() error {
	if len(w.TokenID) != tokenIDSize {
		return fmt.Errorf("编号（cti）应为 %d 字节，实为 %d", tokenIDSize, len(w.TokenID))
	}
	for _, s := range []struct{ name, v string }{{"签发方（iss）", w.Issuer}, {"企业统一社会信用代码", w.EnterpriseUSCC}} {
		switch {
		case s.v == "":
			return fmt.Errorf("缺少%s", s.name)
		case len(s.v) > maxClaimString:
			return fmt.Errorf("%s过长（%d 字节，上限 %d）", s.name, len(s.v), maxClaimString)
		case !utf8.ValidString(s.v):
			return fmt.Errorf("%s不是有效的 UTF-8 文本", s.name)
		}
	}
	if w.IssuedAt <= 0 || w.IssuedAt > maxNumericDate {
		return fmt.Errorf("缺少或无效的签发时间（iat）")
	}
	if w.Generation == 0 {
		return fmt.Errorf("缺少企业码版本号")
	}
	return nil
}

// SignEnterprise signs an enterprise code with key (the ring's active key,
// as for inspection codes).
func SignEnterprise(key Key, c EnterpriseClaims) ([]byte, error) {
	w := wireEnterpriseClaims{Issuer: c.Issuer, IssuedAt: numericDate(c.IssuedAt), TokenID: c.TokenID, EnterpriseUSCC: c.EnterpriseUSCC, Generation: c.Generation}
	if err := w.validate(); err != nil {
		return nil, fmt.Errorf("code: 企业码声明无效（invalid claims）: %w", err)
	}
	payload, err := claimsEncMode.Marshal(w)
	if err != nil {
		return nil, fmt.Errorf("code: encode claims: %w", err)
	}
	return signMessage(key, payload)
}

// VerifyEnterprise parses an enterprise code and checks its signature, with
// the same errors as Verify. Whether it is the enterprise's current code is
// the caller's check (the stored generation and cti).
func VerifyEnterprise(msg []byte, lookup func(kid string) (ed25519.PublicKey, bool)) (string, EnterpriseClaims, error) {
	kid, m, err := parseEnvelope(msg)
	if err != nil {
		return "", EnterpriseClaims{}, err
	}
	var w wireEnterpriseClaims
	if err := claimsDecMode.Unmarshal(m.Payload, &w); err != nil {
		return "", EnterpriseClaims{}, malformed("不是企业码（%v）", err)
	}
	if err := w.validate(); err != nil {
		return "", EnterpriseClaims{}, malformed("%v", err)
	}
	if err := checkCanonical(kid, w, m, msg); err != nil {
		return "", EnterpriseClaims{}, err
	}
	if err := verifyEd25519(kid, m.Payload, m.Signature, lookup); err != nil {
		return kid, EnterpriseClaims{}, err
	}
	return kid, EnterpriseClaims{TokenID: bytes.Clone(w.TokenID), Issuer: w.Issuer, IssuedAt: time.Unix(w.IssuedAt, 0).UTC(),
		EnterpriseUSCC: w.EnterpriseUSCC, Generation: w.Generation}, nil
}

// EnterpriseURL is the enterprise code's QR text: "HTTPS://" + upper(host) +
// "/E/" + token, upper case for the QR's alphanumeric mode as URL is.
func EnterpriseURL(host, token string) string {
	return "HTTPS://" + strings.ToUpper(host) + "/E/" + strings.ToUpper(token)
}

// ExtractEnterpriseToken accepts what the officer's phone or CLI read from
// an enterprise code: a bare token or a URL whose path is /E/<token>, in
// the same forms ExtractToken accepts for /V/.
func ExtractEnterpriseToken(scanned string) (string, error) {
	return extractToken(scanned, "E")
}
