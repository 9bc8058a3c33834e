package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/ruqi/ruqi/internal/domain"
	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// maxJSONFault bounds, in characters, what a refusal of a file's JSON
// repeats of the file: protojson quotes the offending value whole, a
// megabyte of it for a damaged file.
const maxJSONFault = 200

// jsonFault says why protojson refused text, in at most maxJSONFault
// characters of UTF-8. Text that is not UTF-8 is said in Chinese, with
// where (notUTF8At); protojson would quote the bytes themselves, which no
// terminal shows (found by FuzzParseKeys, 2026-12-06).
func jsonFault(text []byte, err error) string {
	return jsonFaultAt(text, err, func(line, col int) string { return fmt.Sprintf("第 %d 行第 %d 列", line, col) })
}

// jsonFaultAt is jsonFault with the place said by at (line and column of
// text, both from 1): a record of an NDJSON line is text within the line,
// and its place is said as the line's column.
func jsonFaultAt(text []byte, err error, at func(line, col int) string) string {
	if off := firstNotUTF8(text); off >= 0 {
		return at(textPosition(text, off)) + notUTF8At(text, off)
	}
	msg := err.Error()
	// protojson writes "proto:" and then a space or, at random, a no-break
	// space, so that nobody matches its text; the prefix says nothing to
	// the reader either way.
	for _, p := range []string{"proto: ", "proto:\u00a0"} {
		msg = strings.TrimPrefix(msg, p)
	}
	return domain.Clip(strings.ToValidUTF8(inChinese(msg, at), "\uFFFD"), maxJSONFault)
}

// protojsonFaults are protojson's refusals an operator meets in a file of
// records, as it words them after "(line L:C): ", in Chinese. Anything
// else is kept in protojson's words: an import said its Chinese prefix and
// then `unknown field "regoin_code"` (an operator's trial, 2026-12-06).
var protojsonFaults = []struct {
	re   *regexp.Regexp
	says string
}{
	{regexp.MustCompile(`^unknown field "(.*)"$`), "没有名为 $1 的字段（字段名拼写有误？）"},
	{regexp.MustCompile(`^duplicate field "(.*)"$`), "字段 $1 重复出现"},
	{regexp.MustCompile(`^invalid value for (?:string|bytes) field (\S+): (.*)$`), "字段 $1 应为带引号的文本，而不是 $2"},
	{regexp.MustCompile(`^invalid value for (?:int32|int64|uint32|uint64|sint32|sint64|fixed32|fixed64|sfixed32|sfixed64) field (\S+): (.*)$`), "字段 $1 应为整数，而不是 $2"},
	{regexp.MustCompile(`^invalid value for bool field (\S+): (.*)$`), "字段 $1 应为 true 或 false，而不是 $2"},
	{regexp.MustCompile(`^invalid value for enum field (\S+): (.*)$`), "字段 $1 的取值 $2 不是可用的选项"},
	{regexp.MustCompile(`^unexpected token (.+)$`), "此处不应出现 $1（JSON 格式有误：缺少或多了逗号、引号或括号？）"},
	// A token protojson does not name: the end of the text (TrimSpace
	// leaves "unexpected token" of "unexpected token "), said in English.
	{regexp.MustCompile(`^unexpected token$`), "此处内容不完整或多余（JSON 格式有误：缺少或多了逗号、引号或括号？）"},
	{regexp.MustCompile(`^unexpected EOF$`), "文件在一条记录中途结束（JSON 不完整）"},
}

var protojsonAt = regexp.MustCompile(`^(?:syntax error )?\(line (\d+):(\d+)\): (.*)$`)

// inChinese says a protojson refusal in Chinese where it knows the words,
// its place said by at.
func inChinese(msg string, at func(line, col int) string) string {
	where, what := "", msg
	if m := protojsonAt.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		col, _ := strconv.Atoi(m[2])
		where, what = at(line, col)+"：", m[3]
	}
	what = strings.TrimSpace(what)
	for _, f := range protojsonFaults {
		if f.re.MatchString(what) {
			return where + f.re.ReplaceAllString(what, f.says) + enumChoices(what)
		}
	}
	return msg
}

var protojsonEnumFault = regexp.MustCompile(`^invalid value for enum field (\S+):`)

// enumChoices lists the values an enum field of a directory record takes,
// for protojson's refusal of another: "creditGrade": "A" was refused
// without them (an operator's trial, 2026-12-07). Empty for anything else.
func enumChoices(what string) string {
	m := protojsonEnumFault.FindStringSubmatch(what)
	if m == nil {
		return ""
	}
	values, ok := directoryEnums()[m[1]]
	if !ok {
		return ""
	}
	return "（可用的取值：" + strings.Join(values, "、") + "）"
}

