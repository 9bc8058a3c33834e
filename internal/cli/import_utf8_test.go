package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// gbkZhang is 张 in GBK, as a spreadsheet exports it: not UTF-8.
const gbkZhang = "\xd5\xc5"

// wantNotUTF8InWords: the refusal says in Chinese that the text is not
// UTF-8 and what to do, with the bytes, and none of the parser's English.
func wantNotUTF8InWords(t *testing.T, err error, says ...string) {
	t.Helper()
	if err == nil {
		t.Fatal("a file that is not UTF-8 was read")
	}
	msg := err.Error()
	if !utf8.ValidString(msg) || strings.Contains(msg, "proto:") || strings.Contains(msg, "invalid UTF-8") {
		t.Errorf("the refusal carries the parser's English or bytes that are not UTF-8: %q", msg)
	}
	for _, w := range append(says, "不是 UTF-8 编码的字节（0xD5 0xC5）", "另存为 UTF-8") {
		if !strings.Contains(msg, w) {
			t.Errorf("the refusal does not say %q:\n%s", w, msg)
		}
	}
}

// Reported (2026-12-06): a directory file with a GBK name was refused as
// "名录文件 … 格式错误：proto: syntax error (line 5:45): invalid UTF-8 in
// string", English after the Chinese, naming no record.
func TestReadDirectory_NotUTF8_SaysWhereInChinese(t *testing.T) {
	path := filepath.Join(t.TempDir(), "directory.json")
	text := "{\n" +
		"  \"agencies\": [{\"id\": \"AG-01\", \"name\": \"市场监管局\", \"regionCode\": \"510100\"}],\n" +
		"  \"enterprises\": [\n" +
		"    {\"uscc\": \"91510104CY4C7RGWMR\", \"name\": \"某餐饮公司\", \"regionCode\": \"510104\"},\n" +
		"    {\"uscc\": \"915101070AL6JK1YWK\", \"name\": \"" + gbkZhang + "记商行\", \"regionCode\": \"510107\"}\n" +
		"  ]\n}\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := readDirectory(path)
	// Column 45: the name's first character.
	wantNotUTF8InWords(t, err, path, "第 5 行第 45 列", "第 2 个企业，统一社会信用代码 915101070AL6JK1YWK")
}

func TestAddDirectoryLine_NotUTF8_SaysWhereInChinese(t *testing.T) {
	d := &ruqiv1.Directory{}
	err := addDirectoryLine(d, []byte(`{"officer":{"id":"O-0001","name":"`+gbkZhang+`三","agencyId":"AG-01"}}`))
	wantNotUTF8InWords(t, err, "第 35 列")
	if len(d.GetOfficers()) != 0 {
		t.Errorf("the line was added: %v", d.GetOfficers())
	}
}

// recordAt names nothing where the file is not a directory's layout, and
// the record for each list and either spelling of a field name.
func TestRecordAt(t *testing.T) {
	text := `{"version":1,"check_items":[{"id":"CI-0001"},{"id":"CI-0002","name":"X"}],"officers":[{"name":"Y"}]}`
	for _, c := range []struct {
		at   string
		want string
	}{
		{`"X"`, "第 2 个检查事项，编号 CI-0002"},
		{`"Y"`, "第 1 个执法人员"},
		{`1,`, ""},
	} {
		if got := recordAt([]byte(text), strings.Index(text, c.at)); got != c.want {
			t.Errorf("recordAt(%s) = %q, want %q", c.at, got, c.want)
		}
	}
	if got := recordAt([]byte(`[{"id":"A"}]`), 3); got != "" {
		t.Errorf("a list is no directory: %q", got)
	}
}

// A line cut short (an export that stopped mid-record) was refused in
// encoding/json's English, "unexpected EOF" (an operator's trial,
// 2026-12-07).
func TestAddDirectoryLine_CutShort_SaidInChinese(t *testing.T) {
	err := addDirectoryLine(&ruqiv1.Directory{}, []byte(`{"enterprise":{"uscc":"91510104CY4C7RGWMR","na`))
	if err == nil || strings.Contains(err.Error(), "unexpected EOF") || !strings.Contains(err.Error(), "JSON 不完整") {
		t.Fatalf("a line cut short: %v", err)
	}
}

// A spreadsheet's export is refused before it is read, saying that only
// JSON and NDJSON are taken: a .csv was read as JSON and refused with
// "syntax error (line 1:1): invalid value uscc" (an operator's trial,
// 2026-12-07). Nothing is sent: no server is asked.
func TestAdminImport_SpreadsheetSaidAsSuch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "企业名录.CSV")
	if err := os.WriteFile(path, []byte("uscc,name,region_code\n91510104CY4C7RGWMR,某公司,510104\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	a, _, errOut := testApp(nil)
	code := a.run([]string{"--server", "127.0.0.1:1", "--token", "x", "admin", "import", path})
	if code == exitOK || !strings.Contains(errOut.String(), "CSV") || !strings.Contains(errOut.String(), "NDJSON") || strings.Contains(errOut.String(), "syntax error") {
		t.Errorf("a CSV file: exit %d\n%s", code, errOut)
	}
}
