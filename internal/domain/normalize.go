package domain

import (
	"fmt"
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
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
		b.WriteRune(foldWidth(r))
	}
	return strings.TrimSpace(b.String())
}

// foldWidth is a full-width ASCII form's ASCII rune (the ideographic space
// a space), any other rune itself.
func foldWidth(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

// NormalizeID is how an identifier typed by a person is read: trimmed,
// full-width characters made half-width, letters upper-case. A USCC, an
// agency, officer, check-item or inspection id, a region code.
func NormalizeID(s string) string {
	return strings.ToUpper(NormalizeWidth(s))
}

// NormalizeRequest normalises, in place, the identifier fields people type
// in an API request: USCCs, agency, officer, check-item and inspection ids,
// region codes (idFields), at the top level and in the messages it holds (a
// result's items, a plan's scope, a plan's coverage, a draw's filter).
// Other fields are left exactly as sent: free text, and ids that are
// case-sensitive or not typed by people (request ids, token and device ids,
// lead ids, an OIDC client id). The records of an imported directory
// (keptAsWritten) are left too: their ids and the references between them
// must stay as written. Before 2026-12-06 nested messages were all left, and
// a full-width check_item_id in a result's items was refused where the same
// id at the top level of a registration was read (a trial of bad input).
func NormalizeRequest(m proto.Message) {
	if m == nil {
		return
	}
	normalizeMessage(m.ProtoReflect())
}

// keptAsWritten are the messages NormalizeRequest does not enter: an
// imported directory and its records.
var keptAsWritten = map[protoreflect.FullName]bool{
	"ruqi.v1.Directory": true, "ruqi.v1.Agency": true, "ruqi.v1.Officer": true,
	"ruqi.v1.Enterprise": true, "ruqi.v1.CheckItem": true,
}

func normalizeMessage(r protoreflect.Message) {
	if keptAsWritten[r.Descriptor().FullName()] {
		return
	}
	fields := r.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsMap():
			continue // no request keys identifiers by a map
		case fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind:
			if !r.Has(fd) {
				continue
			}
			if fd.IsList() {
				list := r.Get(fd).List()
				for j := 0; j < list.Len(); j++ {
					normalizeMessage(list.Get(j).Message())
				}
				continue
			}
			normalizeMessage(r.Get(fd).Message())
			continue
		case fd.Kind() != protoreflect.StringKind:
			continue
		}
		norm := idFieldNorm(string(fd.Name()))
		if norm == nil {
			continue
		}
		if fd.IsList() {
			if !r.Has(fd) {
				continue
			}
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
	"check_item_id": true, "check_item_ids": true, "enterprise_usccs": true,
	"inspection_id": true, "inspection_ids": true,
	"region_code": true,
	"draw_id":     true, "enterprise_population": true, "officer_population": true,
	"plan_id": true,
}

func idFieldNorm(name string) func(string) string {
	if idFields[name] {
		return NormalizeID
	}
	return nil
}

// ValidateRequest refuses a request holding, in any field, nested records
// included, what no client should send and no handler should meet:
//
//   - a NUL character (U+0000) in a text. No text a person types holds one,
//     and PostgreSQL cannot store it: the request would otherwise fail deep
//     in the store as an internal error. Nor does anyone type the other
//     control characters (ControlIn): stored, they came back to every
//     terminal and page that shows the text, where an escape sequence in an
//     officer's reason moved the cursor over a cancelled code's verdict and
//     printed 核验通过 in its place, and a line feed in a complaint printed a
//     forged row in the 司法局's list of leads (a review, 2026-12-05);
//   - a time google.protobuf.Timestamp does not allow (nanoseconds outside a
//     second, a year before 1 or after 9999): stored as sent, it made every
//     list that held it impossible to write as JSON, and the dashboard
//     showed the year 292277026596 (a trial of bad input, 2026-12-06);
//   - a number no value of its enumeration has: proto3 keeps it, and a list
//     filtered by an unknown status answered "none" where it should have
//     said the filter was wrong (the same trial).
func ValidateRequest(m proto.Message) error {
	if m == nil {
		return nil
	}
	return nulIn(m.ProtoReflect())
}

func nulIn(r protoreflect.Message) error {
	var err error
	r.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		err = nulInField(fd, v)
		return err == nil
	})
	return err
}

