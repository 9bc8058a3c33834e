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

// NormalizeRequest normalises, in place, the identifier fields people type
// at the top level of an API request: USCCs, agency, officer, check-item and
// inspection ids, region codes (idFields). Other fields are left exactly as
// sent: free text, and ids that are case-sensitive or not typed by people
// (request ids, token and device ids, lead ids, an OIDC client id). Nested
// records (an imported directory) are left too: their ids and the
// references between them must stay as written.
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

// idFields are the fields NormalizeRequest reads as identifiers. A list,
// not a pattern on names: a new field is left alone until someone decides.
var idFields = map[string]bool{
	"uscc": true, "enterprise_uscc": true,
	"agency_id": true, "officer_id": true, "officer_ids": true,
	"check_item_id": true, "check_item_ids": true,
	"inspection_id": true, "inspection_ids": true,
	"region_code": true, "plan_id": true,
}

func idFieldNorm(name string) func(string) string {
	if idFields[name] {
		return NormalizeID
	}
	return nil
}
