package cli

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/ruqi/ruqi/internal/domain"
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
	if off := firstNotUTF8(text); off >= 0 {
		line, col := textPosition(text, off)
		return fmt.Sprintf("第 %d 行第 %d 列%s", line, col, notUTF8At(text, off))
	}
	msg := err.Error()
	// protojson writes "proto:" and then a space or, at random, a no-break
	// space, so that nobody matches its text; the prefix says nothing to
	// the reader either way.
	for _, p := range []string{"proto: ", "proto:\u00a0"} {
		msg = strings.TrimPrefix(msg, p)
	}
	return domain.Clip(strings.ToValidUTF8(inChinese(msg), "\uFFFD"), maxJSONFault)
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
	{regexp.MustCompile(`^unexpected token (.*)$`), "此处不应出现 $1（JSON 格式有误：缺少或多了逗号、引号或括号？）"},
	{regexp.MustCompile(`^unexpected EOF$`), "文件在一条记录中途结束（JSON 不完整）"},
}

var protojsonAt = regexp.MustCompile(`^(?:syntax error )?\(line (\d+):(\d+)\): (.*)$`)

// inChinese says a protojson refusal in Chinese where it knows the words.
func inChinese(msg string) string {
	where, what := "", msg
	if m := protojsonAt.FindStringSubmatch(msg); m != nil {
		where, what = fmt.Sprintf("第 %s 行第 %s 列：", m[1], m[2]), m[3]
	}
	what = strings.TrimSpace(what)
	for _, f := range protojsonFaults {
		if f.re.MatchString(what) {
			return where + f.re.ReplaceAllString(what, f.says)
		}
	}
	return msg
}

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