// directoryEnums maps the name of each enum field of the directory's
// records, as protojson names it (JSON and proto names), to the values it
// takes beside the unspecified zero; a name two fields of different enums
// share is left out.
var directoryEnums = sync.OnceValue(func() map[string][]string {
	out := map[string][]string{}
	clash := map[string]bool{}
	seen := map[protoreflect.FullName]bool{}
	var walk func(md protoreflect.MessageDescriptor)
	walk = func(md protoreflect.MessageDescriptor) {
		if seen[md.FullName()] {
			return
		}
		seen[md.FullName()] = true
		for i := 0; i < md.Fields().Len(); i++ {
			f := md.Fields().Get(i)
			switch f.Kind() {
			case protoreflect.MessageKind:
				walk(f.Message())
			case protoreflect.EnumKind:
				var values []string
				for j := 0; j < f.Enum().Values().Len(); j++ {
					if v := f.Enum().Values().Get(j); v.Number() != 0 {
						values = append(values, string(v.Name()))
					}
				}
				for _, name := range []string{f.JSONName(), string(f.Name())} {
					if prev, ok := out[name]; ok && !slices.Equal(prev, values) {
						clash[name] = true
					}
					out[name] = values
				}
			}
		}
	}
	walk((&ruqiv1.Directory{}).ProtoReflect().Descriptor())
	for name := range clash {
		delete(out, name)
	}
	return out
})

// firstNotUTF8 is the offset of the first byte of b that is not part of a
// UTF-8 character, or -1.
func firstNotUTF8(b []byte) int {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

// textPosition is the line and column, both from 1 and the column in
// characters, of offset off of text, as an editor shows them.
func textPosition(text []byte, off int) (line, col int) {
	line = 1 + bytes.Count(text[:off], []byte{'\n'})
	start := bytes.LastIndexByte(text[:off], '\n') + 1
	return line, 1 + utf8.RuneCount(text[start:off])
}

// notUTF8At says that text at off is not UTF-8, showing the bytes there
// (up to four, until a UTF-8 character): "有不是 UTF-8 编码的字节（0xD5 0xC5）".
func notUTF8At(text []byte, off int) string {
	var hex []string
	for i := off; i < len(text) && i < off+4; i++ {
		if r, size := utf8.DecodeRune(text[i:]); i > off && !(r == utf8.RuneError && size == 1) {
			break
		}
		hex = append(hex, fmt.Sprintf("0x%02X", text[i]))
	}
	return "有不是 UTF-8 编码的字节（" + strings.Join(hex, " ") + "）"
}

// encodingJSONFaults are encoding/json's syntax errors, as it words them,
// in Chinese: an NDJSON line is read by it before protojson reads the
// record in it, and a trailing comma was refused with "invalid character
// '}' looking for beginning of object key string" (an operator's trial,
// 2026-12-07).
var encodingJSONFaults = []struct {
	re   *regexp.Regexp
	says string
}{
	{regexp.MustCompile(`^invalid character (.+) looking for beginning of object key string$`), "此处不应出现 $1（字段名应加英文双引号；最后一个字段后不能有逗号）"},
	{regexp.MustCompile(`^invalid character (.+) after object key:value pair$`), "此处不应出现 $1（两个字段之间应有英文逗号？）"},
	{regexp.MustCompile(`^invalid character (.+) after object key$`), "此处不应出现 $1（字段名后应为英文冒号）"},
	{regexp.MustCompile(`^invalid character (.+) after array element$`), "此处不应出现 $1（两个值之间应有英文逗号？）"},
	{regexp.MustCompile(`^invalid character (.+) looking for beginning of value$`), "此处不应出现 $1（值应为带英文双引号的文本、数字、true、false、null、[…] 或 {…}；最后一个值后不能有逗号）"},
	{regexp.MustCompile(`^invalid character (.+) in string literal$`), "文本中不能直接出现 $1（制表符等控制字符应写作 \\t 等转义）"},
	{regexp.MustCompile(`^invalid character (.+) in string escape code$`), "文本中的转义 \\ 后不能是 $1"},
	{regexp.MustCompile(`^invalid character (.+)$`), "此处不应出现 $1（JSON 格式有误）"},
	{regexp.MustCompile(`^unexpected end of JSON input$`), "记录在行尾中途结束（JSON 不完整：缺少引号或括号？）"},
}

// jsonValueKinds are encoding/json's names of a JSON value's kind.
var jsonValueKinds = map[string]string{"array": "数组 […]", "string": "文本", "number": "数字", "bool": "true 或 false"}

var encodingJSONUnknownField = regexp.MustCompile(`^json: unknown field "(.*)"$`)

// lineFault says, in Chinese and by the line's column, why encoding/json
// refused a line of an NDJSON directory as a record's wrapper
// ({"enterprise": {…}}): its syntax, or what the line holds instead of
// one object naming its kind. Anything else is kept in its words.
func lineFault(line []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		off := min(max(int(syn.Offset)-1, 0), len(line))
		_, col := textPosition(line, off)
		what := syn.Error()
		for _, f := range encodingJSONFaults {
			if f.re.MatchString(what) {
				what = f.re.ReplaceAllString(what, f.says)
				break
			}
		}
		return domain.Clip(fmt.Sprintf("第 %d 列：%s", col, what), maxJSONFault)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "记录在行尾中途结束（JSON 不完整：缺少引号或括号？）"
	case errors.As(err, &typ) && typ.Field == "":
		kind, ok := jsonValueKinds[typ.Value]
		if !ok {
			kind = typ.Value
		}
		return "每行应为一个 JSON 对象 {…}，而不是" + kind
	}
	if m := encodingJSONUnknownField.FindStringSubmatch(err.Error()); m != nil {
		return domain.Clip("没有名为 "+m[1]+" 的记录种类", maxJSONFault)
	}
	return domain.Clip(strings.ToValidUTF8(err.Error(), "\uFFFD"), maxJSONFault)
}