func nulInField(fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	switch {
	case fd.IsList():
		l := v.List()
		for i := 0; i < l.Len(); i++ {
			if err := nulInValue(fd.Name(), fd, l.Get(i)); err != nil {
				return err
			}
		}
		return nil
	case fd.IsMap():
		var err error
		v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
			if err = nulInValue(fd.Name(), fd.MapKey(), k.Value()); err == nil {
				err = nulInValue(fd.Name(), fd.MapValue(), mv)
			}
			return err == nil
		})
		return err
	}
	return nulInValue(fd.Name(), fd, v)
}

// nulInValue checks one value of field name, whose kind fd gives.
func nulInValue(name protoreflect.Name, fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	switch fd.Kind() {
	case protoreflect.StringKind:
		// The field's name goes to the error's details only: what a person
		// reads is in their words (a trial of the pages, 2026-12-05, saw
		// "字段 reason" on an enterprise's phone).
		if strings.IndexByte(v.String(), 0) >= 0 {
			return Invalidf("NUL_IN_TEXT", "所填文字含有空字符（U+0000），不是有效的文字，请删去后重试").With("field", string(name))
		}
		if r, ok := ControlIn(v.String()); ok && !opaqueFields[string(name)] {
			return Invalidf("CONTROL_IN_TEXT", "所填文字含有不可见的控制字符（常见于从聊天软件或网页复制的文字），请删去后重新输入").With("field", string(name)).With("character", fmt.Sprintf("U+%04X", r))
		}
	case protoreflect.EnumKind:
		if fd.Enum().Values().ByNumber(v.Enum()) == nil {
			return Invalidf("ENUM_UNKNOWN", "所选的取值（%d）不在可选范围内：请从列出的选项中选择，或升级客户端", v.Enum()).With("field", string(name))
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		if ts, ok := v.Message().Interface().(*timestamppb.Timestamp); ok {
			if ts.CheckValid() != nil {
				return Invalidf("TIME_INVALID", "所填时间无效：时间须在公元1年至9999年之间，请重新填写").With("field", string(name))
			}
			return nil
		}
		return nulIn(v.Message())
	}
	return nil
}

// opaqueFields hold what a machine produced, not a person: a scanned code
// (whose control characters make it a forged code, judged MALFORMED and
// recorded by its handler, a lead for the 司法局), a token, a signed note.
// Their handlers parse them; the control-character rule would refuse a
// forged QR before it was recorded (a review, 2026-12-05). NUL is refused
// in them all the same.
var opaqueFields = map[string]bool{"code": true, "token": true, "id_token": true, "nonce": true, "page_token": true, "checkpoint": true}

// ControlIn returns the first character of s that IsControl.
func ControlIn(s string) (rune, bool) {
	for _, r := range s {
		if IsControl(r) {
			return r, true
		}
	}
	return 0, false
}

// IsControl reports whether no one types r and it changes how text around
// it is shown: the C0 controls but tab, line feed and carriage return
// (which multi-line texts hold), DEL, the C1 controls, and the
// bidirectional embeddings, overrides and isolates, which show text in
// another order than it is stored.
func IsControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' ||
		r >= 0x7f && r <= 0x9f ||
		r >= 0x202a && r <= 0x202e ||
		r >= 0x2066 && r <= 0x2069
}

// CSVCell defuses CSV formula injection in an export: a text from outside
// (a name from the directory) that starts like a formula is written as text,
// not run by the spreadsheet that opens the file.
func CSVCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Blank reports whether a text shows nothing: white space and invisible
// format characters only (zero-width spaces and joiners, the word joiner,
// a byte order mark, a soft hyphen: Unicode's Cf), which a required text
// (a reason, a complaint) must not be. A refusal of zero-width spaces
// reached the 司法局 as a lead that said nothing (a trial, 2026-12-06).
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// Given is a free text as it is kept: trimmed of white space, and "" when
// it shows nothing (Blank). An optional text that decides something (a
// late record's reason makes it a late record; a trigger reference a 个案
// check's source) is given only if it says something, and one that says
// nothing is not stored.
func Given(s string) string {
	if Blank(s) {
		return ""
	}
	return strings.TrimSpace(s)
}
