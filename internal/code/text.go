package code

import (
	"encoding/base32"
	"strings"
)

// tokenEncoding is RFC 4648 base32 without padding: its alphabet (A–Z, 2–7)
// is a subset of the QR alphanumeric mode, and padding '=' is not.
var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// maxTokenLen is the encoded length of the largest message Parse accepts;
// anything longer is rejected before decoding.
var maxTokenLen = tokenEncoding.EncodedLen(maxMessageSize)

// maxScanned bounds what ExtractToken looks at: a token plus a generous URL
// prefix and query string.
const maxScanned = 8192

// EncodeToken is upper-case RFC 4648 base32 without padding (so the QR stays
// in alphanumeric mode).
func EncodeToken(msg []byte) string {
	return tokenEncoding.EncodeToString(msg)
}

// DecodeToken accepts upper or lower case and ignores surrounding white
// space; the error wraps ErrMalformed.
//
// Go's base32 decoder ignores the unused low bits of the last character, so
// several strings would decode to the same bytes; DecodeToken accepts only
// the one EncodeToken produces, so that changing any character of a token
// never yields the same code.
func DecodeToken(tok string) ([]byte, error) {
	tok = strings.TrimSpace(tok)
	if tok == "" {
		return nil, malformed("内容为空")
	}
	if len(tok) > maxTokenLen {
		return nil, malformed("长度 %d 超过上限 %d", len(tok), maxTokenLen)
	}
	tok = strings.ToUpper(tok)
	msg, err := tokenEncoding.DecodeString(tok)
	if err != nil {
		return nil, malformed("编码错误（%v）", err)
	}
	if EncodeToken(msg) != tok {
		return nil, malformed("编码不规范（non-canonical base32）")
	}
	return msg, nil
}

// URL returns the QR text "HTTPS://" + upper(host) + "/V/" + token, e.g. for
// host "ruqi.example.gov.cn" or "127.0.0.1:8080". Everything is upper case
// because QR alphanumeric mode has no lower-case letters; scheme and host
// are case-insensitive, and ExtractToken and DecodeToken accept either case.
func URL(host, token string) string {
	return "HTTPS://" + strings.ToUpper(host) + "/V/" + strings.ToUpper(token)
}

// ExtractToken accepts what a phone or a person pastes: a bare token, or a
// URL with http/https scheme in any case whose path is /V/<token> or
// /v/<token> (query string ignored), with surrounding white space. It returns
// the bare token, still encoded, in upper case. It does not decode the token;
// DecodeToken does. The host is not checked: the signature, not the address,
// makes a code genuine. The error wraps ErrMalformed.
func ExtractToken(scanned string) (string, error) {
	return extractToken(scanned, "V")
}

// extractToken does ExtractToken's work for the path /<letter>/ (V for
// inspection codes, E for enterprise codes).
func extractToken(scanned, letter string) (string, error) {
	s := strings.TrimSpace(scanned)
	if s == "" {
		return "", malformed("内容为空")
	}
	if len(s) > maxScanned {
		return "", malformed("内容过长（%d 字节）", len(s))
	}
	tok := s
	if i := strings.Index(s, "://"); i >= 0 {
		scheme := strings.ToLower(s[:i])
		if scheme != "http" && scheme != "https" {
			return "", malformed("不支持的网址协议 %q，应为 https", truncate(s[:i]))
		}
		rest := s[i+3:]
		slash := strings.IndexByte(rest, '/')
		if slash < 0 {
			return "", malformed("网址缺少路径 /%s/<码>", letter)
		}
		if !validHost(rest[:slash]) {
			return "", malformed("网址的主机名无效")
		}
		path, _, _ := strings.Cut(rest[slash:], "?")
		var ok bool
		if tok, ok = strings.CutPrefix(path, "/"+letter+"/"); !ok {
			if tok, ok = strings.CutPrefix(path, "/"+strings.ToLower(letter)+"/"); !ok {
				return "", malformed("网址路径应为 /%s/<码>", letter)
			}
		}
	}
	if tok == "" {
		return "", malformed("缺少入企码")
	}
	if len(tok) > maxTokenLen {
		return "", malformed("入企码过长（%d 个字符，上限 %d）", len(tok), maxTokenLen)
	}
	for i := 0; i < len(tok); i++ {
		if !isTokenChar(tok[i]) {
			return "", malformed("第 %d 个字符不是入企码字符（应为 A–Z 或 2–7）", i+1)
		}
	}
	return strings.ToUpper(tok), nil
}

// isTokenChar reports whether c belongs to the base32 alphabet in either case.
func isTokenChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '2' <= c && c <= '7'
}

// validHost accepts DNS names, IPv4 and bracketed IPv6 addresses with an
// optional port. It is a character check only: anything else (user info,
// spaces, control characters) means the text is not one of our URLs.
func validHost(h string) bool {
	if h == "" || len(h) > 255 {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '.' || c == '-' || c == ':' || c == '[' || c == ']':
		default:
			return false
		}
	}
	return true
}

// truncate keeps user input quoted in error messages short.
func truncate(s string) string {
	const limit = 16
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}
