package cli

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/ruqi/ruqi/internal/domain"
)

// A directory file that is not UTF-8 (most often one a spreadsheet or an
// older system exported as GBK) was refused with the parser's English
// after the Chinese prefix (reported 2026-12-06): "名录文件 d.json 格式错误：
// proto: syntax error (line 1:34): invalid UTF-8 in string". It is said in
// Chinese, where and in which record, with what to do.

// notUTF8Advice follows every such refusal of a directory file.
const notUTF8Advice = "：名录文件须为 UTF-8 编码。若由 Excel 或其他系统以 GBK 等编码导出，请另存为 UTF-8 后再导入"

// directoryNotUTF8 refuses a JSON directory file whose text is not UTF-8,
// naming the line, column and record of the first such byte; nil if the
// text is UTF-8.
func directoryNotUTF8(path string, text []byte) error {
	off := firstNotUTF8(text)
	if off < 0 {
		return nil
	}
	line, col := textPosition(text, off)
	where := fmt.Sprintf("第 %d 行第 %d 列", line, col)
	if rec := recordAt(text, off); rec != "" {
		where += "（" + rec + "）"
	}
	return fmt.Errorf("名录文件 %s %s%s%s", path, where, notUTF8At(text, off), notUTF8Advice)
}

// directoryLists name the lists of a directory file (ruqi.v1.Directory in
// its JSON form, under either field name) as a person reads them.
var directoryLists = map[string]string{
	"agencies": "执法部门", "officers": "执法人员", "enterprises": "企业", "checkItems": "检查事项", "check_items": "检查事项",
}

// recordAt names the record of a JSON directory file that holds offset
// off, e.g. "第 3 个企业，统一社会信用代码 91510104CY4C7RGWMR", or "" when
// the file is not laid out as a directory up to there. encoding/json reads
// text that is not UTF-8 (as U+FFFD), so the file can be walked past it.
func recordAt(text []byte, off int) string {
	dec := json.NewDecoder(bytes.NewReader(text))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return ""
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return ""
		}
		key, _ := t.(string)
		kind, ok := directoryLists[key]
		if !ok {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return ""
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return ""
		}
		for i := 1; dec.More(); i++ {
			begin := dec.InputOffset() // the end of the token before: the record starts after it
			var raw json.RawMessage
			if dec.Decode(&raw) != nil {
				return ""
			}
			if int64(off) < begin || int64(off) >= dec.InputOffset() {
				continue
			}
			name := fmt.Sprintf("第 %d 个%s", i, kind)
			var rec struct {
				ID   string `json:"id"`
				USCC string `json:"uscc"`
			}
			_ = json.Unmarshal(raw, &rec)
			switch {
			case rec.USCC != "":
				name += "，统一社会信用代码 " + domain.Clip(rec.USCC, 40)
			case rec.ID != "":
				name += "，编号 " + domain.Clip(rec.ID, 40)
			}
			return name
		}
		if _, err := dec.Token(); err != nil { // the list's ]
			return ""
		}
	}
	return ""
}
