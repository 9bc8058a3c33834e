package cli

import (
	"strings"
	"testing"

	ruqiv1 "github.com/ruqi/ruqi/proto/ruqi/v1"
)

// A line of an NDJSON directory that is not JSON, or not one object naming
// its record's kind, is said in Chinese with the line's column; so is a
// fault within the record, by the same column an editor shows. Each was in
// encoding/json's English, or by the record's own line and column (an
// operator's trial, 2026-12-07).
func TestAddDirectoryLine_FaultsSaidInChineseByTheLinesColumn(t *testing.T) {
	for _, c := range []struct {
		line, want string
	}{
		{`{"enterprise": {"uscc": "91510104MA0000001E", "name": "测试企业一", "regionCode": 510105}}`, "第 78 列：字段 regionCode 应为带引号的文本"},
		{`{"enterprise": {"uscc": "91510104MA0000001E", "foo": "x"}}`, "第 47 列：没有名为 foo 的字段"},
		{`{"enterprise": {"uscc": "91510104MA0000001E", "regionCode": "510105",}}`, "第 70 列：此处不应出现 '}'（字段名应加英文双引号；最后一个字段后不能有逗号）"},
		{`{"enterprise": {"uscc": "91510104MA0000001E" "regionCode": "510105"}}`, "第 46 列：此处不应出现 '\"'（两个字段之间应有英文逗号？）"},
		{`{"enterprise": {"uscc": "91510104MA0000001E"`, "JSON 不完整"},
		{`{"company": {"uscc": "91510104MA0000001E"}}`, "没有名为 company 的记录种类"},
		{`["enterprise"]`, "每行应为一个 JSON 对象 {…}，而不是数组 […]"},
		{`"enterprise"`, "每行应为一个 JSON 对象 {…}，而不是文本"},
		// Leading spaces count; the record after its key, not a key
		// that reads the same; the later of two same keys.
		{`  {"enterprise": {"uscc": "91510104MA0000001E", "foo": "x"}}`, "第 49 列：没有名为 foo 的字段"},
		{`{"enterprise": "enterprise"}`, "第 16 列："},
		{`{"enterprise": {"name": "a"}, "enterprise": {"name": "a"}}`, "enterprise 在一行中出现两次"},
		{`{"ENTERPRISE": {"name": "a"}, "ENTERPRISE": {"name": "b"}}`, "ENTERPRISE 在一行中出现两次"},
		{`{"enterprise": {"name": "a"}, "\u0065nterprise": {"name": "b"}}`, "enterprise 在一行中出现两次"},
		// encoding/json takes ſ for s in a key: twice the same is twice.
		{`{"enterpriſe": {"name": "a"}, "enterpriſe": {"name": "b"}}`, "enterpriſe 在一行中出现两次"},
		{`{"enterprise": {"name": "测试企业", "creditGrade": "A"}}`, "第 48 列：字段 creditGrade 的取值 \"A\" 不是可用的选项（可用的取值：CREDIT_GRADE_A、CREDIT_GRADE_B、CREDIT_GRADE_C、CREDIT_GRADE_D）"},
		{`{"officer": {"id": "O-1", "certificate_status": "LOST"}}`, "第 49 列：字段 certificateStatus 的取值 \"LOST\" 不是可用的选项（可用的取值：CERTIFICATE_STATUS_ACTIVE、CERTIFICATE_STATUS_SUSPENDED、CERTIFICATE_STATUS_REVOKED）"},
	} {
		err := addDirectoryLine(&ruqiv1.Directory{}, []byte(c.line))
		if err == nil {
			t.Fatalf("%s: taken", c.line)
		}
		got := err.Error()
		if !strings.Contains(got, c.want) || strings.Contains(got, "第 1 行") || strings.Contains(got, "json:") || strings.Contains(got, "invalid") {
			t.Errorf("%s:\n got %s\nwant %s, by the line's column, without the record's own line or English", c.line, got, c.want)
		}
	}
}
