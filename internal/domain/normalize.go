package domain

import (
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// NormalizeWidth turns full-width ASCII forms (Ａ–Ｚ, ０–９, －, the
// ideographic space …), which Chinese input methods produce, into their
// ASCII counterparts, and trims surrounding white space.
func NormalizeWidth(s string) string {
	s = strings.TrimSpace(s)
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			r -= 0xFEE0
		case r == 0x3000:
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// NormalizeID is how an identifier typed by a person is read: trimmed,
// full-width characters made half-width, letters upper-case. A USCC, an
// agency, officer, check-item or inspection id, a region code.
func NormalizeID(s string) string {
	return strings.ToUpper(NormalizeWidth(s))
}

// NormalizeRequest normalises, in place, the identifier fields at the top
// level of an API request: fields named uscc or ending in _uscc, _id, _ids or
// region_code. Ids that are not typed by people or are case-sensitive
// (request ids, token ids, lead ids, key ids) are only trimmed and made
// half-width. Nested records (an imported directory) are left as they are:
// their ids and the references between them must stay as written.
func NormalizeRequest(m proto.Message) {
	if m == nil {
		return
	}
	r := m.ProtoReflect()
	fields := r.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.StringKind {
			continue
		}
		norm := idFieldNorm(string(fd.Name()))
		if norm == nil {
			continue
		}
		if fd.IsList() {
			list := r.Mutable(fd).List()
			for j := 0; j < list.Len(); j++ {
				list.Set(j, protoreflect.ValueOfString(norm(list.Get(j).String())))
			}
			continue
		}
		if r.Has(fd) {
			r.Set(fd, protoreflect.ValueOfString(norm(r.Get(fd).String())))
		}
	}
}

// idFieldNorm says how a field is normalised, by its name; nil for fields
// that are free text.
func idFieldNorm(name string) func(string) string {
	switch name {
	case "request_id", "token_id", "lead_id", "key_id", "id":
		return NormalizeWidth
	}
	switch {
	case name == "uscc", strings.HasSuffix(name, "_uscc"), strings.HasSuffix(name, "_id"),
		strings.HasSuffix(name, "_ids"), strings.HasSuffix(name, "region_code"):
		return NormalizeID
	}
	return nil
}
